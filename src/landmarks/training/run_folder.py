"""Owning a run folder: refuse to train over another run, and hold a lock while training.

A run folder belongs to one run. ``landmarks fit --run-dir DIR`` refuses a ``DIR`` that already holds
files unless the run is resumed (``--resume``) or replaced on purpose (``--overwrite``, which only
replaces a folder that holds a run: one with ``config.yaml``). While a run trains, its process holds
an exclusive lock on ``DIR/.lock`` (which names its PID), so that a second ``fit`` into the same folder
fails at once instead of mixing its checkpoints with the first's.

The lock is ``fcntl.flock`` on an open file: the kernel drops it when the process ends, however it
ends (kill -9 included), so no stale lock is ever left to clean up. ``flock`` is advisory and local:
it does not protect a folder on a network file system from a writer on another machine.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from landmarks.errors import ConfigError

LOCK_FILE = ".lock"
RUN_CONFIG = "config.yaml"  # what marks a folder as holding a run


def check_run_dir(run_dir: Path, *, resume: bool = False, overwrite: bool = False,
                  inputs_inside: tuple[str, ...] = (), locked: bool = False) -> None:
    """Raise :class:`ConfigError` unless a run may write into ``run_dir``; writes nothing.

    ``run_dir`` may be new or empty; a resumed run's own folder (``resume``); or, with ``overwrite``,
    a folder holding a run (``config.yaml``) that is to be replaced. ``inputs_inside`` are names the
    caller put in the folder for this run (the demo's ``data``). A folder in use by a live run is
    always refused, naming the PID of the process that holds it (``locked``: this process holds it).
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: run folder exists and is not a folder")
    holder = None if locked else lock_holder(run_dir)
    if holder is not None:
        raise ConfigError(f"{run_dir}: run folder is in use by a run still training (process {holder}); "
                          f"wait for it to end, or stop it first")
    if resume:
        return
    check_replaceable(run_dir, _contents(run_dir, inputs_inside), overwrite=overwrite, marker=RUN_CONFIG,
                      label=str(run_dir), kind="run",
                      resume_hint=f"continue that run with --resume {run_dir}, ")


def check_replaceable(folder: Path, present: list[str], *, overwrite: bool, marker: str, label: str,
                      kind: str, resume_hint: str = "") -> None:
    """Raise :class:`ConfigError` unless an output ``folder`` holding ``present`` (names) may be written:
    it holds nothing, or ``overwrite`` is set and it holds a ``kind`` (a run, an export), marked by the
    file ``marker``. The one rule of ``fit --overwrite`` and ``export --overwrite``; writes nothing."""
    if not present:
        return
    if not overwrite:
        raise ConfigError(f"{label}: {kind} folder already holds files ({', '.join(present[:3])}"
                          f"{', ...' if len(present) > 3 else ''}); {resume_hint}replace it with "
                          f"--overwrite, or choose a new --output")
    if not (folder / marker).is_file():
        raise ConfigError(f"{label}: --overwrite replaces {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                          f"folder, and this folder holds no {kind} (no {marker}); choose an empty or new "
                          f"--output")


def _contents(run_dir: Path, inputs_inside: tuple[str, ...]) -> list[str]:
    """Sorted names in ``run_dir`` other than the lock file and the caller's inputs ([] if no folder)."""
    if not run_dir.is_dir():
        return []
    ignored = {LOCK_FILE, *inputs_inside}
    return sorted(path.name for path in run_dir.iterdir() if path.name not in ignored)


def clear_run_dir(run_dir: Path, inputs_inside: tuple[str, ...] = ()) -> None:
    """Delete everything in ``run_dir`` but its lock and ``inputs_inside`` (``--overwrite``, once every
    check of the new run has passed and the lock is held)."""
    for name in _contents(run_dir, inputs_inside):
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def lock_holder(run_dir: Path) -> int | str | None:
    """The PID of the live process holding ``run_dir``'s lock ("unknown" if it wrote none), else None."""
    path = Path(run_dir) / LOCK_FILE
    try:
        handle = open(path)  # noqa: SIM115 (closed below; reading only, so a probe writes nothing)
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else "unknown"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir/.lock`` (with this process's PID in it) for the duration; ``run_dir`` must exist.

    Raises:
        ConfigError: if another live process holds it.
    """
    path = Path(run_dir) / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ConfigError(f"{run_dir}: run folder is in use by a run still training (process "
                              f"{holder}); wait for it to end, or stop it first") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # drops the lock; the file stays (removing it would race a new holder)
