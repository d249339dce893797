"""Where the results of scanning a data root are kept between runs, and how processes share them.

Scanning a large collection (demuxing every video, reading every image header) is done once: the
results go into a JSON file keyed per file by name, size and modification time, so that a later run
re-scans only new or changed files. The file lies beside the data (``ROOT/.landmarks-index-<kind>.json``)
or, where the root is not writable (a shared, read-only dataset), in ``$XDG_CACHE_HOME/landmarks``
(default ``~/.cache/landmarks``). The processes of a multi-process run take a lock beside the file,
so the first scans and the others wait and then read what it wrote.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE_VERSION = 2


def default_cache_file(root: Path, kind: str) -> Path:
    """``ROOT/.landmarks-index-<kind>.json`` if the root is writable, else one in the user cache."""
    if os.access(root, os.W_OK):
        return root / f".landmarks-index-{kind}.json"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "landmarks"
    key = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]
    return base / f"index-{kind}-{key}.json"


def file_stamp(path: Path) -> list[int]:
    """What changes when a file changes: size and modification time (a folder's change on add/remove)."""
    status = path.stat()
    return [status.st_size, status.st_mtime_ns]


@contextmanager
def cache_lock(cache_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``cache_file.lock`` (POSIX ``flock``; waits for another holder).

    Where no lock file can be made (a read-only cache folder) nothing is locked: each process then
    scans by itself, which is slower but gives the same result.
    """
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(cache_file.with_name(cache_file.name + ".lock"), "a")  # noqa: SIM115
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_cache(cache_file: Path, kind: str) -> dict:
    """The cached entries ``{name: entry}``; empty if there is no usable cache of this kind."""
    try:
        data = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return {}  # no cache yet, or an unreadable one: rebuilt
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("kind") != kind:
        return {}
    entries = data.get("entries", {})
    return entries if isinstance(entries, dict) else {}


def write_cache(cache_file: Path, kind: str, entries: dict) -> None:
    """Write atomically; a cache that cannot be written only costs the next run a re-scan."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"version": CACHE_VERSION, "kind": kind, "entries": entries}))
        os.replace(temporary, cache_file)
    except OSError:
        pass
