"""Settings of ``landmarks pretrain-lossnet``, as typed frozen dataclasses mirrored by YAML.

The shipped configs are ``lossnet-default.yaml`` (every field), ``lossnet-cpu.yaml`` and
``lossnet-gpu.yaml`` (deltas with ``base: lossnet-default.yaml``). They are read with the same
machinery as the landmark experiments (:mod:`landmarks.config_loading`: ``base:`` chains, dotted
overrides, unknown keys rejected), into :class:`LossnetConfig` instead of ``ExperimentConfig``.
``data`` and ``trainer`` are the landmark experiments' own sections, with the same meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from landmarks.colourisation.colour import AB_GRID, ANNEALED_TEMPERATURE, SOFT_NEIGHBOURS, SOFT_SIGMA
from landmarks.config import DataConfig, TrainerConfig
from landmarks.config_loading import (
    apply_overrides,
    from_dict,
    read_config_dict,
    validate_numbers,
    validate_trainer,
)
from landmarks.errors import ConfigError


@dataclass(frozen=True)
class ColourisationModelConfig:
    """The network trained to colourise (see :mod:`landmarks.colourisation.network`)."""

    network: Literal["vgg16", "vgg19"] = "vgg16"  # the saved loss network's layout (loss.network)
    image_size: int = 224  # H = W of the training images; a multiple of 16
    hypercolumn_blocks: tuple[int, ...] = (1, 2, 3, 4, 5)  # last conv of each feeds the head; 5 required
    head_width: int = 1024  # Larsson et al. 2017: a 1024-wide layer on the hypercolumn
    batchnorm_momentum: float = 0.1  # PyTorch convention and default


@dataclass(frozen=True)
class ColourTargetConfig:
    """How colours become classification targets (Zhang et al. 2016; see colourisation.colour)."""

    grid: float = AB_GRID  # ab bin size
    neighbours: int = SOFT_NEIGHBOURS  # nearest bins sharing each pixel's target; 1: hard targets
    sigma: float = SOFT_SIGMA  # Gaussian width of the soft targets, ab units
    temperature: float = ANNEALED_TEMPERATURE  # of the annealed mean shown in the sample images
    rebalance: float | None = None  # Zhang's class rebalancing lambda (they use 0.5); None: off (Larsson)
    prior_images: int = 1000  # training images whose colours give the bin distribution for rebalancing


@dataclass(frozen=True)
class LossnetOptimConfig:
    """Adam on every parameter of the colourisation network."""

    lr: float = 1e-3  # Adam's learning rate
    weight_decay: float = 1e-4  # Adam's (L2) weight decay
    adam_betas: tuple[float, float] = (0.9, 0.99)  # Zhang et al. 2016
    schedule: Literal["constant", "cosine"] = "cosine"  # cosine: from lr to 0 over trainer.max_steps


@dataclass(frozen=True)
class LossnetConfig:
    """A whole ``pretrain-lossnet`` run: one YAML file resolves to exactly one of these."""

    name: str = "lossnet"  # run folders are output_dir/name-YYYYmmdd-HHMMSS
    output_dir: str = "runs"  # where new run folders are made
    output_file: str = "lossnet.safetensors"  # written into the run folder at the end
    model: ColourisationModelConfig = field(default_factory=ColourisationModelConfig)
    target: ColourTargetConfig = field(default_factory=ColourTargetConfig)
    # landmark experiments' sections, with defaults for a GPU-sized pretraining (lossnet-default.yaml)
    data: DataConfig = field(
        default_factory=lambda: DataConfig(batch_size=32, num_workers=8, validation_count=256)
    )
    optim: LossnetOptimConfig = field(default_factory=LossnetOptimConfig)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(image_every=1000, val_every=2000, checkpoint_every=10000)
    )


DEFAULT_CONFIG = "lossnet-default"
# sources of ready pairs, not images
PAIR_SOURCES = ("video-folder", "frame-folders", "multi-view", "synthetic-bodies")


def load_lossnet_config(path: str | Path | None = None, overrides: list[str] | None = None) -> LossnetConfig:
    """Read a YAML config (a file or shipped name; ``lossnet-default`` if None), apply overrides, check."""
    raw = read_config_dict(path if path is not None else DEFAULT_CONFIG)
    return lossnet_config_from_dict(apply_overrides(raw, overrides or []))


def lossnet_config_from_dict(raw: dict) -> LossnetConfig:
    """Build and check a :class:`LossnetConfig` from its plain mapping (a run's ``config.yaml``)."""
    config = from_dict(LossnetConfig, raw)
    validate_lossnet_config(config)
    return config


def validate_lossnet_config(config: LossnetConfig) -> None:
    """Check values that types alone cannot."""
    model, target, data = config.model, config.target, config.data
    if model.image_size < 32 or model.image_size % 16:
        raise ConfigError(f"'model.image_size' must be a multiple of 16, at least 32, got {model.image_size}")
    if 5 not in model.hypercolumn_blocks or not set(model.hypercolumn_blocks) <= {1, 2, 3, 4, 5}:
        raise ConfigError(
            f"'model.hypercolumn_blocks' must be among 1-5 and include 5 (else the last convs of the "
            f"saved VGG would never be trained), got {list(model.hypercolumn_blocks)}"
        )
    if model.head_width < 1:
        raise ConfigError(f"'model.head_width' must be at least 1, got {model.head_width}")
    if target.grid <= 0 or target.sigma <= 0 or target.temperature <= 0:
        raise ConfigError("'target.grid', 'target.sigma' and 'target.temperature' must be positive")
    if target.rebalance is not None and not 0 < target.rebalance <= 1:
        raise ConfigError(f"'target.rebalance' must be in (0, 1] or null, got {target.rebalance}")
    if target.prior_images < 1:
        raise ConfigError(f"'target.prior_images' must be at least 1, got {target.prior_images}")
    if target.neighbours < 1:
        raise ConfigError(f"'target.neighbours' must be at least 1, got {target.neighbours}")
    if data.source in PAIR_SOURCES:
        raise ConfigError(
            f"'data.source' {data.source!r} gives pairs of frames; colourisation needs still "
            "images (synthetic-faces, image-folder, or a dataset of images)"
        )
    if data.source == "shards":
        raise ConfigError("'data.source' 'shards' is streamed by landmarks fit only; colourisation reads "
                          "the images themselves (image-folder, or a dataset of images)")
    if data.source == "image-folder" and not data.root:
        raise ConfigError(
            "'data.root' must name a folder of images when data.source is 'image-folder' "
            "(give --data-root DIR)"
        )
    if data.batch_size < 1:
        raise ConfigError(f"'data.batch_size' must be at least 1, got {data.batch_size}")
    validate_numbers(config.optim, "optim", positive=("lr",), non_negative=("weight_decay",))
    validate_trainer(config.trainer)
    if Path(config.output_file).name != config.output_file or not config.output_file:
        raise ConfigError(
            f"'output_file' must be a file name (it goes in the run folder), got {config.output_file!r}"
        )


__all__ = [
    "ColourTargetConfig",
    "ColourisationModelConfig",
    "LossnetConfig",
    "LossnetOptimConfig",
    "load_lossnet_config",
    "lossnet_config_from_dict",
    "validate_lossnet_config",
]
