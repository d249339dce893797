"""Loss curves and the last logged quadruplets of a ``landmarks fit`` run, read from its logger's files.

What ``trainer.logger`` wrote (:mod:`landmarks.training.loggers`) is read back without torch:

* ``tensorboard``: ``RUN/tensorboard/events.out.tfevents.*`` (scalars and images, through
  TensorBoard's own event reader);
* ``csv``: ``RUN/csv/metrics.csv`` and the grids ``RUN/csv/images/<tag>-step-<step>.png``;
* ``mlflow``: the file store ``RUN/mlruns/<experiment>/<run>/metrics/...`` and ``artifacts/<tag>/``.

wandb keeps its runs in its own binary format: a wandb run's report has no curves (``wandb sync``).
The quadruplets are the paper's Fig. 2 layout as training logged them (source, target, reconstruction,
landmarks on the target), the last of each tag (``train/quadruplets``, ``val/quadruplets``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from landmarks.report.page import ASSETS_DIR, Section

# Where each logger (trainer.logger) writes inside a run folder: tensorboard, csv, mlflow.
LOGGER_DIRS = ("tensorboard", "csv", "mlruns")
FIGURE_NAME = "loss_curves.png"
FIGURE_DPI = 100
IMAGE_TAGS = ("train/quadruplets", "val/quadruplets")
LAYERS_PANEL = "perceptual loss: error per layer (training, log scale)"
_CSV_IMAGE = re.compile(r"^(?P<tag>.+)-step-(?P<step>\d+)\.png$")
Scalars = dict[str, tuple[list[int], list[float]]]  # tag -> (steps, values)


def training_log_sections(run_dir: str | Path) -> list[Section]:
    """A figure of the loss curves and the last logged quadruplets, or nothing where no log is found.

    Files are written to ``run_dir/report_files/``.
    """
    run_dir = Path(run_dir)
    scalars, images = read_training_log(run_dir)
    sections = []
    panels = loss_panels(scalars)
    if panels:
        from landmarks.viz.training_curves import training_curves_figure  # matplotlib only when needed

        figure = training_curves_figure([], {title: {label: scalars[tag] for label, tag in curves.items()}
                                             for title, curves in panels.items()}, log_scale=[LAYERS_PANEL])
        path = run_dir / ASSETS_DIR / FIGURE_NAME
        path.parent.mkdir(exist_ok=True)
        figure.savefig(path, dpi=FIGURE_DPI)
        caption = ("losses during training: the total loss on training batches and on the validation "
                   "set, and each layer's error of the perceptual loss")
        sections.append(Section("Losses during training", "images", [(path, caption)]))
    if images:
        copies = []
        for tag, (step, data) in sorted(images.items()):
            path = run_dir / ASSETS_DIR / f"{tag.replace('/', '-')}-last.png"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            copies.append((path, f"{tag} at step {step}: source, target, reconstruction, landmarks "
                                 f"(paper Fig. 2)"))
        sections.append(Section("Quadruplets logged during training", "images", copies))
    return sections


def loss_panels(scalars: Scalars) -> dict[str, dict[str, str]]:
    """Panel title -> {curve label: tag} for the loss tags present in ``scalars``."""
    panels = {"loss": {name: tag for name, tag in (("train", "train/loss"), ("validation", "val/loss"))
                       if tag in scalars}}
    layers = {tag.removeprefix("train/error_"): tag for tag in sorted(scalars)
              if tag.startswith("train/error_")}
    if layers:
        panels[LAYERS_PANEL] = layers
    return {title: curves for title, curves in panels.items() if curves}


def read_training_log(run_dir: Path) -> tuple[Scalars, dict[str, tuple[int, bytes]]]:
    """``(scalars, last images)`` of whichever logger's files ``run_dir`` holds (empty if none)."""
    if (run_dir / LOGGER_DIRS[0]).is_dir():
        return _read_tensorboard(run_dir / LOGGER_DIRS[0])
    if (run_dir / LOGGER_DIRS[1]).is_dir():
        return _read_csv(run_dir / LOGGER_DIRS[1])
    if (run_dir / LOGGER_DIRS[2]).is_dir():
        return _read_mlflow(run_dir / LOGGER_DIRS[2])
    return {}, {}


def _read_tensorboard(folder: Path) -> tuple[Scalars, dict[str, tuple[int, bytes]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars, images = {}, {}
    for events in sorted(folder.glob("events.out.tfevents.*")):  # a resumed run adds a file
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0, "images": 0})
        accumulator.Reload()
        tags = accumulator.Tags()
        for tag in tags.get("scalars", []):
            _extend(scalars, tag, ((e.step, e.value) for e in accumulator.Scalars(tag)))
        for tag in tags.get("images", []):
            last = accumulator.Images(tag)[-1]
            if tag not in images or last.step >= images[tag][0]:
                images[tag] = (last.step, last.encoded_image_string)
    return scalars, images


def _read_csv(folder: Path) -> tuple[Scalars, dict[str, tuple[int, bytes]]]:
    scalars: Scalars = {}
    metrics = folder / "metrics.csv"
    if metrics.is_file():
        with metrics.open(newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                for tag, value in row.items():
                    if tag not in ("step", "epoch") and value not in ("", None):
                        _extend(scalars, tag, [(int(row["step"]), float(value))])
    images = {}
    for path in sorted((folder / "images").glob("*.png")):
        match = _CSV_IMAGE.match(path.name)
        if match:
            tag, step = match["tag"].replace("-", "/", 1), int(match["step"])
            if tag not in images or step >= images[tag][0]:
                images[tag] = (step, path.read_bytes())
    return scalars, images


def _read_mlflow(store: Path) -> tuple[Scalars, dict[str, tuple[int, bytes]]]:
    scalars: Scalars = {}
    images = {}
    for run in (path.parent for path in store.glob("*/*/metrics")):
        for metric in (path for path in (run / "metrics").rglob("*") if path.is_file()):
            rows = (line.split() for line in metric.read_text(encoding="utf-8").splitlines())
            tag = metric.relative_to(run / "metrics").as_posix()
            _extend(scalars, tag, ((int(row[2]), float(row[1])) for row in rows if len(row) >= 3))
        for tag in IMAGE_TAGS:
            steps = sorted((run / "artifacts" / tag).glob("step-*.png"))
            if steps:
                images[tag] = (int(steps[-1].stem.removeprefix("step-")), steps[-1].read_bytes())
    return scalars, images


def _extend(scalars: Scalars, tag: str, points: Iterator[tuple[int, float]] | list) -> None:
    steps, values = scalars.setdefault(tag, ([], []))
    for step, value in points:
        steps.append(int(step))
        values.append(float(value))

