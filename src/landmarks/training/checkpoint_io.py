"""Checkpoints that survive any kill, and that load without running code.

Writing: each checkpoint goes to a temporary file in its own folder, is flushed and fsynced, and is
then renamed over the final name (and the folder fsynced), so a kill at any moment leaves either the
old file or the new one, never a partial one, and no temporary file outside the run folder. Lightning's
own ``_atomic_save`` stages the file in ``$TMPDIR`` when the run folder is on another file system,
where a kill left 0-byte checkpoints and leaked the temporary file; hence this class.

Reading: always ``torch.load(weights_only=True)``, whatever torch's default (torch < 2.6 unpickles
anything, and ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` restores that): a crafted checkpoint can hold no
code that runs on ``--resume``.

Resuming (:func:`resumable_checkpoint`): an unreadable ``last.ckpt`` (cut short by a kill during an
older, non-atomic save, or by a full disk) falls back to the newest readable checkpoint of the run, and
a ``last.ckpt`` older than a readable periodic checkpoint (a kill between the two saves of one
checkpoint step) gives way to it.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from landmarks.errors import WeightsError
from landmarks.models.load_problem import load_problem

logger = logging.getLogger("landmarks.training")
TEMP_SUFFIX = ".partial"  # a temporary checkpoint in the run's checkpoints/ folder
LAST = "last.ckpt"


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}"
    # os.open, not tempfile: the file gets the usual permissions (0o666 less the umask), not 0o600.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)  # the rename itself reaches the disk


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load_checkpoint_file(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """A checkpoint's dictionary, read with ``weights_only=True`` (tensors and plain containers only).

    Raises:
        WeightsError: naming the file, if it is missing, cut short, foreign, or holds anything but
            tensors and plain values (e.g. pickled code).
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: checkpoint does not exist")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many types for truncated, foreign or unsafe files
        raise WeightsError(f"{path}: not a readable checkpoint ({load_problem(error)})") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise WeightsError(f"{path}: not a training checkpoint (no state_dict)")
    return checkpoint


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint reader and writer: atomic writes, ``weights_only`` reads (see module)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        atomic_torch_save(checkpoint, path)

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict[str, Any]:
        # weights_only is ignored on purpose: True whatever the caller or torch's default says.
        return load_checkpoint_file(path, map_location=map_location)


def remove_partial_checkpoints(folder: Path) -> None:
    """Delete temporary checkpoints that a killed save left in ``folder`` (their rename never came)."""
    for path in Path(folder).glob(f".*{TEMP_SUFFIX}"):
        path.unlink(missing_ok=True)


def step_of(path: Path) -> int:
    """The step in a periodic checkpoint's name (``step-0000120.ckpt`` -> 120)."""
    return int(path.stem.removeprefix("step-"))


def resumable_checkpoint(checkpoint: Path) -> Path:
    """The checkpoint to resume from: ``checkpoint`` itself, unless it is the run's ``last.ckpt`` and a
    periodic ``step-*.ckpt`` beside it is readable and further on.

    ``last.ckpt`` falls behind the newest periodic checkpoint when a kill comes between the two saves
    of a checkpoint step (the periodic file first, then ``last.ckpt``): the newer one is taken, with a
    line saying so. An unreadable (or missing) ``last.ckpt`` gives way to the newest readable periodic
    checkpoint, with a one-line warning naming both.

    Raises:
        WeightsError: if ``checkpoint`` is unreadable and no other checkpoint of the run reads.
    """
    try:
        last_step = int(load_checkpoint_file(checkpoint).get("global_step", 0))
        problem = None
    except WeightsError as error:
        if checkpoint.name != LAST:
            raise
        last_step, problem = None, error
    if checkpoint.name != LAST:
        return checkpoint
    periodic = [path for path in checkpoint.parent.glob("step-*.ckpt") if path.stem[5:].isdigit()]
    for candidate in sorted(periodic, key=step_of, reverse=True):  # newest step first
        if last_step is not None and step_of(candidate) <= last_step:
            break
        try:
            load_checkpoint_file(candidate)
        except WeightsError:
            continue
        if problem is not None:
            logger.warning("WARNING: %s; resuming from %s, the newest readable checkpoint", problem,
                           candidate)
        else:
            logger.info("%s (step %d) is older than %s: resuming from the newer", checkpoint, last_step,
                        candidate.name)
        return candidate
    if problem is None:
        return checkpoint
    raise WeightsError(f"{problem}; no other readable checkpoint in {checkpoint.parent}")
