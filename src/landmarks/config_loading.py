"""Reading, merging, overriding, checking and saving experiment configs.

A YAML config holds the fields of :class:`~landmarks.config.ExperimentConfig` as nested mappings. A
file may start from another with ``base: other.yaml`` (a path relative to the file, or the name of a
config shipped with the package); its own keys then replace the base's, mapping by mapping.
Command-line overrides are ``dotted.key=value`` strings whose value is read as YAML.

Unknown keys, wrong types and impossible values raise :class:`~landmarks.errors.ConfigError` with
the key's full dotted name.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from landmarks.config import ExperimentConfig
from landmarks.errors import ConfigError

PACKAGED_CONFIGS = Path(__file__).parent / "configs"


def resolve_config_path(name: str | Path, relative_to: Path | None = None) -> Path:
    """Find a config file: a path (absolute, or relative to ``relative_to`` or the current
    directory), or the name of a config shipped with the package (``cpu`` or ``cpu.yaml``)."""
    candidates = [Path(name)]
    if relative_to is not None:
        candidates.insert(0, relative_to / name)
    stem = Path(name).name if Path(name).suffix else f"{Path(name).name}.yaml"
    candidates.append(PACKAGED_CONFIGS / stem)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    shipped = ", ".join(sorted(p.stem for p in PACKAGED_CONFIGS.glob("*.yaml")))
    raise ConfigError(f"config '{name}' not found (neither a file nor a shipped config: {shipped})")


def yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's error in one line: what it expected and where (``line L, column C``)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def read_config_dict(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The mapping a YAML config file stands for, with its ``base:`` chain merged in."""
    path = resolve_config_path(path).resolve()
    if path in _seen:
        raise ConfigError(f"{path}: 'base' chain loops back to this file")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({yaml_problem(error)})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values")
    base_name = raw.pop("base", None)
    if base_name is None:
        return raw
    base_path = resolve_config_path(base_name, relative_to=path.parent)
    return merge_dicts(read_config_dict(base_path, (*_seen, path)), raw)


