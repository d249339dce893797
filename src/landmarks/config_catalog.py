"""The configs shipped with the package, for ``landmarks configs``: name, command and one line each.

A shipped config's one line is the first line of the comment at the top of its YAML file; its
command is the one whose config class reads it (``fit``: :class:`~landmarks.config.ExperimentConfig`,
``pretrain-lossnet``: :class:`~landmarks.colourisation.config.LossnetConfig`), told apart by the keys
only the loss network's config has.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from landmarks.config import ExperimentConfig
from landmarks.config_loading import PACKAGED_CONFIGS, read_config_dict
from landmarks.errors import ConfigError


@dataclass(frozen=True)
class ShippedConfig:
    """One YAML file of ``landmarks/configs``."""

    name: str  # what --config takes
    command: str  # "fit" or "pretrain-lossnet"
    summary: str  # the first line of the file's header comment


def shipped_configs() -> list[ShippedConfig]:
    """Every shipped config, by name."""
    return [ShippedConfig(path.stem, config_command(path), header_summary(path))
            for path in sorted(PACKAGED_CONFIGS.glob("*.yaml"), key=lambda path: path.stem)]


def config_command(path: str | Path) -> str:
    """``"pretrain-lossnet"`` for a loss network config (keys that only it has), else ``"fit"``."""
    from landmarks.colourisation.config import LossnetConfig

    fit_keys = {f.name for f in dataclasses.fields(ExperimentConfig)}
    lossnet_only = {f.name for f in dataclasses.fields(LossnetConfig)} - fit_keys  # output_file, target
    return "pretrain-lossnet" if set(read_config_dict(path)) & lossnet_only else "fit"


def require_fit_config(name: str | Path) -> None:
    """Raise :class:`ConfigError` when ``name`` is a ``pretrain-lossnet`` config given to ``fit``."""
    if config_command(name) != "fit":
        raise ConfigError(f"config '{name}' is a loss network config: "
                          f"landmarks pretrain-lossnet --config {name} (landmarks configs lists them)")


def header_summary(path: Path) -> str:
    """The first line of the comment at the top of ``path`` (without its ``#``), or ""."""
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    if not first or not first[0].startswith("#"):
        return ""
    return first[0].lstrip("#").strip().rstrip(":")


def format_catalog(configs: list[ShippedConfig]) -> str:
    """One aligned line per config: ``name  command  summary``."""
    width = max(len(c.name) for c in configs)
    command_width = max(len(c.command) for c in configs)
    return "\n".join(f"{c.name.ljust(width)}  {c.command.ljust(command_width)}  {c.summary}" for c in configs)
