"""The one coordinate convention of the library, and conversions to pixels at the edges.

Convention:
    Points are ``(x, y)``: x to the right, y down. Inside the library they live in normalised
    coordinates in ``[-1, 1]``, corner-aligned: ``-1`` is the centre of the first pixel and ``+1`` the
    centre of the last one (PyTorch's ``align_corners=True``, as the released code's
    ``linspace(-1, 1, n)`` grids). In pixels, the centre of the top-left pixel is ``(0, 0)`` and the
    centre of the bottom-right one ``(W - 1, H - 1)``; annotations, exports and figures use pixels.
"""

from __future__ import annotations

import torch


def normalized_to_pixels(points: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Map ``(..., 2)`` points ``(x, y)`` in ``[-1, 1]`` to pixels of an ``height x width`` image."""
    scale = points.new_tensor([(width - 1) / 2, (height - 1) / 2])
    return (points + 1) * scale


def pixels_to_normalized(points: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Inverse of :func:`normalized_to_pixels`: ``(..., 2)`` pixel ``(x, y)`` to ``[-1, 1]``."""
    scale = points.new_tensor([(width - 1) / 2, (height - 1) / 2])
    return points / scale - 1


def grid_coordinates(size: int, *, device=None, dtype=None) -> torch.Tensor:
    """``(size,)`` normalised coordinates of the pixel centres along one axis: ``linspace(-1, 1)``."""
    return torch.linspace(-1.0, 1.0, size, device=device, dtype=dtype)


def pixel_grid(height: int, width: int, *, device=None, dtype=None) -> torch.Tensor:
    """``(H, W, 2)`` normalised ``(x, y)`` of every pixel centre, in the layout of ``grid_sample``."""
    ys = grid_coordinates(height, device=device, dtype=dtype)
    xs = grid_coordinates(width, device=device, dtype=dtype)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")  # (H, W) each
    return torch.stack([grid_x, grid_y], dim=-1)  # (H, W, 2)


def reduced_to_full(points: torch.Tensor, factor: int, size: int) -> torch.Tensor:
    """``(..., 2)`` points of an ``S x S`` image made by averaging each ``factor x factor`` block of a
    ``factor * S`` image (``pairs.supersample``) -> the same points in the larger image's ``[-1, 1]``.

    Reduced pixel ``i`` is the mean of full pixels ``factor * i .. factor * i + factor - 1``, so its
    centre is full pixel ``factor * i + (factor - 1) / 2``; both frames are corner-aligned and centred,
    so the map is the scaling ``x_full = x * factor (S - 1) / (factor S - 1)``.
    """
    return points * (factor * (size - 1) / (factor * size - 1))


def full_to_reduced(points: torch.Tensor, factor: int, size: int) -> torch.Tensor:
    """Inverse of :func:`reduced_to_full`: ``(..., 2)`` points of the ``factor * S`` image -> the ``S``
    image's ``[-1, 1]``."""
    return points * ((factor * size - 1) / (factor * (size - 1)))