def merge_dicts(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``delta``'s keys replacing its own, recursively for nested mappings."""
    merged = dict(base)
    for key, value in delta.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_overrides(config: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides; values are parsed as YAML (``3``, ``1e-3``, ``[1, 2]``)."""
    result = dict(config)
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"override '{override}' is not of the form dotted.key=value")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        delta: dict[str, Any] = {}
        node = delta
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
        result = merge_dicts(result, delta)
    return result


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read a YAML config (or the defaults when ``path`` is None), apply overrides and check it."""
    raw = read_config_dict(path) if path is not None else {}
    raw = apply_overrides(raw, overrides or [])
    config = from_dict(ExperimentConfig, raw)
    validate(config)
    return config


def from_dict(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys and ill-typed values."""
    if not isinstance(data, dict):
        raise ConfigError(f"'{prefix.rstrip('.') or 'config'}' must be a mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(f"'{prefix}{key}'" for key in unknown)
        raise ConfigError(f"unknown config key {names}; known keys here: {', '.join(sorted(fields))}")
    values = {name: _convert(hints[name], value, f"{prefix}{name}") for name, value in data.items()}
    return cls(**values)


def _convert(hint: Any, value: Any, key: str) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, f"{key}.")
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(option, value, key)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if len(errors) == 1 else f"'{key}': {value!r} fits none of {hint}")
    if origin is Literal:
        if value not in get_args(hint):
            choices = ", ".join(repr(a) for a in get_args(hint))
            raise ConfigError(f"'{key}' must be one of {choices}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"'{key}' must be a list, got {value!r}")
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"'{key}' must have {len(args)} items, got {len(value)}")
        return tuple(_convert(a, v, f"{key}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        # YAML 1.1 reads "1e-3" (no dot) as a string; accept it as the number it plainly is.
        try:
            return float(value)
        except ValueError:
            pass
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise ConfigError(f"'{key}' must be of type {getattr(hint, '__name__', hint)}, got {value!r}")


def to_dict(config: Any) -> dict[str, Any]:
    """The plain mapping (lists for tuples) that :func:`from_dict` reads back to ``config``."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(dataclasses.asdict(config))


def save_config(config: ExperimentConfig, path: str | Path) -> None:
    """Write the fully resolved config as YAML (every field, defaults included)."""
    Path(path).write_text(yaml.safe_dump(to_dict(config), sort_keys=False))


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def validate(config: ExperimentConfig) -> None:
    """Check values that types alone cannot: sizes, ranges and combinations."""
    model, loss, data = config.model, config.loss, config.data
    if not _power_of_two(model.image_size) or not 32 <= model.image_size <= 256:
        raise ConfigError(
            f"'model.image_size' must be a power of two from 32 to 256, got {model.image_size}"
        )
    if not _power_of_two(model.heatmap_size) or model.heatmap_size > model.image_size:
        raise ConfigError(
            f"'model.heatmap_size' must be a power of two no larger than model.image_size "
            f"({model.image_size}), got {model.heatmap_size}"
        )
    for key in ("num_landmarks", "base_width", "generator_width", "generator_min_width"):
        if getattr(model, key) < 1:
            raise ConfigError(f"'model.{key}' must be at least 1, got {getattr(model, key)}")
    if model.bottleneck == "dense" and (model.bottleneck_dim < 2 or model.bottleneck_dim % 2):
        raise ConfigError(f"'model.bottleneck_dim' must be even and at least 2, got {model.bottleneck_dim}")
    if model.bottleneck == "dense" and model.detector != "paper":
        raise ConfigError("'model.bottleneck: dense' builds on the paper's detector trunk: set "
                          "model.detector=paper")
    if model.gaussian_sigma <= 0:
        raise ConfigError(f"'model.gaussian_sigma' must be positive, got {model.gaussian_sigma}")
    # loss.layers null: "input" and the loss network's five standard layers (landmarks.losses.build)
    layer_count = len(loss.layers) if loss.layers is not None else 6
    if loss.layers is not None and loss.initial_means is None:
        raise ConfigError("'loss.initial_means' needs one value per layer in 'loss.layers': set both")
    if loss.initial_means is not None and len(loss.initial_means) != layer_count:
        raise ConfigError(
            f"'loss.initial_means' needs one value per layer in 'loss.layers' "
            f"({layer_count}), got {len(loss.initial_means)}"
        )
    if data.source == "image-folder" and not data.root:
        raise ConfigError("'data.root' must name a folder of images when data.source is 'image-folder'")
    _validate_pair_data(config)
    if data.batch_size < 1:
        raise ConfigError(f"'data.batch_size' must be at least 1, got {data.batch_size}")
    optim = config.optim
    if not 0.0 <= optim.warmup < 1.0:
        raise ConfigError(f"'optim.warmup' must be a fraction in [0, 1), got {optim.warmup}")
    if not 0.0 <= optim.lr_floor <= 1.0:
        raise ConfigError(f"'optim.lr_floor' must be a fraction in [0, 1], got {optim.lr_floor}")
    if not 0.0 < optim.anneal_fraction <= 1.0:
        raise ConfigError(f"'optim.anneal_fraction' must be a fraction in (0, 1], "
                          f"got {optim.anneal_fraction}")
    if config.pairs.supersample < 1:
        raise ConfigError(f"'pairs.supersample' must be at least 1, got {config.pairs.supersample}")
    drawn_at = model.image_size * config.pairs.supersample
    if data.source in ("synthetic-faces", "synthetic-wild-faces", "synthetic-bodies") and drawn_at > 256:
        raise ConfigError(f"synthetic images are drawn at 32 to 256 px; model.image_size x pairs.supersample "
                          f"= {model.image_size} x {config.pairs.supersample} = {drawn_at}")
    if config.pairs.control_grid < 2:
        raise ConfigError(f"'pairs.control_grid' must be at least 2, got {config.pairs.control_grid}")
    _validate_photometric(config.pairs.photometric)
    ema = config.trainer.ema_decay
    if ema is not None and not 0.0 < ema < 1.0:
        raise ConfigError(f"'trainer.ema_decay' must be a fraction in (0, 1) or null, got {ema}")
    if config.trainer.restore_optim and not config.trainer.init_from:
        raise ConfigError("'trainer.restore_optim' continues another run's optimiser: give the run with "
                          "--init-from RUN (trainer.init_from)")
    validate_numbers(config.optim, "optim", non_negative=("lr", "weight_decay", "clip"))
    validate_trainer(config.trainer)


def validate_numbers(section: Any, prefix: str, *, positive: tuple[str, ...] = (),
                     non_negative: tuple[str, ...] = ()) -> None:
    """Each named float of ``section`` finite and positive (or non-negative): YAML reads ``.nan`` and
    ``.inf`` as floats, which would train on silently to NaN weights."""
    for name in (*positive, *non_negative):
        value = getattr(section, name)
        if not math.isfinite(value) or value < 0 or (name in positive and value == 0):
            wanted = "positive" if name in positive else "at least 0"
            raise ConfigError(f"'{prefix}.{name}' must be a finite number {wanted}, got {value}")


def validate_trainer(trainer: Any) -> None:
    """The step counts of ``trainer`` (a :class:`~landmarks.config.TrainerConfig`) that must be positive:
    ``checkpoint_every: 0`` would silently turn periodic checkpoints off."""
    for name in ("max_steps", "checkpoint_every", "nonfinite_limit"):
        if getattr(trainer, name) < 1:
            raise ConfigError(f"'trainer.{name}' must be at least 1, got {getattr(trainer, name)}")
    if trainer.max_minutes is not None and not (math.isfinite(trainer.max_minutes)
                                                and trainer.max_minutes > 0):
        raise ConfigError(f"'trainer.max_minutes' must be a positive number or null, "
                          f"got {trainer.max_minutes}")


def _validate_photometric(photometric) -> None:
    """Strengths non-negative; probabilities in [0, 1]; brightness and hue at most 1 (more means nothing)."""
    for name, value in vars(photometric).items():
        if value < 0:
            raise ConfigError(f"'pairs.photometric.{name}' must not be negative, got {value}")
    for name in ("grey_probability", "blur_probability", "brightness", "hue"):
        if getattr(photometric, name) > 1:
            value = getattr(photometric, name)
            raise ConfigError(f"'pairs.photometric.{name}' must be at most 1, got {value}")
    if photometric.blur_probability > 0 and photometric.blur_sigma <= 0:
        raise ConfigError("'pairs.photometric.blur_sigma' must be positive when blur_probability is")


def _validate_pair_data(config: ExperimentConfig) -> None:
    """The settings of the video and multi-view sources (landmarks.data.pair_sources)."""
    data = config.data
    roots = {  # what data.root names for each pair source
        "video-folder": "a folder of videos",
        "frame-folders": "a folder of frame folders",
        "multi-view": "an image,group CSV or a folder of per-instance folders",
        "shards": "a folder written by landmarks shard",
    }
    pair_sources = (*roots, "synthetic-bodies")  # shards: images are streamed, never preloaded
    if data.source in roots and not data.root:
        raise ConfigError(f"'data.root' must name {roots[data.source]} when data.source is '{data.source}'")
    low, high = data.frame_gap
    if not 1 <= low <= high:
        raise ConfigError(
            f"'data.frame_gap' must be [min, max] frames with 1 <= min <= max, got [{low}, {high}]"
        )
    if data.boxes and data.source not in ("video-folder", "frame-folders"):
        raise ConfigError(f"'data.boxes' crops video frames: it needs data.source video-folder or "
                          f"frame-folders, got '{data.source}'")
    if data.shuffle_buffer < 0:
        raise ConfigError(f"'data.shuffle_buffer' must be at least 0, got {data.shuffle_buffer}")
    if data.source == "synthetic-bodies" and data.synthetic_videos < 1:
        raise ConfigError(f"'data.synthetic_videos' must be at least 1, got {data.synthetic_videos}")
    if data.source == "synthetic-bodies" and data.synthetic_video_frames < low + 1:
        raise ConfigError(f"'data.synthetic_video_frames' ({data.synthetic_video_frames}) must be at least "
                          f"data.frame_gap[0] + 1 = {low + 1}")
    if data.preload and data.source == "shards":
        raise ConfigError("'data.preload' holds still images in memory; data.source 'shards' streams them: "
                          "set data.preload=false")
    if data.preload and data.source in pair_sources:
        raise ConfigError(f"'data.preload' holds still images in memory; data.source '{data.source}' yields "
                          f"ready pairs of frames or views: set data.preload=false (it works with "
                          f"synthetic-faces, synthetic-wild-faces, image-folder and the named image "
                          f"datasets)")
    # pairs.warp_video_pairs concerns ready pairs only: still images are always warped, so a config
    # such as cpu.yaml can turn it on for video frames and still train on a folder of photos.
