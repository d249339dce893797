"""Sections of the report found in a run folder's standard files.

Layout read (each part optional)::

    run_dir/
      metrics.json     a mapping name -> value (nested allowed) or a list of row mappings -> a table
      metrics.txt      the same metrics as a plain-text table (as the evaluation writes it) -> text
      *.png            images, captioned from their file names ("val_quadruplets_step_500.png" ->
      figures/*.png    "val quadruplets step 500"), in name order, top-level ones first
      tensorboard/, csv/, mlruns/   the logger's files -> loss curves, last quadruplets (report.training_log)
      health.csv       the keypoints' health during training -> curves and a table (report.health)
      config.yaml      the resolved config -> preformatted text
      evaluation/      metrics and figures of `landmarks evaluate`, read the same way

A folder holding none of ``config.yaml``, ``metrics.json``, ``metrics.txt``, ``health.csv``,
``checkpoints/`` and ``evaluation/`` is not a run (or evaluation) folder, and is refused: a page of
the images of a plain image folder would say nothing about any run.
"""

from __future__ import annotations

import json
from pathlib import Path

from landmarks.errors import DataError
from landmarks.report.health import HEALTH_FILE, health_sections
from landmarks.report.page import Section
from landmarks.report.training_log import LOGGER_DIRS, training_log_sections

METRICS_FILE = "metrics.json"
METRICS_TEXT_FILE = "metrics.txt"
FIGURES_DIR = "figures"
CONFIG_FILE = "config.yaml"
EVALUATION_DIR = "evaluation"


def collect_run_sections(run_dir: str | Path) -> list[Section]:
    """The report sections for the standard files present in ``run_dir``: metrics, figures, the
    keypoints' health during training, config.

    Evaluation folders (``metrics.json``, ``metrics.txt`` and PNGs side by side) are read the same way.
    """
    run_dir = Path(run_dir)
    check_run_folder(run_dir)
    sections = _results_sections(run_dir, run_dir, "") + training_log_sections(run_dir)
    sections += health_sections(run_dir)
    evaluation = run_dir / EVALUATION_DIR
    if evaluation.is_dir():  # where `landmarks evaluate` writes by default
        sections += _results_sections(evaluation, run_dir, "Evaluation: ")
    config_path = run_dir / CONFIG_FILE
    if config_path.is_file():
        sections.append(Section("Config", "text", config_path.read_text(encoding="utf-8")))
    return sections


def check_run_folder(run_dir: Path) -> None:
    """Raise :class:`DataError` unless ``run_dir`` is a run folder or an evaluation folder (module)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise DataError(run_dir, "is a file; give a run folder (landmarks fit) or an evaluation folder")
    if not run_dir.is_dir():
        raise DataError(run_dir, "run folder does not exist")
    marks = (CONFIG_FILE, METRICS_FILE, METRICS_TEXT_FILE, HEALTH_FILE, "checkpoints", EVALUATION_DIR,
             *LOGGER_DIRS)
    if not any((run_dir / name).exists() for name in marks):
        raise DataError(run_dir, f"not a run folder or an evaluation folder (none of {', '.join(marks)}); "
                                 f"give the folder landmarks fit, demo or evaluate wrote")


def _results_sections(folder: Path, run_dir: Path, prefix: str) -> list[Section]:
    """Metrics table, metrics text and figures found in ``folder``; image paths relative to ``run_dir``."""
    sections = []
    metrics_path = folder / METRICS_FILE
    if metrics_path.is_file():
        sections.append(Section(f"{prefix}Metrics", "table", _read_metrics(metrics_path)))
    metrics_text = folder / METRICS_TEXT_FILE
    if metrics_text.is_file():
        sections.append(Section(f"{prefix}Metrics (text)", "text", metrics_text.read_text(encoding="utf-8")))
    figures = sorted(folder.glob("*.png")) + sorted((folder / FIGURES_DIR).glob("*.png"))
    if figures:
        images = [(path.relative_to(run_dir), caption_from_name(path)) for path in figures]
        sections.append(Section(f"{prefix}Figures", "images", images))
    return sections


def caption_from_name(path: str | Path) -> str:
    """A caption from a file name: the stem with underscores and dashes as spaces."""
    return Path(path).stem.replace("_", " ").replace("-", " ")


def _read_metrics(path: Path) -> dict | list:
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(path, f"cannot read metrics ({error})") from None
    if not isinstance(metrics, dict | list) or (
        isinstance(metrics, list) and not all(isinstance(row, dict) for row in metrics)
    ):
        raise DataError(path, "metrics must be a JSON object or a list of objects")
    return metrics
