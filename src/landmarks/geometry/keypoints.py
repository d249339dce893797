"""The keypoint bottleneck (paper eq. 1-2): score maps -> keypoints -> Gaussian maps.

Convention:
    Score maps are ``(B, K, H, W)`` unnormalised log-probabilities, one map per landmark. Keypoints are
    ``(B, K, 2)`` ``(x, y)`` in ``[-1, 1]``, corner-aligned (see :mod:`landmarks.geometry.coordinates`):
    pixel column ``j`` of a ``W``-wide map sits at ``x = -1 + 2 j / (W - 1)``.

Two soft-argmaxes are offered:

* ``"separable"`` (NOTE(released)): the authors' code averages ``S_k`` over the other axis, takes a 1-D
  softmax along each axis and the expectation of ``linspace(-1, 1, n)`` under it. This is *not* the
  marginal of a 2-D softmax (the softmax of a mean is not the sum of a softmax), so the two variants
  give different keypoints for the same scores unless the scores are separable in a special way.
* ``"spatial"`` (NOTE(paper)): eq. 1, the expectation of the pixel coordinates under a softmax over all
  ``H * W`` locations.

Both are written as an expectation under per-axis distributions (:func:`marginal_distributions`):
for ``"spatial"`` those are the true marginals of the 2-D softmax, and the expectation of ``x`` under
the 2-D distribution equals its expectation under the ``x`` marginal.
"""

from __future__ import annotations

from typing import Literal

import torch

from landmarks.geometry.coordinates import grid_coordinates

SoftArgmaxKind = Literal["separable", "spatial"]
GaussianForm = Literal["released", "paper"]


def _check_scores(scores: torch.Tensor) -> None:
    if scores.ndim != 4:
        raise ValueError(f"scores must be (B, K, H, W), got shape {tuple(scores.shape)}")
    if scores.shape[-1] < 2 or scores.shape[-2] < 2:
        raise ValueError(f"score maps need at least 2x2 pixels, got shape {tuple(scores.shape)}")


def _at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    """Softmaxes run in float32 or wider (float16 scores would lose the small probabilities)."""
    return tensor.to(torch.promote_types(tensor.dtype, torch.float32))


