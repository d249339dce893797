"""Evaluation figures: the sample-efficiency curve, PCK curves, regressed points on images.

Pure drawing: arrays in, a matplotlib ``Figure`` out (built without pyplot, so no global state and
no display; saving is the caller's job). Points are pixel ``(x, y)``, the centre of the top-left pixel
at ``(0, 0)`` (:mod:`landmarks.geometry.coordinates`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

MAX_IMAGES = 16


def sample_efficiency_figure(
    sizes: Sequence[int],
    means: Sequence[float],
    stds: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    ylabel: str = "error",
    title: str = "Sample efficiency",
) -> Figure:
    """Error against the number n of training images (log x), with ``+- std`` error bars (paper, Fig. 3).

    Args:
        sizes: ``(S,)`` n of each point (``"all"`` drawn at the training-set size).
        means, stds: ``(S,)`` the error's mean and standard deviation over random draws.
        labels: ``(S,)`` tick labels (default ``str(n)``).
    """
    figure = Figure(figsize=(5, 3.5), layout="constrained")
    axes = figure.add_subplot()
    axes.errorbar(sizes, means, yerr=stds, marker="o", capsize=3)
    axes.set_xscale("log")
    axes.set_xticks(list(sizes), labels=list(labels) if labels is not None else [str(n) for n in sizes])
    axes.minorticks_off()
    axes.set_xlabel("training images n")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    return figure


def pck_curve_figure(
    distances: np.ndarray, curve: np.ndarray, point_names: Sequence[str], *, title: str = "PCK"
) -> Figure:
    """Fraction of points within d pixels against d: one line per point and their average (bold).

    Args:
        distances: ``(D,)`` pixels.
        curve: ``(D, L)`` fractions in ``[0, 1]`` (NaN for a point with no annotation).
        point_names: L names.
    """
    curve = np.asarray(curve, dtype=np.float64)
    figure = Figure(figsize=(5, 3.5), layout="constrained")
    axes = figure.add_subplot()
    for index, name in enumerate(point_names):
        axes.plot(distances, 100 * curve[:, index], linewidth=1, alpha=0.7, label=name)
    present = ~np.isnan(curve)
    average = np.where(present, curve, 0).sum(1) / np.maximum(present.sum(1), 1)  # (D,)
    axes.plot(distances, 100 * average, color="black", linewidth=2.5, label="average")
    axes.set_xlabel("distance d (pixels)")
    axes.set_ylabel("points within d (%)")
    axes.set_ylim(0, 100)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", ncol=2, loc="lower right")
    return figure


def regressed_points_figure(
    images: Sequence[np.ndarray], gt: np.ndarray, pred: np.ndarray, *, max_images: int = MAX_IMAGES
) -> Figure:
    """Regressed points on images, as the paper's Fig. 3: ground truth as white-edged hollow circles,
    predictions as filled dark dots, on a grid of up to ``max_images`` images.

    Args:
        images: N ``(H, W, 3)`` uint8 RGB images.
        gt: ``(N, L, 2)`` ground-truth pixels (NaN where missing, not drawn).
        pred: ``(N, L, 2)`` predicted pixels.
    """
    count = min(len(images), max_images)
    columns = min(count, 4)
    rows = max(1, math.ceil(count / max(columns, 1)))
    figure = Figure(figsize=(2.2 * max(columns, 1), 2.2 * rows), layout="constrained")
    for index in range(count):
        axes = figure.add_subplot(rows, columns, index + 1)
        height, width = images[index].shape[:2]
        axes.imshow(images[index])  # pixel centres at integer coordinates, as our convention
        axes.scatter(*np.asarray(gt[index]).T, s=60, facecolors="none", edgecolors="white", linewidths=1.5)
        axes.scatter(*np.asarray(pred[index]).T, s=14, color="#202040", edgecolors="none")
        axes.set_xlim(-0.5, width - 0.5)
        axes.set_ylim(height - 0.5, -0.5)
        axes.set_axis_off()
    return figure
