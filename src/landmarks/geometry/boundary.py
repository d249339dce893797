"""The boundary-discount mask (supplementary material, sec. 2).

Near and beyond the image border a warped target holds black padding or content the source cannot
explain, so the reconstruction loss is discounted there: each axis gets a 1-D profile of zeros, a smooth
step up, ones, the mirrored step down and zeros; the 2-D mask is their outer product, in ``[0, 1]``.
"""

from __future__ import annotations

import math

import torch

BORDER_ZEROS = 10  # supplement sec. 2: zeros at each end, for a 128 px image
BORDER_RAMP = 20  # supplement sec. 2: samples of each smooth step, for a 128 px image
REFERENCE_SIZE = 128  # the image size the two lengths above are given for
STEP_SHARPNESS = 0.4  # supplement sec. 2: the step is 0.5 + 0.5 tanh(z / 0.4), z in linspace(-1, 1)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def smooth_step(length: int) -> torch.Tensor:
    """``(length,)`` rising step ``0.5 + 0.5 tanh(z / 0.4)`` for ``z`` in ``linspace(-1, 1, length)``."""
    z = torch.linspace(-1.0, 1.0, length)
    return 0.5 + 0.5 * torch.tanh(z / STEP_SHARPNESS)


def boundary_profile(
    size: int,
    zeros: int = BORDER_ZEROS,
    ramp: int = BORDER_RAMP,
    reference_size: int = REFERENCE_SIZE,
) -> torch.Tensor:
    """The 1-D discount profile along one image axis.

    ``zeros`` and ``ramp`` are lengths for an image of ``reference_size`` pixels; for another ``size``
    both are scaled by ``size / reference_size`` and rounded half up (64 px: 5 zeros and a 10-sample
    ramp; 32 px: 3 and 5). The ones fill the rest. The profile is symmetric.

    Args:
        size: length of the axis in pixels.

    Returns:
        ``(size,)`` float32 values in ``[0, 1]``: zeros, rising step, ones, falling step, zeros.
    """
    scaled_zeros = _round_half_up(zeros * size / reference_size)
    scaled_ramp = _round_half_up(ramp * size / reference_size)
    ones = size - 2 * (scaled_zeros + scaled_ramp)
    if ones < 0:
        raise ValueError(
            f"an axis of {size} px is too short for {scaled_zeros} zeros and a {scaled_ramp}-sample ramp "
            "at each end"
        )
    step = smooth_step(scaled_ramp)  # (ramp,)
    return torch.cat(
        [torch.zeros(scaled_zeros), step, torch.ones(ones), step.flip(0), torch.zeros(scaled_zeros)]
    )  # (size,)


def boundary_mask(height: int, width: int, *, device=None) -> torch.Tensor:
    """``(H, W)`` float32 mask in ``[0, 1]``: the outer product of the two axes' :func:`boundary_profile`."""
    rows = boundary_profile(height).to(device)  # (H,)
    columns = boundary_profile(width).to(device)  # (W,)
    return rows[:, None] * columns[None, :]  # (H, W)
