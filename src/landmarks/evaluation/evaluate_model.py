"""Evaluating a trained model: extract its landmarks on annotated sets, run the protocol, save results.

This is the Python API behind ``landmarks evaluate``::

    from landmarks.evaluation.evaluate_model import evaluate_checkpoint
    result = evaluate_checkpoint("runs/cpu-.../checkpoints/last.ckpt", train=train_set, test=test_set)

Images are brought to the model's input by the evaluation set's own protocol when it has one (a named
dataset's preprocessing: CelebA's 160 -> 128 crop, AFLW's straight resize, whatever the model was
trained on, as the released code does), else as in training (the run's ``data.resize`` settings),
and the learned landmarks mapped back to each image's own pixels before regression. With
``ProtocolOptions(frame="model-input")`` the learned and annotated points are instead both taken to the
pixels of the ``S x S`` model input (after the resize and crop), and the regression fitted and scored
there: the paper's frame for MAFL and AFLW (errors in the 128 x 128 crop). The two differ when the
resize changes the aspect (CelebA's 178 x 218 -> 160 x 160), and least squares without bias also
depends on where the origin is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PIL import Image

from landmarks.data.images import load_image
from landmarks.data.preprocess import PixelTransform, ResizeSpec, fit_to_model, model_transform
from landmarks.errors import ConfigError, WeightsError
from landmarks.evaluation.annotations import AnnotationSet
from landmarks.evaluation.extract import extract_landmarks, keypoint_function, resize_spec
from landmarks.evaluation.protocol import PAPER_PCK_DISTANCE, EvaluationResult, evaluate
from landmarks.evaluation.report import save_figures, save_result
from landmarks.evaluation.saved_regressor import FILE_NAME as REGRESSOR_FILE
from landmarks.evaluation.saved_regressor import save_regressor
from landmarks.inference.image_input import to_rgb8
from landmarks.models.checkpoint import TrainedModel, load_trained_model
from landmarks.models.landmark_model import LandmarkModel, build_model
from landmarks.viz.selection import evenly_spaced

if TYPE_CHECKING:
    from landmarks.datasets.adapter import Preprocessing

FIGURE_IMAGES = 16  # test images shown in regressed_points.png, spread over the test set
FRAMES = ("image", "model-input")  # where points are regressed and errors measured
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
    frame: str = "image"  # one of FRAMES: each image's own pixels, or the model input's (the paper's faces)
    pck_scale: float = 1.0  # PCK thresholds in pixels of images scaled by this (BBC-Pose: 0.5)

    def __post_init__(self):
        if self.frame not in FRAMES:
            raise ConfigError(f"the evaluation frame must be one of {', '.join(FRAMES)}, got {self.frame!r}")


def untrained_model(trained: TrainedModel) -> LandmarkModel:
    """A model with the same config and a fresh initialisation (the baseline the paper implies)."""
    with torch.random.fork_rng():
        torch.manual_seed(UNTRAINED_SEED)
        try:  # a pretrained detector trunk starts from its ImageNet weights, as training does
            return build_model(trained.config.model).eval()
        except WeightsError:  # not on this machine: the trunk stays random too
            return build_model(trained.config.model, pretrained=False).eval()


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
    preprocessing: Preprocessing | None = None,
) -> EvaluationResult:
    """Regress annotated points from a checkpoint's learned landmarks and report the paper's metrics.

    ``preprocessing``: how the evaluation set's protocol brings its images to the model's input (a named
    dataset's, :func:`landmarks.datasets.protocol_preprocessing`); None: the run's own training settings.
    NOTE(released): the released code preprocesses per evaluation data set, so a model trained on
    VoxCeleb and scored on MAFL sees MAFL's crop.

    Also reports the same regression from an untrained detector and the mean-training-shape baseline.
    When ``output_dir`` is given, writes ``metrics.json``, ``metrics.txt`` and the figures there.
    """
    trained = load_trained_model(checkpoint)
    size = trained.config.model.image_size
    spec = resize_spec(trained) if preprocessing is None else preprocessing.spec(size)
    splits = [s for s in (train, test, val) if s is not None]

    def landmarks_of(model: LandmarkModel) -> list[np.ndarray]:
        keypoints = keypoint_function(model, device)
        return [extract_landmarks(keypoints, s.paths, spec, batch_size=batch_size, device=device)
                for s in splits]

    learned = landmarks_of(trained.model)
    untrained = landmarks_of(untrained_model(trained))
    annotated = [s.points for s in splits]
    if options.frame == "model-input":
        transforms = [[model_transform(*_height_width(path), spec) for path in s.paths] for s in splits]
        learned, untrained, annotated = (
            [_to_model_input(points, t) for points, t in zip(group, transforms, strict=True)]
            for group in (learned, untrained, annotated)
        )
    result = evaluate(
        learned[0], annotated[0], learned[1], annotated[1],
        val_learned=learned[2] if val is not None else None,
        val_annotated=annotated[2] if val is not None else None,
        eye_indices=options.eye_indices, pck_distance=options.pck_distance, pck_scale=options.pck_scale,
        bias=options.bias,
        ridge=options.ridge, draws=options.draws, seed=options.seed,
        baseline_learned=(untrained[0], untrained[1]),
        baseline_val_learned=untrained[2] if val is not None else None,
        point_names=train.point_names or None,
    )
    result.settings.update({"checkpoint": str(checkpoint), "checkpoint_step": trained.step,
                            "num_landmarks": trained.config.model.num_landmarks,
                            "frame": options.frame,
                            "resize": [spec.mode, spec.resize_to]})
    if options.frame == "model-input":
        result.notes.append(
            f"Points are regressed and errors measured in the pixels of the {spec.size} x {spec.size} model "
            "input (after the resize and crop of training), as the paper measures MAFL and AFLW; so no "
            "regressor.safetensors is written (landmarks detect regresses in each image's own pixels).")
    if output_dir is not None:
        in_model_input = spec if options.frame == "model-input" else None
        save_evaluation(result, output_dir, test, model_input=in_model_input)
    return result


def _height_width(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:  # the header only; extract_landmarks has read every file already
        return image.height, image.width


def _to_model_input(points: np.ndarray, transforms: list[PixelTransform]) -> np.ndarray:
    """``(N, P, 2)`` pixels of each original image -> the same points in its model input's pixels."""
    return np.stack([t.to_model(p) for p, t in zip(points, transforms, strict=True)])


def save_evaluation(result: EvaluationResult, output_dir: str | Path, test: AnnotationSet, *,
                    model_input: ResizeSpec | None = None) -> list[Path]:
    """Write the metrics files, figures (regressed points on ``FIGURE_IMAGES`` test images evenly
    spaced over the set: :func:`~landmarks.viz.selection.evenly_spaced`) and the fitted regressor
    (``regressor.safetensors``, read by ``landmarks detect --regressor``).

    With ``model_input`` (results in the model input's frame) the figures show the model inputs, and no
    regressor is written: ``detect`` applies one to landmarks in each image's own pixels.
    """
    rows = evenly_spaced(len(test), FIGURE_IMAGES)  # not the first rows: often near-identical frames
    images = [load_image(test.paths[row]) for row in rows]
    annotated = test.points[rows]
    if model_input is not None:
        fitted = [fit_to_model(image, model_input) for image in images]  # (3, S, S) in [0, 1], transform
        images = [to_rgb8(tensor.permute(1, 2, 0).numpy()) for tensor, _ in fitted]
        annotated = _to_model_input(annotated, [transform for _, transform in fitted])
    written = list(save_result(result, output_dir))
    written += save_figures(result, output_dir, test_images=images, test_annotated=annotated,
                            test_rows=rows)
    if result.linear_map is not None and model_input is None:
        path = Path(output_dir) / REGRESSOR_FILE
        written.append(save_regressor(result.linear_map, result.point_names, path))
    return written
