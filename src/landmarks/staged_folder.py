"""A folder written whole or not at all: filled beside its final name, then renamed into place.

``landmarks export`` writes its files into ``.NAME.<pid>-<random>.partial`` in the same parent folder
(the same file system, so renames are atomic), and only when every file is written renames it to
``NAME``. An earlier folder of that name (replaced on purpose, ``--overwrite``) is first renamed aside
to ``.NAME.<...>.old`` and deleted after the new one is in place. At every moment ``NAME`` is either the
whole old folder or the whole new one, never a mix: a failure (or Ctrl-C) while writing removes the
staging folder and leaves ``NAME`` as it was. Only a kill -9 between the two renames (a few
microseconds) leaves no ``NAME``; the old folder is then still there as ``.NAME.*.old``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _beside(target: Path, suffix: str) -> Path:
    return target.parent / f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}"


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on a clean exit it replaces ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _beside(target, ".partial")
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = _beside(target, ".old")
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
