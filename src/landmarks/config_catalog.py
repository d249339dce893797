"""The configs shipped with the package, each with the one line that says what it is for
(``landmarks configs``): the first comment line of its YAML file."""

from __future__ import annotations

from pathlib import Path

from landmarks.config_loading import PACKAGED_CONFIGS


def describe_config(path: Path) -> str:
    """The first comment line of a YAML config, without its ``#``; empty when it has none."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line.strip():
            break
    return ""


def shipped_configs() -> list[tuple[str, str]]:
    """``(name, description)`` of every shipped config, by name (``landmarks fit --config NAME``)."""
    return [(path.stem, describe_config(path)) for path in sorted(PACKAGED_CONFIGS.glob("*.yaml"))]


def config_listing() -> str:
    """The shipped configs, one a line: the name, then what it is for."""
    rows = shipped_configs()
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {description}" for name, description in rows)
