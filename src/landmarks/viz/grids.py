"""Image grids: batches of tensors to ``uint8`` arrays, and the paper's quadruplet rows (Fig. 2).

All functions are pure: arrays (or tensors) in, a new ``(H, W, 3)`` ``uint8`` array out. Callers log or
save the result (TensorBoard every N steps, the demo's PNG).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from landmarks.viz.draw import draw_landmarks, landmark_colours, to_numpy

BACKGROUND = 255  # white between and around the grid cells


def tensor_to_uint8(images) -> np.ndarray:
    """``(B, 3, H, W)`` float images in ``[0, 1]`` to ``(B, H, W, 3)`` ``uint8`` (values clamped first)."""
    array = to_numpy(images)
    if array.ndim != 4 or array.shape[1] != 3:
        raise ValueError(f"images must be (B, 3, H, W), got {array.shape}")
    array = np.clip(np.nan_to_num(array.astype(np.float32)), 0.0, 1.0)
    return np.round(array.transpose(0, 2, 3, 1) * 255).astype(np.uint8)  # (B, H, W, 3)


def image_grid(
    rows: Sequence[Sequence[np.ndarray]], pad: int = 2, background: int = BACKGROUND
) -> np.ndarray:
    """Tile ``rows`` of ``(h, w, 3)`` ``uint8`` images into one ``(H', W', 3)`` ``uint8`` array.

    Cells are placed left to right, rows top to bottom, with ``pad`` pixels of ``background`` between
    cells and around the border. Images may differ in size: each row is as tall as its tallest image,
    the grid as wide as its widest row, and smaller images sit at the top-left of their space. For rows
    of equal ``(h, w)`` images: ``H' = n_rows * (h + pad) + pad`` and ``W' = n_cols * (w + pad) + pad``.
    """
    if not rows or not all(rows):
        raise ValueError("image_grid needs at least one row, and at least one image per row")
    rows = [[_check_rgb8(image) for image in row] for row in rows]
    row_heights = [max(image.shape[0] for image in row) for row in rows]
    row_widths = [sum(image.shape[1] + pad for image in row) + pad for row in rows]
    grid = np.full((sum(row_heights) + pad * (len(rows) + 1), max(row_widths), 3), background, np.uint8)
    top = pad
    for row, row_height in zip(rows, row_heights, strict=True):
        left = pad
        for image in row:
            height, width = image.shape[:2]
            grid[top : top + height, left : left + width] = image
            left += width + pad
        top += row_height + pad
    return grid


def quadruplet_grid(
    source, target, reconstruction, keypoints_px, max_rows: int = 8, pad: int = 2
) -> np.ndarray:
    """One row per sample: source | target | reconstruction | target with landmarks (paper, Fig. 2).

    Args:
        source, target, reconstruction: ``(B, 3, H, W)`` float in ``[0, 1]`` (tensors or arrays);
            values outside, as a generator may produce, are clamped.
        keypoints_px: ``(B, K, 2)`` landmarks of the target in pixel ``(x, y)``, centre of the top-left
            pixel at ``(0, 0)``; drawn in :func:`~landmarks.viz.draw.landmark_colours` order.
        max_rows: at most this many samples (the first ones) are shown.
        pad: white pixels between and around the cells.

    Returns:
        ``(n * (H + pad) + pad, 4 * (W + pad) + pad, 3)`` ``uint8`` with ``n = min(B, max_rows)``.
    """
    source, target, reconstruction = (tensor_to_uint8(images) for images in (source, target, reconstruction))
    keypoints = to_numpy(keypoints_px)
    if not source.shape == target.shape == reconstruction.shape:
        raise ValueError(
            f"source, target and reconstruction must match, got {source.shape}, {target.shape}, "
            f"{reconstruction.shape} (as B, H, W, 3)"
        )
    if keypoints.ndim != 3 or keypoints.shape[0] != source.shape[0] or keypoints.shape[2] != 2:
        raise ValueError(f"keypoints_px must be (B, K, 2) with B = {source.shape[0]}, got {keypoints.shape}")
    colours = landmark_colours(keypoints.shape[1])
    rows = [
        [source[i], target[i], reconstruction[i], draw_landmarks(target[i], keypoints[i], colours=colours)]
        for i in range(min(source.shape[0], max_rows))
    ]
    return image_grid(rows, pad=pad)


def _check_rgb8(image) -> np.ndarray:
    image = to_numpy(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"grid images must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
    return image
