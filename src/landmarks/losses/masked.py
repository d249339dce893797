"""Masked averages of per-element errors (the boundary discount of the supplement, sec. 2).

Convention: the mask weighs each element of an error map; the result is averaged over ALL elements
(batch, channels, positions), not over the mask's total weight, as in the released code. A mask of
zeros therefore gives 0, and a mask of ones the plain mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def resize_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a ``(B, 1, H, W)`` mask in [0, 1] to ``(B, 1, h, w)`` by area averaging.

    Area averaging gives each cell of a ``2^n``-times smaller feature map the mean weight of the pixels
    it covers (no aliasing, exact for VGG's halvings) and returns the mask unchanged at its own size.
    NOTE(released): TF1's ``resize_images`` (bilinear, no antialiasing) samples the mask at points
    instead; on the smooth boundary mask the two differ only slightly.
    """
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    return F.interpolate(mask, size=size, mode="area")


def masked_mean(errors: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over all elements of ``mask * errors``.

    Args:
        errors: ``(B, C, h, w)`` per-element errors.
        mask: ``(B, 1, H, W)`` weights in [0, 1], resized to ``(h, w)`` and broadcast over channels;
            None for the plain mean.

    Returns:
        A scalar tensor.
    """
    if mask is None:
        return errors.mean()
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[0] != errors.shape[0]:
        raise ValueError(f"expected a mask of shape ({errors.shape[0]}, 1, H, W), got {tuple(mask.shape)}")
    return (resize_mask(mask.to(errors.dtype), tuple(errors.shape[-2:])) * errors).mean()


def _at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """Errors of half-precision features (autocast) are computed in float32; float64 stays float64."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def masked_mean_squared_error(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over all elements of ``mask * (a - b)^2``.

    ``a``, ``b``: ``(B, C, h, w)``; ``mask``: ``(B, 1, H, W)`` in [0, 1] or None, as in :func:`masked_mean`.
    """
    return masked_mean((_at_least_float32(a) - _at_least_float32(b)).square(), mask)


def masked_mean_absolute_error(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over all elements of ``mask * |a - b|``.

    ``a``, ``b``: ``(B, C, h, w)``; ``mask``: ``(B, 1, H, W)`` in [0, 1] or None, as in :func:`masked_mean`.
    """
    return masked_mean((_at_least_float32(a) - _at_least_float32(b)).abs(), mask)
