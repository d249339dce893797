"""Starting a new run from another run's model: ``landmarks fit --init-from MODEL [--restore-optim]``.

``MODEL`` is a checkpoint file, a run folder (its ``checkpoints/last.ckpt``) or a folder written by
``landmarks export`` (what :func:`landmarks.load` reads). The new run gets its own folder; the source
is only read. Two kinds of start:

- weights only (default): the detector, encoder and generator take the source's weights; the
  optimiser, schedule and step start afresh from the new config;
- ``--restore-optim`` (checkpoints only): also the optimiser's state (Adam moments, learning rate),
  the schedule and the step, and the loss's running means, as the released code fine-tunes on AFLW
  (it restores its whole TensorFlow session). The new run then continues counting steps from the
  source's step up to its own ``trainer.max_steps``.

What was taken is written to ``RUN/init_from.yaml`` and printed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from landmarks.config import ExperimentConfig
from landmarks.errors import ConfigError
from landmarks.models.checkpoint import exported_weights, load_trained_model, resolve_checkpoint

RECORD_FILE = "init_from.yaml"


@dataclass(frozen=True)
class InitSource:
    """A model to start a new run from.

    Attributes:
        path: what the user named.
        weights: the source's networks' state dict (keys as in :class:`~landmarks.models.LandmarkModel`).
        step: the step the source reached.
        checkpoint: the Lightning checkpoint to restore the optimiser and step from, when
            ``--restore-optim`` was asked; else None.
    """

    path: Path
    weights: dict[str, torch.Tensor]
    step: int
    checkpoint: Path | None = None

    def describe(self) -> str:
        """One line saying what the new run takes from the source."""
        if self.checkpoint is not None:
            return (f"initialised from {self.checkpoint}: weights, optimiser state, schedule and step "
                    f"{self.step}")
        return f"initialised from {self.path}: weights (step {self.step}); optimiser and step start afresh"

    def record(self) -> dict:
        """What ``RUN/init_from.yaml`` holds."""
        checkpoint = None if self.checkpoint is None else str(self.checkpoint)
        return {"source": str(self.path), "checkpoint": checkpoint,
                "weights": True, "optimizer": self.checkpoint is not None,
                "step": self.step if self.checkpoint is not None else 0, "source_step": self.step}


def read_init_source(path: str | Path, config: ExperimentConfig, *, restore_optim: bool) -> InitSource:
    """Read and check ``path`` against the new run's ``config`` before anything is written.

    Raises:
        ConfigError: the source's networks do not fit ``config``'s model (another K, other sizes), or
            ``restore_optim`` with an export folder (it holds no optimiser), or with a source whose
            model or loss settings differ from ``config``'s (its optimiser and loss state would not fit).
        WeightsError: the source cannot be read.
    """
    path = Path(path)
    trained = load_trained_model(path)
    _check_same_shapes(path, trained.config, config)
    weights = {key: value.detach().clone() for key, value in trained.model.state_dict().items()}
    if not restore_optim:
        return InitSource(path, weights, trained.step)
    if exported_weights(path) is not None:
        raise ConfigError(f"{path}: an exported model holds no optimiser state; --restore-optim needs a "
                          f"checkpoint file or run folder (or leave --restore-optim out: weights only)")
    _check_same_training_state(path, trained.config, config)
    return InitSource(path, weights, trained.step, checkpoint=resolve_checkpoint(path))


def _check_same_shapes(path: Path, source: ExperimentConfig, config: ExperimentConfig) -> None:
    """The source's networks must be the new model's: the model fields that set parameter shapes."""
    shape_fields = ("image_size", "num_landmarks", "base_width", "generator_width", "generator_min_width",
                    "heatmap_size", "detector", "bottleneck", "bottleneck_dim", "released_graph")
    differing = [f"model.{name}: {getattr(source.model, name)} there, {getattr(config.model, name)} here"
                 for name in shape_fields if getattr(source.model, name) != getattr(config.model, name)]
    if differing:
        raise ConfigError(f"{path}: its networks do not fit this run's model ({'; '.join(differing)})")


def _check_same_training_state(path: Path, source: ExperimentConfig, config: ExperimentConfig) -> None:
    """For ``--restore-optim``: the whole model and loss settings must agree (a loss weights file may
    live elsewhere on this machine)."""
    if source.model != config.model:
        raise ConfigError(f"{path}: --restore-optim needs the same model settings as the source "
                          f"({_differences(source.model, config.model, 'model')})")
    here, there = (dataclasses.replace(c.loss, weights=None) for c in (config, source))
    if here != there:
        raise ConfigError(f"{path}: --restore-optim needs the same loss settings as the source "
                          f"({_differences(there, here, 'loss')})")


def _differences(source, config, prefix: str) -> str:
    names = [f.name for f in dataclasses.fields(source) if getattr(source, f.name) != getattr(config, f.name)]
    return "; ".join(f"{prefix}.{n}: {getattr(source, n)!r} there, {getattr(config, n)!r} here"
                     for n in names)


def write_record(source: InitSource, run_dir: Path) -> Path:
    """``RUN/init_from.yaml``: the source and what was taken from it."""
    path = Path(run_dir) / RECORD_FILE
    path.write_text(yaml.safe_dump(source.record(), sort_keys=False))
    return path
