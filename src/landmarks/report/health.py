"""The keypoints' health during training in the run report: curves drawn from ``RUN/health.csv``.

``landmarks fit`` appends one row per logging step (:mod:`landmarks.training.health`); see
``docs/training.md``, "Is training working?", for what the numbers mean. Reading needs no torch.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from landmarks.errors import DataError
from landmarks.report.page import ASSETS_DIR, Section

HEALTH_FILE = "health.csv"  # written by landmarks.training.health.HealthMonitor
FIGURE_NAME = "health_curves.png"  # in the report's assets folder
FIGURE_DPI = 100
PANELS = {  # panel title -> {legend label: health.csv column}
    "equivariance error (% of width)": {"median": "equivariance"},
    "spread over a batch (% of width)": {"median": "spread_median", "mean": "spread_mean"},
    "collapsed keypoints (of K)": {"collapsed": "collapsed"},
    "coverage: hull of mean keypoints (% of area)": {"coverage": "coverage"},
    "share of keypoints at the border": {"border": "border_share"},
}
CAPTION = ("keypoint health during training: equivariance error under the known warps (low is good), "
           "spread of each keypoint over a batch (near 0: collapsed), collapsed keypoints, coverage of "
           "the image, share at the border (docs/training.md, 'Is training working?')")


def read_health(path: str | Path) -> dict[str, list[float]]:
    """``column -> values`` of a health CSV, in step order; of rows with the same step (a resumed run
    logs again the steps after its checkpoint) the last one written is kept."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as file:
            by_step = {int(row["step"]): row for row in csv.DictReader(file)}
        steps = sorted(by_step)
        columns = list(next(iter(by_step.values()))) if by_step else ["step"]
        return {name: [float(by_step[step][name]) for step in steps] for name in columns}
    except (OSError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        raise DataError(path, f"cannot read the health log ({error.__class__.__name__}: {error})") from None


def health_sections(run_dir: str | Path) -> list[Section]:
    """A figure of the health curves and a table of the last check, or nothing without ``health.csv``.

    The figure is written to ``run_dir/report_files/health_curves.png``.
    """
    run_dir = Path(run_dir)
    path = run_dir / HEALTH_FILE
    if not path.is_file():
        return []
    health = read_health(path)
    if not health["step"]:
        return []
    from landmarks.viz.training_curves import training_curves_figure  # matplotlib only when needed

    panels = {title: {label: health[column] for label, column in curves.items() if column in health}
              for title, curves in PANELS.items()}
    figure = training_curves_figure([int(step) for step in health["step"]], panels)
    figure_path = run_dir / ASSETS_DIR / FIGURE_NAME
    figure_path.parent.mkdir(exist_ok=True)
    figure.savefig(figure_path, dpi=FIGURE_DPI)
    last = {name: _number(values[-1]) for name, values in health.items()}
    return [Section("Keypoint health during training", "images", [(figure_path, CAPTION)]),
            Section("Keypoint health at the last check", "table", last)]


def _number(value: float) -> float | int | str:
    if math.isnan(value):
        return "n/a"
    return int(value) if value.is_integer() else value
