"""Score maps with their marginal distributions, as in the paper's Fig. 2 (right).

For each landmark ``k`` the figure shows the image with that landmark, and below it the raw score map
``S_u(x; k)`` (brighter = higher) with the x-marginal drawn above it and the y-marginal on its left.

Figures are built on :class:`matplotlib.figure.Figure` directly, so no pyplot state or global backend
is touched; :func:`figure_to_array` renders one with the Agg canvas.

Convention:
    The score map's pixel centres are placed on the image's pixel grid with the corner-aligned
    convention of :mod:`landmarks.geometry.coordinates`: score column ``j`` of ``w`` sits at image
    ``x = j * (W - 1) / (w - 1)``, so maps coarser than the image line up with it and the keypoints.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from landmarks.viz.draw import default_radius, landmark_colours, to_numpy

COLUMNS = 4  # landmarks per row of the figure
PANEL_INCHES = 2.4  # width of one landmark's column
TITLE_INCHES = 0.3  # room for a landmark's title
SCORE_COLORMAP = "magma"  # dark to bright: brighter means a higher score, as in the paper


def heatmap_figure(image, scores, marginal_x, marginal_y, keypoints_px, max_landmarks: int = 8) -> Figure:
    """A figure of the first ``max_landmarks`` landmarks: the image with each, and its score map.

    Args:
        image: ``(H, W, 3)`` ``uint8`` RGB.
        scores: ``(K, h, w)`` raw score maps (any real values; each is shown with its own colour range).
        marginal_x: ``(K, w)`` distribution over columns (the softmax of the scores summed over rows).
        marginal_y: ``(K, h)`` distribution over rows.
        keypoints_px: ``(K, 2)`` landmark ``(x, y)`` in image pixels.
        max_landmarks: at most this many landmarks (the first ones) are shown.

    Returns:
        A :class:`matplotlib.figure.Figure` without pyplot; render it with :func:`figure_to_array`.
    """
    image, scores = to_numpy(image), to_numpy(scores).astype(np.float64)
    marginal_x, marginal_y = to_numpy(marginal_x).astype(np.float64), to_numpy(marginal_y).astype(np.float64)
    keypoints = to_numpy(keypoints_px).astype(np.float64)
    _check_shapes(image, scores, marginal_x, marginal_y, keypoints)
    if max_landmarks < 1:
        raise ValueError(f"max_landmarks must be >= 1, got {max_landmarks}")
    num_shown = min(scores.shape[0], max_landmarks)
    colours = landmark_colours(scores.shape[0]) / 255.0  # (K, 3) in [0, 1]
    columns = min(num_shown, COLUMNS)
    rows = math.ceil(num_shown / columns)
    aspect = image.shape[0] / image.shape[1]  # H / W
    ratios = (5 * aspect, 1, 4 * aspect)  # image, x-marginal, score map; in fifths of a column's width
    block_height = PANEL_INCHES / 5 * sum(ratios) + TITLE_INCHES
    figure = Figure(figsize=(columns * PANEL_INCHES, rows * block_height), layout="constrained")
    figure.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.04, hspace=0.02)
    grid = figure.add_gridspec(rows, columns)
    for k in range(num_shown):
        cell = grid[k // columns, k % columns].subgridspec(
            3, 2, width_ratios=(1, 4), height_ratios=ratios, wspace=0, hspace=0
        )
        _image_axes(figure.add_subplot(cell[0, :]), image, keypoints[k], colours[k], k)
        _score_axes(
            figure, cell, image.shape[:2], scores[k], marginal_x[k], marginal_y[k], keypoints[k], colours[k]
        )
    return figure


def figure_to_array(figure: Figure) -> np.ndarray:
    """Render ``figure`` with the Agg canvas to an ``(H, W, 3)`` ``uint8`` RGB array (at its own dpi)."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()  # (H, W, 3)


def _image_axes(axes, image: np.ndarray, point: np.ndarray, colour: np.ndarray, index: int) -> None:
    axes.imshow(image, interpolation="nearest")
    size = (2 * default_radius(*image.shape[:2]) * 72 / 100) ** 2  # scatter sizes are in points^2
    axes.scatter(*point, s=max(size, 40), color=colour, edgecolors="black", linewidths=0.8)
    _limit_to_image(axes, image.shape[:2])
    axes.set_title(f"landmark {index}", fontsize=9, pad=2)
    axes.set_axis_off()


def _score_axes(figure, cell, image_size, scores, marginal_x, marginal_y, point, colour) -> None:
    height, width = image_size
    h, w = scores.shape
    xs = np.linspace(0, width - 1, w)  # score columns on the image's pixel grid (corner-aligned)
    ys = np.linspace(0, height - 1, h)
    step_x, step_y = (xs[1] - xs[0] if w > 1 else width), (ys[1] - ys[0] if h > 1 else height)
    heat = figure.add_subplot(cell[2, 1])
    extent = (xs[0] - step_x / 2, xs[-1] + step_x / 2, ys[-1] + step_y / 2, ys[0] - step_y / 2)
    heat.imshow(scores, cmap=SCORE_COLORMAP, extent=extent, aspect="auto", interpolation="nearest")
    heat.scatter(*point, s=40, facecolors="none", edgecolors=[colour], linewidths=1.2)
    _limit_to_image(heat, image_size)
    heat.set_xticks([]), heat.set_yticks([])
    top = figure.add_subplot(cell[1, 1], sharex=heat)
    top.fill_between(xs, marginal_x, color=colour, alpha=0.45, linewidth=0)
    top.plot(xs, marginal_x, color=colour, linewidth=1)
    top.set_ylim(0, max(marginal_x.max(), 1e-12) * 1.1)
    left = figure.add_subplot(cell[2, 0], sharey=heat)
    left.fill_betweenx(ys, marginal_y, color=colour, alpha=0.45, linewidth=0)
    left.plot(marginal_y, ys, color=colour, linewidth=1)
    left.set_xlim(max(marginal_y.max(), 1e-12) * 1.1, 0)  # mass grows away from the score map
    for axes, baseline in ((top, "bottom"), (left, "right")):
        axes.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False)
        for side, spine in axes.spines.items():
            spine.set_visible(side == baseline)


def _limit_to_image(axes, image_size) -> None:
    height, width = image_size
    axes.set_xlim(-0.5, width - 0.5)
    axes.set_ylim(height - 0.5, -0.5)


def _check_shapes(image, scores, marginal_x, marginal_y, keypoints) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
    if scores.ndim != 3:
        raise ValueError(f"scores must be (K, h, w), got {scores.shape}")
    num, h, w = scores.shape
    expected = {"marginal_x": (num, w), "marginal_y": (num, h), "keypoints_px": (num, 2)}
    for name, array in zip(expected, (marginal_x, marginal_y, keypoints), strict=True):
        if array.shape != expected[name]:
            raise ValueError(f"{name} must be {expected[name]} for scores {scores.shape}, got {array.shape}")
