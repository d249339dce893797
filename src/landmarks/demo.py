"""``landmarks demo``: the whole method on a fresh machine, within a time budget.

1. Render annotated synthetic faces that training never sees: a regression set and a test set.
2. Train the ``demo`` config on built-in synthetic faces until the budget left for training is spent.
3. Evaluate as the paper does (linear regression to the 5 annotated points, inter-ocular error),
   with the mean-shape and untrained-detector baselines.
4. Write figures and one HTML page, ``RUN/report.html``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path

from landmarks.config_loading import load_config
from landmarks.data.images import load_image
from landmarks.denormals import flush_denormals
from landmarks.errors import ConfigError
from landmarks.evaluation.annotations import read_annotations
from landmarks.evaluation.evaluate_model import ProtocolOptions, evaluate_checkpoint
from landmarks.evaluation.protocol import EvaluationResult
from landmarks.figures import model_figures
from landmarks.installed_fallback import loss_description, usable_config
from landmarks.models.checkpoint import load_trained_model
from landmarks.report import Section, build_report
from landmarks.report.health import health_sections
from landmarks.synthetic.faces import (
    SYNTHETIC_FACE_EYES,
    SYNTHETIC_FACE_POINT_NAMES,
    write_synthetic_faces,
)
from landmarks.training.data import LandmarkData, data_image_size
from landmarks.training.fit import fit, new_run_dir
from landmarks.training.run_folder import check_run_dir
from landmarks.viz.selection import evenly_spaced

logger = logging.getLogger(__name__)

REGRESSION_IMAGES = 1000  # annotated faces for fitting the linear map
TEST_IMAGES = 300  # annotated faces for reporting errors
ANNOTATED_SCALE = 2  # annotated faces are rendered at twice the model's size and resized like any image
# Kept from the budget for evaluation, figures and the report: with the ImageNet detector they took
# 30 s on one core of an AMD EPYC (4-8 s on 2 cores with the detector from scratch); the rest trains.
EVALUATION_MINUTES = 0.5
FIGURE_IMAGES = 8
MIN_TRAIN_MINUTES = 0.5


def run_demo(minutes: float = 10.0, output_dir: str | Path | None = None,
             overrides: list[str] | None = None) -> Path:
    """Run the demo; returns the path of its HTML report."""
    started = time.monotonic()
    flush_denormals()  # before any torch work (landmarks.denormals); the command line did it already
    if minutes - EVALUATION_MINUTES < MIN_TRAIN_MINUTES:  # refused before any work
        raise ConfigError(_too_short(minutes))
    config, warnings = usable_config(load_config("demo", overrides or []))
    # Absolute: figure paths are written relative to the run folder, whatever the working directory.
    run_dir = (Path(output_dir) if output_dir is not None else new_run_dir(config)).resolve()
    check_run_dir(run_dir)  # a new or empty folder: an earlier demo's or run's files are never replaced
    for line in warnings:  # after the refusals: a refused demo says one line
        logger.warning("[demo] %s", line)
    loss_used = loss_description(config)
    data_dir = run_dir / "data"
    logger.info("[demo] run folder %s; rendering %d annotated faces", run_dir,
                REGRESSION_IMAGES + TEST_IMAGES)
    first = config.data.synthetic_count + config.data.validation_count  # after every training face
    size = config.model.image_size * ANNOTATED_SCALE
    seed = config.data.synthetic_seed
    train_csv = write_synthetic_faces(data_dir, REGRESSION_IMAGES, size, seed, "train", start=first)
    test_csv = write_synthetic_faces(data_dir, TEST_IMAGES, size, seed, "test",
                                     start=first + REGRESSION_IMAGES)

    data = LandmarkData(config.data, data_image_size(config), seed=config.trainer.seed)
    data.setup("fit")  # draws the training faces into memory (data.preload): part of the budget
    train_minutes = minutes - (time.monotonic() - started) / 60 - EVALUATION_MINUTES
    if train_minutes < MIN_TRAIN_MINUTES:  # the annotated faces and the preloading took the rest
        raise ConfigError(_too_short(minutes))
    logger.info("[demo] training for up to %.1f minutes", train_minutes)
    config = replace(config, trainer=replace(config.trainer, max_minutes=train_minutes))
    fit(config, run_dir=run_dir, data=data, inputs_inside=("data",))

    logger.info("[demo] evaluating on held-out faces")
    train, test = (replace(read_annotations(csv, data_dir), point_names=SYNTHETIC_FACE_POINT_NAMES)
                   for csv in (train_csv, test_csv))
    options = ProtocolOptions(eye_indices=SYNTHETIC_FACE_EYES, draws=5)
    result = evaluate_checkpoint(run_dir, train=train, test=test, options=options,
                                 output_dir=run_dir / "evaluation")
    trained = load_trained_model(run_dir)
    shown = [test.paths[row] for row in evenly_spaced(len(test), FIGURE_IMAGES)]  # different faces
    figures = model_figures(trained, [load_image(path) for path in shown], run_dir / "figures")
    summary = demo_summary(result, trained.step, (time.monotonic() - started) / 60)
    summary["loss"] = loss_used
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    logger.info("%s", result.table())
    return build_report(run_dir, title="landmarks demo: synthetic faces",
                        sections=_sections(run_dir, summary, figures))


def _too_short(minutes: float) -> str:
    return f"--minutes {minutes} leaves no time to train; give at least {EVALUATION_MINUTES + 2}"


def demo_summary(result: EvaluationResult, steps: int, minutes: float) -> dict[str, float | int | str]:
    """The headline numbers: regression error against both baselines (% of inter-ocular distance)."""
    errors = {s.name: s.normalised_error for s in [result.regression, *result.baselines]}
    learned = result.regression.normalised_error
    mean_shape = errors.get("mean training shape", float("nan"))
    return {
        "learned landmarks error (%)": learned,
        "mean-shape baseline error (%)": mean_shape,
        "untrained detector error (%)": errors.get("untrained detector", float("nan")),
        "learned / mean-shape": learned / mean_shape,
        "training steps": steps,
        "total minutes": round(minutes, 2),
    }


def _sections(run_dir: Path, summary: dict, figures: list[Path]) -> list[Section]:
    evaluation = run_dir / "evaluation"

    def captioned(paths):
        return [(p, _CAPTIONS.get(p.stem, p.stem.replace("_", " "))) for p in paths]

    return [
        Section("Summary", "table", summary),
        Section("What the model learned", "images", captioned(figures)),
        Section("Evaluation", "images", captioned(sorted(evaluation.glob("*.png")))),
        Section("Evaluation tables", "text", (evaluation / "metrics.txt").read_text()),
        *health_sections(run_dir),
        Section("Config", "text", (run_dir / "config.yaml").read_text()),
    ]


_CAPTIONS = {
    "quadruplets": "source | target | reconstruction from source appearance + target landmarks | "
                   "learned landmarks on the target",
    "heatmaps_0": "score maps of the first landmarks, with their x and y marginals",
    "heatmaps_1": "score maps of the first landmarks, with their x and y marginals",
    "regressed_points": "annotated points (hollow) and points regressed from the learned landmarks (filled)",
    "matched_landmarks": "raw learned landmarks (filled) matched one to one to the annotated points "
                         "(hollow) by the Hungarian assignment, no regression (paper Fig. 4)",
    "sample_efficiency": "test error against the number of annotated images used to fit the regressor",
    "pck_curve": "fraction of regressed points within d pixels of the annotation",
}
