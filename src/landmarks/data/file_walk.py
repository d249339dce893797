"""Every file under a data root, following symbolic links to folders.

Clusters often build a data root out of links to other disks (``root/part1 -> /disk2/videos``).
``Path.rglob`` does not descend into linked folders before Python 3.13, so a root of linked video
folders looked empty; this walk follows them, once each (a link back up the tree is not a loop).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def files_under(root: str | Path) -> Iterator[Path]:
    """Files under ``root`` at any depth, as ``root / relative path`` (links kept in the path, not
    resolved), hidden files and folders (``.name``) left out; in no particular order."""
    visited: set[tuple[int, int]] = set()
    for folder, subfolders, files in os.walk(root, followlinks=True):
        status = os.stat(folder)
        if (status.st_dev, status.st_ino) in visited:  # reached again through a link: a loop
            subfolders.clear()
            continue
        visited.add((status.st_dev, status.st_ino))
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if not name.startswith("."):
                yield Path(folder) / name
