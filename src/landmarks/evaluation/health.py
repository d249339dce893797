"""Label-free health of learned keypoints: equivariance, spread, coverage and border share.

Pure functions of keypoint tensors; :mod:`landmarks.training.health` logs them during ``fit`` and
decides when to warn. Users without annotations read them to tell whether training works.

Convention:
    Keypoints are ``(B, K, 2)`` ``(x, y)`` in ``[-1, 1]``, corner-aligned
    (:mod:`landmarks.geometry.coordinates`). Distances are reported in percent of the image width
    (the 2 units from the first to the last pixel centre), areas in percent of the image's area.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

PERCENT_OF_WIDTH = 100.0 / 2.0  # [-1, 1] units -> % of the width (2 units)
COLLAPSED_SPREAD = 1.0  # % of width: a keypoint moving less than this over a batch sits on one spot
BORDER_MARGIN = 3.0  # % of width: a keypoint this close to an edge is "at the border"


def _check_keypoints(keypoints: torch.Tensor) -> None:
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f"keypoints must be (B, K, 2), got shape {tuple(keypoints.shape)}")


def equivariance_error(reference: torch.Tensor, mapped: torch.Tensor) -> torch.Tensor:
    """Distance between the keypoints of an image and those of its warped copy mapped back.

    Args:
        reference: ``(B, K, 2)`` keypoints detected on the images.
        mapped: ``(B, K, 2)`` keypoints detected on the warped images, mapped back through the known
            warp into the images' frame. A perfectly equivariant detector gives ``mapped == reference``.

    Returns:
        ``(B, K)`` Euclidean distances in % of the image width, ``>= 0``.
    """
    _check_keypoints(reference)
    if mapped.shape != reference.shape:
        raise ValueError(f"mapped {tuple(mapped.shape)} and reference {tuple(reference.shape)} differ")
    return (mapped - reference).norm(dim=-1) * PERCENT_OF_WIDTH


def keypoint_spread(keypoints: torch.Tensor) -> torch.Tensor:
    """How far each keypoint moves over a batch: ``sqrt(mean_b |p_bk - mean_b p_bk|^2)``.

    A keypoint that collapsed onto one spot for every image has spread 0; one that follows a part
    of objects seen at different places has a spread of the order of their displacements.

    Args:
        keypoints: ``(B, K, 2)`` with ``B >= 2``.

    Returns:
        ``(K,)`` radial standard deviations (population, over ``B``) in % of the image width.
    """
    _check_keypoints(keypoints)
    if keypoints.shape[0] < 2:
        raise ValueError(f"the spread needs at least 2 images, got {keypoints.shape[0]}")
    deviations = keypoints - keypoints.mean(dim=0)  # (B, K, 2)
    return deviations.square().sum(-1).mean(0).sqrt() * PERCENT_OF_WIDTH  # (K,)


def border_share(keypoints: torch.Tensor, margin: float = BORDER_MARGIN) -> float:
    """The fraction of the ``B * K`` keypoints within ``margin`` % of the width of an image edge.

    Points outside the image count as at the border. Returns a value in ``[0, 1]``.
    """
    _check_keypoints(keypoints)
    inner = 1.0 - margin / PERCENT_OF_WIDTH  # |x| or |y| beyond this is within the margin
    return (keypoints.abs().amax(dim=-1) > inner).float().mean().item()


def hull_area(points: torch.Tensor) -> float:
    """Area of the convex hull of ``(N, 2)`` points in ``[-1, 1]``, in % of the image's area (``[0, 100]``
    for points inside the image). Fewer than 3 points, or points on one line, give 0.

    Andrew's monotone chain, then the shoelace formula; on the CPU in float64 (N is small: the K mean
    keypoints).
    """
    if points.ndim != 2 or points.shape[-1] != 2:
        raise ValueError(f"points must be (N, 2), got shape {tuple(points.shape)}")
    hull = _convex_hull(sorted(map(tuple, points.detach().double().cpu().tolist())))
    doubled = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(hull, hull[1:] + hull[:1], strict=True))
    return abs(doubled) / 2 / 4 * 100  # the image is 2 x 2 = 4 square units


def _convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Vertices of the convex hull of points sorted by ``(x, y)``, counter-clockwise (monotone chain)."""
    if len(points) < 3:
        return points

    def half(ordered):
        chain: list[tuple[float, float]] = []
        for p in ordered:
            while len(chain) >= 2 and _cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain[:-1]

    return half(points) + half(points[::-1])


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


@dataclass(frozen=True)
class KeypointHealth:
    """The health numbers of one batch (see ``docs/training.md``, "Is training working?").

    Attributes:
        equivariance: median over ``B, K`` of :func:`equivariance_error`, % of width; NaN without a
            known warp. The median, not the mean: a part that a warp pushes out of the frame in one
            image has no true position there, and a few such points would dominate a mean.
        spread_median, spread_mean: median and mean over ``K`` of :func:`keypoint_spread`, % of width.
        collapsed: how many of the ``K`` keypoints have a spread below ``COLLAPSED_SPREAD``.
        coverage: :func:`hull_area` of the ``K`` keypoints' mean positions over the batch, % of area.
        border_share: :func:`border_share`, in ``[0, 1]``.
        num_keypoints: ``K``.
    """

    equivariance: float
    spread_median: float
    spread_mean: float
    collapsed: int
    coverage: float
    border_share: float
    num_keypoints: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def keypoint_health(keypoints: torch.Tensor, reference: torch.Tensor | None = None,
                    mapped: torch.Tensor | None = None) -> KeypointHealth:
    """The health numbers of a batch of ``(B, K, 2)`` keypoints (``B >= 2``).

    ``reference`` and ``mapped`` (both ``(B, K, 2)``, see :func:`equivariance_error`) give the
    equivariance error; without them it is NaN.
    """
    keypoints = keypoints.detach().float()
    spread = keypoint_spread(keypoints)  # (K,)
    if reference is not None and mapped is not None:
        equivariance = equivariance_error(reference.float(), mapped.float()).median().item()
    else:
        equivariance = math.nan
    return KeypointHealth(
        equivariance=equivariance,
        spread_median=spread.median().item(),
        spread_mean=spread.mean().item(),
        collapsed=int((spread < COLLAPSED_SPREAD).sum()),
        coverage=hull_area(keypoints.mean(dim=0)),
        border_share=border_share(keypoints),
        num_keypoints=keypoints.shape[1],
    )