def marginal_distributions(
    scores: torch.Tensor, kind: SoftArgmaxKind = "separable"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-axis distributions of the landmark positions.

    Args:
        scores: ``(B, K, H, W)`` score maps ``S_k``, any real values.
        kind: ``"separable"`` (released: softmax of the scores averaged over the other axis) or
            ``"spatial"`` (paper eq. 1: the marginals of a softmax over all ``H * W`` pixels).

    Returns:
        ``(x_probs, y_probs)``: ``(B, K, W)`` and ``(B, K, H)``, each non-negative and summing to 1 over
        its last axis; float32 or wider.
    """
    _check_scores(scores)
    scores = _at_least_float32(scores)
    if kind == "separable":
        x_probs = scores.mean(dim=-2).softmax(dim=-1)  # (B, K, W)
        y_probs = scores.mean(dim=-1).softmax(dim=-1)  # (B, K, H)
    elif kind == "spatial":
        batch, num_maps, height, width = scores.shape
        probs = scores.flatten(-2).softmax(dim=-1)  # (B, K, H * W)
        probs = probs.view(batch, num_maps, height, width)  # (B, K, H, W)
        x_probs = probs.sum(dim=-2)  # (B, K, W)
        y_probs = probs.sum(dim=-1)  # (B, K, H)
    else:
        raise ValueError(f"unknown soft-argmax kind {kind!r}; expected 'separable' or 'spatial'")
    return x_probs, y_probs


def _expected_coordinates(x_probs: torch.Tensor, y_probs: torch.Tensor) -> torch.Tensor:
    """``(B, K, W)``, ``(B, K, H)`` distributions -> ``(B, K, 2)`` expected ``(x, y)`` in ``[-1, 1]``."""
    xs = grid_coordinates(x_probs.shape[-1], device=x_probs.device, dtype=x_probs.dtype)  # (W,)
    ys = grid_coordinates(y_probs.shape[-1], device=y_probs.device, dtype=y_probs.dtype)  # (H,)
    return torch.stack([(x_probs * xs).sum(-1), (y_probs * ys).sum(-1)], dim=-1)  # (B, K, 2)


def separable_soft_argmax(scores: torch.Tensor) -> torch.Tensor:
    """Keypoints as in the released code: a 1-D soft-argmax per axis of the axis-averaged scores.

    NOTE(released): ``x_k = sum_j softmax_j(mean_i S_k[i, j]) * linspace(-1, 1, W)[j]`` and likewise for
    ``y``. Not the marginal of a 2-D softmax; see the module docstring.

    Args:
        scores: ``(B, K, H, W)`` score maps.

    Returns:
        ``(B, K, 2)`` keypoints ``(x, y)`` in ``[-1, 1]``.
    """
    return _expected_coordinates(*marginal_distributions(scores, "separable"))


def spatial_soft_argmax(scores: torch.Tensor) -> torch.Tensor:
    """Keypoints as in paper eq. 1: the expected pixel coordinates under a 2-D softmax over ``H * W``.

    NOTE(paper): computed through the marginals of the 2-D softmax, which gives the same expectation.

    Args:
        scores: ``(B, K, H, W)`` score maps.

    Returns:
        ``(B, K, 2)`` keypoints ``(x, y)`` in ``[-1, 1]``.
    """
    return _expected_coordinates(*marginal_distributions(scores, "spatial"))


def soft_argmax(scores: torch.Tensor, kind: SoftArgmaxKind = "separable") -> torch.Tensor:
    """``(B, K, H, W)`` scores -> ``(B, K, 2)`` keypoints ``(x, y)`` in ``[-1, 1]``, by ``kind``.

    ``kind`` is ``"separable"`` (released code) or ``"spatial"`` (paper eq. 1).
    """
    return _expected_coordinates(*marginal_distributions(scores, kind))


def gaussian_maps(
    keypoints: torch.Tensor,
    height: int,
    width: int,
    sigma: float,
    form: GaussianForm = "released",
) -> torch.Tensor:
    """Render one isotropic Gaussian per keypoint (paper eq. 2).

    ``"released"``: ``exp(-|u - u_k|^2 / sigma^2)`` (NOTE(released): no factor 2, so the true standard
    deviation is ``sigma / sqrt(2)``); ``"paper"``: ``exp(-|u - u_k|^2 / (2 sigma^2))`` (NOTE(paper)).
    ``u`` runs over the pixel centres of :func:`~landmarks.geometry.coordinates.pixel_grid`; the squared
    distance is assembled from per-axis terms by broadcasting, never materialising a ``(B, K, H, W, 2)``.

    Args:
        keypoints: ``(B, K, 2)`` ``(x, y)`` in ``[-1, 1]`` (values outside are allowed).
        height, width: size ``H, W`` of the maps.
        sigma: width in ``[-1, 1]`` units, ``> 0``.
        form: ``"released"`` or ``"paper"``.

    Returns:
        ``(B, K, H, W)`` maps in ``[0, 1]`` (far tails underflow to 0), equal to 1 exactly at a keypoint
        on a pixel centre.
    """
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f"keypoints must be (B, K, 2), got shape {tuple(keypoints.shape)}")
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if form == "released":
        denominator = sigma**2
    elif form == "paper":
        denominator = 2 * sigma**2
    else:
        raise ValueError(f"unknown Gaussian form {form!r}; expected 'released' or 'paper'")
    xs = grid_coordinates(width, device=keypoints.device, dtype=keypoints.dtype)  # (W,)
    ys = grid_coordinates(height, device=keypoints.device, dtype=keypoints.dtype)  # (H,)
    dx2 = (xs - keypoints[..., 0:1]) ** 2  # (B, K, W)
    dy2 = (ys - keypoints[..., 1:2]) ** 2  # (B, K, H)
    return torch.exp(-(dy2.unsqueeze(-1) + dx2.unsqueeze(-2)) / denominator)  # (B, K, H, W)
