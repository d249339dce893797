"""Writing an evaluation to a folder: metrics.json, metrics.txt and the PNG figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from landmarks.evaluation.protocol import EvaluationResult
from landmarks.viz.curves import pck_curve_figure, regressed_points_figure, sample_efficiency_figure
from landmarks.viz.matching import matched_landmarks_figure

FIGURE_DPI = 120


def save_result(result: EvaluationResult, folder: str | Path) -> tuple[Path, Path]:
    """Write ``metrics.json`` (:meth:`EvaluationResult.to_dict`) and ``metrics.txt`` (its table)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, text_path = folder / "metrics.json", folder / "metrics.txt"
    json_path.write_text(json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    text_path.write_text(result.table(), encoding="utf-8")
    return json_path, text_path


def save_figures(
    result: EvaluationResult,
    folder: str | Path,
    *,
    test_images: Sequence[np.ndarray] | None = None,
    test_annotated: np.ndarray | None = None,
    test_rows: Sequence[int] | None = None,
) -> list[Path]:
    """Write ``sample_efficiency.png``, ``pck_curve.png`` and, given test images (``(H, W, 3)`` uint8)
    and their annotations ``(M, L, 2)``, ``regressed_points.png`` and ``matched_landmarks.png`` (the raw
    learned landmark matched to each annotated point, paper Fig. 4). ``test_rows``: the rows of the test
    set those images are (default: the first ones), to pick their predictions. Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = result.sample_efficiency
    figures = {
        "sample_efficiency.png": sample_efficiency_figure(
            [row.n for row in rows],
            [row.mean for row in rows],
            [row.std for row in rows],
            labels=[row.label for row in rows],
            ylabel=result.sample_efficiency_metric,
        ),
        "pck_curve.png": pck_curve_figure(
            result.pck_distances,
            result.regression.pck_curve,
            result.point_names,
            title="PCK of the regression",
        ),
    }
    if test_images is None or test_annotated is None:
        return [save_figure(figure, folder / name) for name, figure in figures.items()]
    count = min(len(test_images), len(test_annotated))
    shown = list(test_rows[:count]) if test_rows is not None else list(range(count))
    images, annotated = test_images[:count], test_annotated[:count]
    if result.test_predictions is not None:
        figures["regressed_points.png"] = regressed_points_figure(
            images, annotated, result.test_predictions[shown])
    if result.test_matched is not None:
        figures["matched_landmarks.png"] = matched_landmarks_figure(
            images, annotated, result.test_matched[shown], point_names=result.point_names)
    return [save_figure(figure, folder / name) for name, figure in figures.items()]


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Save a figure as PNG."""
    figure.savefig(path, dpi=FIGURE_DPI)
    return Path(path)
