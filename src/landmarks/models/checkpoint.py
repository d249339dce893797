"""Loading a trained model from a training checkpoint, without Lightning and without unpickling code.

A checkpoint written by ``landmarks fit`` holds the experiment config (``hyper_parameters.config``)
and the weights (``state_dict``, networks under ``model.``). Only tensors and plain containers are
read (``torch.load(weights_only=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from landmarks.config import ExperimentConfig
from landmarks.config_loading import from_dict
from landmarks.errors import LandmarksError, WeightsError
from landmarks.models.landmark_model import LandmarkModel, build_model

_MODEL_PREFIX = "model."


@dataclass
class TrainedModel:
    """A model in eval mode with the config it was trained with and the step it reached."""

    model: LandmarkModel
    config: ExperimentConfig
    step: int


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or ``checkpoints/last.ckpt`` of a run folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "checkpoints" / "last.ckpt"
    if not path.is_file():
        raise WeightsError(f"{path}: checkpoint does not exist")
    return path


def load_trained_model(path: str | Path, map_location: str | torch.device = "cpu") -> TrainedModel:
    """Read a checkpoint (or a run folder's last one) into a :class:`TrainedModel` in eval mode."""
    path = resolve_checkpoint(path)
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many types for truncated or foreign files
        reason = f"{error.__class__.__name__}: {error}"
        raise WeightsError(f"{path}: not a readable checkpoint ({reason})") from None
    try:
        config = from_dict(ExperimentConfig, checkpoint["hyper_parameters"]["config"])
        state = {k[len(_MODEL_PREFIX):]: v for k, v in checkpoint["state_dict"].items()
                 if k.startswith(_MODEL_PREFIX)}
    except (KeyError, TypeError, LandmarksError) as error:
        raise WeightsError(f"{path}: not a landmarks training checkpoint ({error})") from None
    model = build_model(config.model)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shapes differ from the config's model
        first = str(error).strip().splitlines()[-1].strip()
        raise WeightsError(f"{path}: weights do not match the model of its config ({first})") from None
    if missing or unexpected:
        raise WeightsError(f"{path}: weights do not match the model of its config "
                           f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    return TrainedModel(model.eval(), config, int(checkpoint.get("global_step", 0)))
