"""Loading a trained model from a training checkpoint or an export, without Lightning and without
unpickling code.

A checkpoint written by ``landmarks fit`` holds the experiment config (``hyper_parameters.config``)
and the weights (``state_dict``, networks under ``model.``). Only tensors and plain containers are
read (``torch.load(weights_only=True)``).

A folder written by ``landmarks export`` (:mod:`landmarks.models.export`) holds ``model.safetensors``
(the networks' state dict; the training step in its metadata) and ``config.yaml`` (the resolved
config). It is read with safetensors and ``yaml.safe_load`` only: no pickle at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import yaml
from safetensors import SafetensorError, safe_open

from landmarks.config import ExperimentConfig
from landmarks.config_loading import from_dict
from landmarks.errors import LandmarksError, WeightsError
from landmarks.models.landmark_model import LandmarkModel, build_model
from landmarks.models.load_problem import load_problem

_MODEL_PREFIX = "model."
EXPORTED_WEIGHTS = "model.safetensors"  # the file names of an exported model's folder
EXPORTED_CONFIG = "config.yaml"


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


def exported_weights(path: str | Path) -> Path | None:
    """The ``model.safetensors`` that ``path`` names (the file, or an export folder holding it), else None."""
    path = Path(path)
    if path.is_dir() and (path / EXPORTED_WEIGHTS).is_file():
        return path / EXPORTED_WEIGHTS
    return path if path.suffix == ".safetensors" else None


def is_hub_path(path: str | Path) -> bool:
    """Whether ``path`` names a hub model, ``hf://OWNER/NAME`` (``Path`` makes it ``hf:/OWNER/NAME``)."""
    return str(path).startswith("hf:/")


def load_trained_model(path: str | Path, map_location: str | torch.device = "cpu") -> TrainedModel:
    """Read a model into a :class:`TrainedModel` in eval mode.

    ``path`` is a checkpoint file, a run folder (its ``checkpoints/last.ckpt``), a folder written by
    ``landmarks export``, the ``model.safetensors`` in one (its ``config.yaml`` beside it), or a hub
    model ``hf://OWNER/NAME`` holding an export (:mod:`landmarks.models.hub`).
    """
    if is_hub_path(path):
        from landmarks.models.hub import hub_snapshot  # huggingface_hub is imported only for hub models

        path = hub_snapshot(path)
    weights = exported_weights(path)
    if weights is not None:
        return _load_exported(weights, map_location)
    path = resolve_checkpoint(path)
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many types for truncated or foreign files
        raise WeightsError(f"{path}: not a readable checkpoint ({load_problem(error)})") from None
    try:
        config = from_dict(ExperimentConfig, checkpoint["hyper_parameters"]["config"])
        state = {k[len(_MODEL_PREFIX):]: v for k, v in checkpoint["state_dict"].items()
                 if k.startswith(_MODEL_PREFIX)}
    except (KeyError, TypeError, LandmarksError) as error:
        raise WeightsError(f"{path}: not a landmarks training checkpoint ({error})") from None
    step = int(checkpoint.get("global_step", 0))
    return TrainedModel(_build_with_weights(config, state, path), config, step)


def _load_exported(weights: Path, map_location: str | torch.device) -> TrainedModel:
    """An export: ``model.safetensors`` and the ``config.yaml`` beside it."""
    config_path = weights.parent / EXPORTED_CONFIG
    if not weights.is_file():
        raise WeightsError(f"{weights}: weights file does not exist")
    if not config_path.is_file():
        raise WeightsError(f"{weights}: no {EXPORTED_CONFIG} beside it (landmarks export writes both)")
    try:
        config = from_dict(ExperimentConfig, yaml.safe_load(config_path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, TypeError, AttributeError, LandmarksError) as error:
        raise WeightsError(f"{config_path}: not a landmarks config ({error})") from None
    device = str(torch.device(map_location))
    try:
        with safe_open(weights, framework="pt", device=device) as file:
            step = int((file.metadata() or {}).get("step", 0))
            state = {key: file.get_tensor(key) for key in file.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"{weights}: not a readable safetensors file ({error})") from None
    return TrainedModel(_build_with_weights(config, state, weights), config, step)


def _build_with_weights(config: ExperimentConfig, state: dict[str, torch.Tensor], path: Path
                        ) -> LandmarkModel:
    """The config's model, with exactly ``state`` loaded, in eval mode."""
    model = build_model(config.model, pretrained=False)  # every weight comes from the state
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shapes differ from the config's model
        first = str(error).strip().splitlines()[-1].strip()
        raise WeightsError(f"{path}: weights do not match the model of its config ({first})") from None
    if missing or unexpected:
        raise WeightsError(f"{path}: weights do not match the model of its config "
                           f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    return model.eval()
