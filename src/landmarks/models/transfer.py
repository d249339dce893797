"""Appearance and geometry swapped between images: ``Psi(x, Phi(x'))`` for every pair (supplement sec. 8).

The generator draws the appearance of a source ``x`` at the landmarks of a target ``x'``. In training
both come from one image; at inference the two can be any images, so the target's pose (geometry) is
rendered with the source's look (appearance).
"""

from __future__ import annotations

import torch

from landmarks.models.landmark_model import LandmarkModel


@torch.no_grad()
def swap_appearance(model: LandmarkModel, sources: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Render every source's appearance at every target's landmarks.

    Args:
        model: a trained model (put it in eval mode first: batch norm then treats images one by one).
        sources: ``(S, 3, H, W)`` RGB in ``[0, 1]``, the appearances.
        targets: ``(T, 3, H, W)`` RGB in ``[0, 1]``, the geometries.

    Returns:
        ``(S, T, 3, H, W)`` generated images, ``[i, j] = Psi(sources[i], Phi(targets[j]))`` in the
        images' range (not clamped). With ``sources == targets`` the diagonal is the plain reconstruction
        ``model(x, x).reconstruction``.
    """
    if sources.ndim != 4 or targets.ndim != 4 or sources.shape[1:] != targets.shape[1:]:
        raise ValueError(f"sources and targets must be (N, 3, H, W) of one size, got "
                         f"{tuple(sources.shape)} and {tuple(targets.shape)}")
    keypoints = model.detect(targets).keypoints  # (T, K, 2) in [-1, 1]
    rows = [model.render(source.expand_as(targets), keypoints) for source in sources]  # S x (T, 3, H, W)
    return torch.stack(rows)  # (S, T, 3, H, W)
