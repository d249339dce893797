"""Raw learned landmarks matched to annotated points, as the paper's Fig. 4 (top rows).

Each annotated point is matched to one learned landmark by the Hungarian assignment on mean distance
(:func:`landmarks.evaluation.metrics.hungarian_matching`); this module only draws the result. Each
pair gets its own colour: the annotation as a hollow ring, its matched learned landmark as a filled
disc of the same colour, and a line between them, so the length of the line is the raw error.

Pure drawing: arrays in, a matplotlib ``Figure`` out (no pyplot, nothing saved). Points are pixel
``(x, y)``, the centre of the top-left pixel at ``(0, 0)`` (:mod:`landmarks.geometry.coordinates`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from landmarks.viz.draw import landmark_colours, to_numpy

MAX_IMAGES = 16
COLUMNS = 4  # images per row of the figure
PANEL_INCHES = 2.2  # side of one image's panel
RING_SIZE = 70  # scatter marker areas, points^2
DOT_SIZE = 22


def matched_landmarks_figure(
    images: Sequence[np.ndarray],
    annotated,
    matched,
    *,
    point_names: Sequence[str] | None = None,
    max_images: int = MAX_IMAGES,
    title: str | None = "Raw learned landmarks matched to the annotations (Hungarian)",
) -> Figure:
    """A grid of up to ``max_images`` images with each annotated point and its matched landmark.

    Args:
        images: N ``(H, W, 3)`` uint8 RGB images (sizes may differ).
        annotated: ``(N, L, 2)`` annotated pixels; NaN where missing (that point is not drawn).
        matched: ``(N, L, 2)`` pixels of the learned landmark matched to each annotated point; NaN where
            a point has no match (only its annotation is drawn).
        point_names: L names for the legend (default ``p0 ... p{L-1}``).
        max_images: at most this many images (the first ones) are shown.
        title: the figure's title, or None.

    Returns:
        A :class:`matplotlib.figure.Figure` (render with :func:`landmarks.viz.figure_to_array` or save it).
    """
    annotated = to_numpy(annotated).astype(np.float64)
    matched = to_numpy(matched).astype(np.float64)
    _check(images, annotated, matched, point_names, max_images)
    num_points = annotated.shape[1]
    names = list(point_names) if point_names is not None else [f"p{i}" for i in range(num_points)]
    colours = landmark_colours(num_points) / 255.0  # (L, 3) in [0, 1]
    count = min(len(images), max_images)
    columns = min(count, COLUMNS)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(PANEL_INCHES * columns, PANEL_INCHES * rows + 0.6), layout="constrained")
    for index in range(count):
        axes = figure.add_subplot(rows, columns, index + 1)
        _draw_pairs(axes, to_numpy(images[index]), annotated[index], matched[index], colours)
    handles = [Line2D([], [], color=colour, marker="o", linewidth=1, markersize=5) for colour in colours]
    figure.legend(handles, names, loc="outside lower center", ncol=min(num_points, 7), fontsize="small",
                  frameon=False)
    if title:
        figure.suptitle(title, fontsize="medium")
    return figure


def _draw_pairs(axes, image: np.ndarray, annotated: np.ndarray, matched: np.ndarray, colours) -> None:
    """One panel: ``annotated`` and ``matched`` are ``(L, 2)`` pixels of this image."""
    height, width = image.shape[:2]
    axes.imshow(image)  # pixel centres at integer coordinates, as our convention
    for (gt, point, colour) in zip(annotated, matched, colours, strict=True):
        if np.isfinite(gt).all() and np.isfinite(point).all():
            axes.plot([gt[0], point[0]], [gt[1], point[1]], color=colour, linewidth=1.2)
    axes.scatter(*annotated.T, s=RING_SIZE, facecolors="none", edgecolors=colours, linewidths=1.6)
    axes.scatter(*matched.T, s=DOT_SIZE, color=colours, edgecolors="black", linewidths=0.5)
    axes.set_xlim(-0.5, width - 0.5)
    axes.set_ylim(height - 0.5, -0.5)
    axes.set_axis_off()


def _check(images, annotated, matched, point_names, max_images) -> None:
    if len(images) == 0:
        raise ValueError("matched_landmarks_figure needs at least one image")
    if annotated.ndim != 3 or annotated.shape[2] != 2:
        raise ValueError(f"annotated must be (N, L, 2), got {annotated.shape}")
    if matched.shape != annotated.shape:
        raise ValueError(f"matched must match annotated {annotated.shape}, got {matched.shape}")
    if annotated.shape[0] < min(len(images), max_images):
        raise ValueError(f"{len(images)} images but points for only {annotated.shape[0]}")
    if point_names is not None and len(point_names) != annotated.shape[1]:
        raise ValueError(f"{len(point_names)} point names for {annotated.shape[1]} points")
    if max_images < 1:
        raise ValueError(f"max_images must be >= 1, got {max_images}")
    for image in images[:max_images]:
        image = to_numpy(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"images must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
