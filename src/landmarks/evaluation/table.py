"""The evaluation result as a plain-text table (pure: result in, text out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from landmarks.evaluation.protocol import EvaluationResult
    from landmarks.evaluation.scores import Scores


def format_result_table(result: EvaluationResult) -> str:
    """Settings, one table per metric (methods x points), the sample-efficiency curve, and notes."""
    settings = result.settings
    lines = [
        f"Landmark evaluation: K={settings['num_learned']} learned -> L={settings['num_annotated']} "
        f"annotated points; {settings['n_train']} train / {settings['n_test']} test images",
        f"Regressor: {settings['regressor']}"
        + (f", alpha={settings['ridge_alpha']:g}" if settings["ridge_alpha"] is not None else ""),
        "",
    ]
    methods = [result.regression, *result.baselines, result.raw_landmarks]
    names = list(result.point_names)
    if result.regression.normalised_error is not None:
        left, right = settings["eye_indices"]
        title = f"Error, % of the distance between {names[left]} and {names[right]} (test)"
        rows = [(m.name, m.normalised_error, m.per_point_normalised_error) for m in methods]
        lines += _metric_table(title, names, rows) + [""]
    title = f"PCK at {settings['pck_distance_px']:g} px, % (test)"
    rows = [(m.name, 100 * m.mean_pck, 100 * m.pck) for m in methods]
    lines += _metric_table(title, names, rows) + [""]
    rows = [(m.name, m.pixel_error, m.per_point_pixel_error) for m in methods]
    lines += _metric_table("Mean error, pixels (test)", names, rows) + [""]
    if result.validation is not None:
        lines += _validation_lines(result.validation) + [""]
    matched = ", ".join(
        f"{name}->{index}" for name, index in zip(names, result.matching.tolist(), strict=True)
    )
    lines += [f"Hungarian matching (annotated point -> learned landmark): {matched}", ""]
    lines += [f"Sample efficiency: {result.sample_efficiency_metric}, mean +- std over random draws (test)"]
    lines += [f"{'n':>8}  {'mean':>8}  {'std':>8}  draws"]
    for row in result.sample_efficiency:
        marker = "  (minimum-norm)" if row.minimum_norm else ""
        lines.append(f"{row.label:>8}  {_number(row.mean)}  {_number(row.std)}  {row.draws:>5}{marker}")
    if result.notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def _metric_table(title: str, point_names: Sequence[str], rows) -> list[str]:
    """``rows``: (method name, overall value, (L,) per-point values)."""
    width = max(len(name) for name, _, _ in rows)
    columns = ["mean", *point_names]
    header = f"{'':<{width}}  " + "  ".join(f"{column[:8]:>8}" for column in columns)
    body = [
        f"{name:<{width}}  "
        + "  ".join(_number(value) for value in [overall, *np.asarray(per_point).tolist()])
        for name, overall, per_point in rows
    ]
    return [title, header, *body]


def _validation_lines(scores: Scores) -> list[str]:
    parts = [f"pixel error {scores.pixel_error:.2f}", f"PCK {100 * scores.mean_pck:.2f}%"]
    if scores.normalised_error is not None:
        parts.insert(0, f"normalised error {scores.normalised_error:.2f}%")
    return ["Regression on the validation split: " + ", ".join(parts)]


def _number(value) -> str:
    return f"{'-':>8}" if value is None or not np.isfinite(value) else f"{value:8.2f}"
