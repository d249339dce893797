"""Landmarks tracked through a video, as the paper's Fig. 5 (right): a filmstrip and trajectories.

Each learned landmark keeps one colour in every frame (:func:`~landmarks.viz.draw.landmark_colours`),
so a reader can follow it along the strip; the trajectory figure draws the same colours.

Pure drawing: arrays in, a ``uint8`` array or a matplotlib ``Figure`` out; nothing is saved.

Convention:
    Landmarks are pixel ``(x, y)`` of each frame, the centre of the top-left pixel at ``(0, 0)``
    (:mod:`landmarks.geometry.coordinates`). Frame ``t`` of the video is index ``t`` of both arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from landmarks.viz.draw import draw_landmarks, landmark_colours, to_numpy
from landmarks.viz.grids import image_grid

MAX_FRAMES = 8  # frames shown in a filmstrip by default


def strip_indices(num_frames: int, every: int = 1, max_frames: int | None = MAX_FRAMES) -> np.ndarray:
    """Indices of the frames a filmstrip shows: ``0, every, 2 * every, ...``, at most ``max_frames``."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1 or None, got {max_frames}")
    return np.arange(0, num_frames, every)[:max_frames]


def filmstrip(
    frames,
    landmarks,
    *,
    every: int = 1,
    max_frames: int | None = MAX_FRAMES,
    columns: int | None = None,
    radius: float | None = None,
    pad: int = 2,
) -> np.ndarray:
    """Every ``every``-th frame with its landmarks, left to right (then top to bottom), as one image.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB, or a sequence of T such ``(H, W, 3)`` frames.
        landmarks: ``(T, K, 2)`` pixel ``(x, y)`` in each frame (NaN: not drawn).
        every: show frames ``0, every, 2 * every, ...``.
        max_frames: at most this many frames (None: all selected).
        columns: frames per row (default: all in one row).
        radius: marker radius in pixels (default :func:`~landmarks.viz.draw.default_radius`).
        pad: white pixels between and around the frames.

    Returns:
        ``(rows * (H + pad) + pad, columns * (W + pad) + pad, 3)`` uint8.
    """
    points = _check(frames, landmarks)
    indices = strip_indices(len(points), every, max_frames)
    colours = landmark_colours(points.shape[1])
    drawn = [draw_landmarks(to_numpy(frames[t]), points[t], colours=colours, radius=radius) for t in indices]
    columns = len(drawn) if columns is None else columns
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    rows = [drawn[start : start + columns] for start in range(0, len(drawn), columns)]
    return image_grid(rows, pad=pad)


def trajectories_figure(
    landmarks,
    *,
    background: np.ndarray | None = None,
    frame_size: tuple[int, int] | None = None,
    fps: float | None = None,
    title: str | None = "Landmark trajectories",
) -> Figure:
    """Each landmark's path over the video (left) and its ``x`` and ``y`` against time (right).

    Args:
        landmarks: ``(T, K, 2)`` pixel ``(x, y)`` in each frame (NaN: a gap in the path).
        background: an ``(H, W, 3)`` uint8 frame drawn under the paths (e.g. the first one).
        frame_size: ``(H, W)`` of the frames, for the axes' limits when there is no background.
        fps: frames per second; the time axis is in seconds when given, in frames otherwise.
        title: the figure's title, or None.
    """
    points = to_numpy(landmarks).astype(np.float64)
    if points.ndim != 3 or points.shape[2] != 2 or points.shape[0] < 1:
        raise ValueError(f"landmarks must be (T, K, 2) with T >= 1, got {points.shape}")
    colours = landmark_colours(points.shape[1]) / 255.0  # (K, 3) in [0, 1]
    time = np.arange(len(points)) / (fps or 1.0)  # (T,)
    figure = Figure(figsize=(9, 3.8), layout="constrained")
    grid = figure.add_gridspec(2, 2, width_ratios=(1, 1.3))
    paths = figure.add_subplot(grid[:, 0])
    _draw_paths(paths, points, colours, background, frame_size)
    for row, (axis, name) in enumerate(((0, "x"), (1, "y"))):
        axes = figure.add_subplot(grid[row, 1])
        for k, colour in enumerate(colours):
            axes.plot(time, points[:, k, axis], color=colour, linewidth=1)
        axes.set_ylabel(f"{name} (pixels)")
        axes.grid(alpha=0.3)
        if axis == 1:
            axes.invert_yaxis()  # y grows downwards in images
            axes.set_xlabel("time (s)" if fps else "frame")
    if title:
        figure.suptitle(title, fontsize="medium")
    return figure


def _draw_paths(axes, points: np.ndarray, colours: np.ndarray, background, frame_size) -> None:
    if background is not None:
        background = to_numpy(background)
        axes.imshow(background)
        frame_size = background.shape[:2]
    for k, colour in enumerate(colours):
        axes.plot(points[:, k, 0], points[:, k, 1], color=colour, linewidth=1.2)
        axes.scatter(*points[-1, k], s=18, color=colour, edgecolors="black", linewidths=0.5, zorder=3)
    if frame_size is not None:
        height, width = frame_size
        axes.set_xlim(-0.5, width - 0.5)
        axes.set_ylim(height - 0.5, -0.5)
    else:
        axes.invert_yaxis()
    axes.set_aspect("equal")
    axes.set_title("paths (dot: last frame)", fontsize="small")
    axes.set_xticks([]), axes.set_yticks([])


def _check(frames: np.ndarray | Sequence[np.ndarray], landmarks) -> np.ndarray:
    """Check frames and landmarks agree; return the landmarks as a float ``(T, K, 2)`` array."""
    points = to_numpy(landmarks).astype(np.float64)
    if points.ndim != 3 or points.shape[2] != 2:
        raise ValueError(f"landmarks must be (T, K, 2), got {points.shape}")
    if len(frames) != len(points):
        raise ValueError(f"{len(frames)} frames but landmarks for {len(points)}")
    if len(points) == 0:
        raise ValueError("filmstrip needs at least one frame")
    return points
