"""Evaluating a trained model: extract its landmarks on annotated sets, run the protocol, save results.

This is the Python API behind ``landmarks evaluate``::

    from landmarks.evaluation.evaluate_model import evaluate_checkpoint
    result = evaluate_checkpoint("runs/cpu-.../checkpoints/last.ckpt", train=train_set, test=test_set)

Images are brought to the model's input exactly as in training (the run's ``data.resize`` settings)
and the learned landmarks mapped back to each image's own pixels before regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from landmarks.data.images import load_image
from landmarks.evaluation.annotations import AnnotationSet
from landmarks.evaluation.extract import extract_landmarks, keypoint_function, resize_spec
from landmarks.evaluation.protocol import PAPER_PCK_DISTANCE, EvaluationResult, evaluate
from landmarks.evaluation.report import save_figures, save_result
from landmarks.evaluation.saved_regressor import FILE_NAME as REGRESSOR_FILE
from landmarks.evaluation.saved_regressor import save_regressor
from landmarks.models.checkpoint import TrainedModel, load_trained_model
from landmarks.models.landmark_model import LandmarkModel, build_model

FIGURE_IMAGES = 16  # test images shown in regressed_points.png
UNTRAINED_SEED = 0  # the untrained-detector baseline is reproducible


@dataclass(frozen=True)
class ProtocolOptions:
    """How the regression and metrics are computed (see :func:`landmarks.evaluation.protocol.evaluate`)."""

    eye_indices: tuple[int, int] | None = (0, 1)
    pck_distance: float = PAPER_PCK_DISTANCE
    bias: bool = False
    ridge: bool = False
    draws: int = 10
    seed: int = 0


def untrained_model(trained: TrainedModel) -> LandmarkModel:
    """A model with the same config and a fresh initialisation (the baseline the paper implies)."""
    with torch.random.fork_rng():
        torch.manual_seed(UNTRAINED_SEED)
        return build_model(trained.config.model).eval()


def evaluate_checkpoint(
    checkpoint: str | Path,
    *,
    train: AnnotationSet,
    test: AnnotationSet,
    val: AnnotationSet | None = None,
    options: ProtocolOptions = ProtocolOptions(),
    output_dir: str | Path | None = None,
    device: str = "cpu",
    batch_size: int = 32,
) -> EvaluationResult:
    """Regress annotated points from a checkpoint's learned landmarks and report the paper's metrics.

    Also reports the same regression from an untrained detector and the mean-training-shape baseline.
    When ``output_dir`` is given, writes ``metrics.json``, ``metrics.txt`` and the figures there.
    """
    trained = load_trained_model(checkpoint)
    spec = resize_spec(trained)
    splits = [s for s in (train, test, val) if s is not None]

    def landmarks_of(model: LandmarkModel) -> list[np.ndarray]:
        keypoints = keypoint_function(model, device)
        return [extract_landmarks(keypoints, s.paths, spec, batch_size=batch_size, device=device)
                for s in splits]

    learned = landmarks_of(trained.model)
    untrained = landmarks_of(untrained_model(trained))
    result = evaluate(
        learned[0], train.points, learned[1], test.points,
        val_learned=learned[2] if val is not None else None,
        val_annotated=val.points if val is not None else None,
        eye_indices=options.eye_indices, pck_distance=options.pck_distance, bias=options.bias,
        ridge=options.ridge, draws=options.draws, seed=options.seed,
        baseline_learned=(untrained[0], untrained[1]),
        baseline_val_learned=untrained[2] if val is not None else None,
        point_names=train.point_names or None,
    )
    result.settings.update({"checkpoint": str(checkpoint), "checkpoint_step": trained.step,
                            "num_landmarks": trained.config.model.num_landmarks})
    if output_dir is not None:
        save_evaluation(result, output_dir, test)
    return result


def save_evaluation(result: EvaluationResult, output_dir: str | Path, test: AnnotationSet) -> list[Path]:
    """Write the metrics files, figures (regressed points on the first test images) and the fitted
    regressor (``regressor.safetensors``, read by ``landmarks detect --regressor``)."""
    count = min(FIGURE_IMAGES, len(test))
    images = [load_image(path) for path in test.paths[:count]]
    written = list(save_result(result, output_dir))
    written += save_figures(result, output_dir, test_images=images, test_annotated=test.points[:count])
    if result.linear_map is not None:
        path = Path(output_dir) / REGRESSOR_FILE
        written.append(save_regressor(result.linear_map, result.point_names, path))
    return written
