"""Options that every ``landmarks`` subcommand spells the same way, and the old spellings' aliases.

The convention (checked by a test that walks the parser):

* ``--output`` for every output location (a folder, or for ``transfer`` a PNG);
* ``--data`` for a data source or dataset name and ``--data-root`` for its folder;
* ``MODEL`` for every positional run folder / checkpoint / export folder;
* ``--device auto|cpu|cuda|gpu`` (or ``cuda:N``);
* ``-v`` / ``-q`` for more or fewer messages.

Old spellings (``--run-dir``, ``--out``, ``--dataset``, ``--root``) keep working for one release:
:class:`DeprecatedAlias` records their use, and the command logs one deprecation line for each.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from landmarks.errors import LandmarksError

DEVICE_PATTERN = re.compile(r"auto|cpu|gpu|cuda(:\d+)?|mps")
DEVICE_HELP = "auto (default: a CUDA GPU if there is one, else the CPU), cpu, cuda (or gpu), cuda:N"
REMOVED_IN = "0.3"  # the release without the old spellings


class DeprecatedAlias(argparse.Action):
    """An old option spelling: stores into the new option's ``dest`` and records the use, so that
    :func:`deprecation_lines` can report it once logging is set up. Hidden from ``--help``."""

    def __init__(self, option_strings, dest, *, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        used = getattr(namespace, "deprecated_options", None) or []
        namespace.deprecated_options = [*used, (option_string, self.new)]


def add_deprecated(parser: argparse.ArgumentParser, old: str, new: str, dest: str, **kwargs) -> None:
    """Accept ``old`` as a hidden, deprecated spelling of option ``new`` (same ``dest`` and type)."""
    parser.add_argument(old, dest=dest, action=DeprecatedAlias, new=new, default=argparse.SUPPRESS, **kwargs)


def deprecation_lines(args: argparse.Namespace) -> list[str]:
    """One line per old spelling used on this command line."""
    return [f"{old} is deprecated and will be removed in landmarks {REMOVED_IN}: use {new}"
            for old, new in getattr(args, "deprecated_options", None) or []]


def device_name(text: str) -> str:
    """``--device``'s argparse type: one of auto, cpu, gpu, cuda, cuda:N, mps (checked, not resolved)."""
    if not DEVICE_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a device: give {DEVICE_HELP}")
    return text


def add_device(parser: argparse.ArgumentParser) -> None:
    """``--device``, default auto."""
    parser.add_argument("--device", type=device_name, default="auto", help=DEVICE_HELP)


def resolve_device(name: str) -> str:
    """A torch device string for ``--device``'s value: ``auto`` becomes ``cuda`` where a CUDA GPU is
    available, else ``cpu``; ``gpu`` becomes ``cuda`` (the name Lightning configs use)."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cuda" if name == "gpu" else name


def add_verbosity(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """``-v`` / ``-q`` (counted); on subcommands they default to the top level's value."""
    default = 0 if top_level else argparse.SUPPRESS
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="count", default=default,
                       help="more messages (Lightning's banners and model summary, debug lines)")
    group.add_argument("-q", "--quiet", action="count", default=default,
                       help="only warnings and errors")


def evaluation_folder(model: Path) -> Path:
    """Where ``evaluate`` writes by default: ``RUN/evaluation`` for a run folder, an export folder or
    a checkpoint in ``RUN/checkpoints``; ``NAME-evaluation`` beside any other checkpoint file
    ``NAME.ckpt`` (two loose checkpoints in one folder do not share one evaluation folder)."""
    if model.is_dir():
        return model / "evaluation"
    if model.parent.name == "checkpoints" and (model.parent.parent / "config.yaml").is_file():
        return model.parent.parent / "evaluation"
    return model.with_name(f"{model.stem}-evaluation")


def require_folder_output(path: Path, option: str = "--output") -> None:
    """Raise :class:`LandmarksError` if ``path``, a folder a command is to write, is a file or lies
    under one (checked before any work, so that nothing is computed for an output that cannot be made)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                where = "is a file" if candidate == path else f"lies under {candidate}, a file"
                raise LandmarksError(f"{option} {path}: {where}, not a folder")
            return
