"""Which files of an image folder have a readable header: checked in parallel, once, and cached.

Opening every header of a folder of a million images takes minutes; the answer is kept in the
folder's scan cache (:mod:`landmarks.data.scan_cache`), so a later run (or the other processes of
this one, which wait for the first) re-checks only new or changed files. Threads suffice: reading a
header is mostly waiting for the disk, and PIL reads files without holding the GIL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from landmarks.data.images import MAX_IMAGE_PIXELS
from landmarks.data.scan_cache import cache_lock, default_cache_file, file_stamp, read_cache, write_cache

KIND = "image-headers"
THREADS = 16  # headers read at once: enough to keep a network disk busy
PROGRESS_FROM = 2000  # files to check before a progress bar is worth drawing


def readable_header(path: Path) -> bool:
    """Whether PIL recognises ``path`` as an image from its header (no full decode)."""
    try:
        with Image.open(path) as image:
            return 0 < image.size[0] * image.size[1] <= MAX_IMAGE_PIXELS
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def unreadable_images(root: Path, paths: Sequence[Path], cache_file: Path | None = None) -> list[Path]:
    """The ``paths`` whose header cannot be read, in their order.

    Args:
        root: the folder; names in the cache are relative to it.
        paths: image files, usually under ``root``.
        cache_file: where to keep the results (default: the root's ``image-headers`` scan cache).
    """
    root = Path(root)
    cache_file = cache_file or default_cache_file(root, KIND)
    with cache_lock(cache_file):
        cached = read_cache(cache_file, KIND)
        entries, stale = {}, []
        for path in paths:
            name = _name(path, root)
            stamp = file_stamp(path)
            entry = cached.get(name)
            if entry is None or entry[:2] != stamp:
                stale.append((name, path, stamp))
            else:
                entries[name] = entry
        bar = tqdm(total=len(stale), desc=f"checking images in {root}", unit="file",
                   disable=len(stale) < PROGRESS_FROM, file=sys.stderr)
        with bar, ThreadPoolExecutor(THREADS) as pool:
            for (name, _, stamp), readable in zip(stale, pool.map(readable_header, [s[1] for s in stale]),
                                                  strict=True):
                entries[name] = [*stamp, readable]
                bar.update()
        if entries != cached:
            write_cache(cache_file, KIND, entries)
    return [path for path in paths if not entries[_name(path, root)][2]]


def _name(path: Path, root: Path) -> str:
    """The cache's key of ``path``: relative to ``root``, ``/``-separated."""
    return Path(os.path.relpath(path, root)).as_posix()
