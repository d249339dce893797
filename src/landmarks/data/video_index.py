"""The index of a video collection: which videos there are and how many frames each holds.

Two layouts (REFERENCE sec. 5: Human3.6M and VoxCeleb are read from a documented folder layout):

- ``"video-files"``: every file ending in ``.mp4 .avi .mov .mkv .webm`` under the root, at any depth.
- ``"frame-folders"``: every folder under the root that directly holds image files is one video;
  its frames are those files in natural order (``frame2.jpg`` before ``frame10.jpg``).

A video is named by its path relative to the root, with ``/`` separators (the name a boxes CSV uses).
Building the index demuxes every video once (:func:`~landmarks.data.video_files.probe_video`); the
result is cached (:mod:`landmarks.data.scan_cache`: beside the data, or in the user's cache when
the root is read-only), so that a second run re-probes only new or changed files. Probing runs in
parallel, once for all processes of a run (:func:`index_videos`). Problems are cached too, and
reported again on every build.
"""

from __future__ import annotations

import multiprocessing
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from landmarks.data.file_walk import files_under
from landmarks.data.header_scan import readable_header
from landmarks.data.images import IMAGE_SUFFIXES
from landmarks.data.preloaded import usable_cpus
from landmarks.data.scan_cache import cache_lock, default_cache_file, file_stamp, read_cache, write_cache
from landmarks.data.video_files import VIDEO_SUFFIXES, FrameTimeline, probe_video
from landmarks.errors import DataError

Layout = Literal["video-files", "frame-folders"]
SERIAL_BELOW = 32  # videos per probing process at least: starting a process costs about a second
PROGRESS_FROM = 100  # videos to probe before a progress bar is worth drawing


@dataclass(frozen=True)
class IndexedVideo:
    """One usable video.

    Attributes:
        name: path relative to the root, ``/``-separated.
        path: the video file, or the folder of frames.
        frame_count: frames ``N``; frames are numbered ``0 .. N - 1``.
        timeline: where each frame lies in a video file (None for a frame folder).
        frame_files: a frame folder's file names in frame order (None for a video file).
    """

    name: str
    path: Path
    frame_count: int
    timeline: FrameTimeline | None = None
    frame_files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class VideoIndex:
    """Every video found under ``root``: the usable ones, and the problem of each unusable one."""

    root: Path
    layout: Layout
    videos: tuple[IndexedVideo, ...]
    problems: dict[str, str]  # name -> problem

    @property
    def total(self) -> int:
        return len(self.videos) + len(self.problems)


def index_videos(
    root: str | Path, layout: Layout, cache_file: Path | None = None, *, workers: int | None = None
) -> VideoIndex:
    """Find and probe the videos under ``root``, reusing the cache for unchanged ones.

    New or changed videos are probed in ``workers`` processes (default: the usable cores) with a
    progress bar on stderr. The processes of one multi-process run (or several runs) build the
    index once: the first takes a lock beside the cache file, the others wait for it and then read
    the finished cache.

    Args:
        root: the collection's folder.
        layout: ``"video-files"`` or ``"frame-folders"`` (see the module docstring).
        cache_file: where to keep the index (default: :func:`~landmarks.data.scan_cache.default_cache_file`).
        workers: processes that probe; 1 probes in this process.

    Raises:
        DataError: ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "video folder does not exist" if not root.exists() else "expected a folder")
    cache_file = cache_file or default_cache_file(root, layout)
    with cache_lock(cache_file):
        cached = read_cache(cache_file, layout)
        entries, stale = {}, {}
        for path in _find(root, layout):
            name = path.relative_to(root).as_posix()
            stamp = file_stamp(path)
            entry = cached.get(name)
            if entry is None or entry["stamp"] != stamp:
                stale[name] = (path, stamp)
            else:
                entries[name] = entry
        probed = probe_in_parallel([path for path, _ in stale.values()], layout, workers, str(root))
        for (name, (_, stamp)), result in zip(stale.items(), probed, strict=True):
            entries[name] = {"stamp": stamp, **result}
        entries = dict(sorted(entries.items()))
        if entries != cached:
            write_cache(cache_file, layout, entries)
    return _to_index(root, layout, entries)


def probe_in_parallel(paths: list[Path], layout: Layout, workers: int | None, label: str) -> list[dict]:
    """``_probe`` of every path, in order: serially for a few, else in a pool of processes, with a
    progress bar (tqdm, on stderr) once there are :data:`PROGRESS_FROM` or more."""
    workers = min(workers or usable_cpus(), max(len(paths) // SERIAL_BELOW, 1))
    show = len(paths) >= PROGRESS_FROM
    bar = tqdm(total=len(paths), desc=f"indexing {label}", unit="video", disable=not show, file=sys.stderr)
    with bar:
        if workers <= 1:
            results = []
            for path in paths:
                results.append(_probe(path, layout))
                bar.update()
            return results
        # spawn: forking a process that already runs torch's threads can deadlock.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = []
            for result in pool.map(_probe, paths, [layout] * len(paths), chunksize=16):
                results.append(result)
                bar.update()
            return results


def natural_key(name: str) -> list:
    """Sort key that orders digit runs by value: ``frame2`` before ``frame10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _find(root: Path, layout: Layout) -> list[Path]:
    """The videos under ``root`` (through linked folders too: :mod:`landmarks.data.file_walk`)."""
    if layout == "video-files":
        return sorted(p for p in files_under(root) if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    folders = {p.parent for p in files_under(root) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()}
    return sorted(folders)


def _probe(path: Path, layout: Layout) -> dict:
    if layout == "frame-folders":
        files = sorted(
            (p.name for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
            key=natural_key,
        )
        unreadable = [name for name in {files[0], files[-1]} if not readable_header(path / name)]
        if unreadable:
            return {"problem": f"unreadable frame file(s) {sorted(unreadable)}"}
        return {"frames": files}
    try:
        return {"timeline": probe_video(path).to_json()}
    except DataError as error:
        return {"problem": error.problem}


def _to_index(root: Path, layout: Layout, entries: dict) -> VideoIndex:
    videos, problems = [], {}
    for name, entry in entries.items():
        if "problem" in entry:
            problems[name] = entry["problem"]
        elif "frames" in entry:
            videos.append(
                IndexedVideo(name, root / name, len(entry["frames"]), frame_files=tuple(entry["frames"]))
            )
        else:
            timeline = FrameTimeline.from_json(entry["timeline"])
            videos.append(IndexedVideo(name, root / name, timeline.count, timeline=timeline))
    return VideoIndex(root, layout, tuple(videos), problems)
