"""``landmarks shard``: any training source of the data config written as WebDataset shards.

The source's training set is cut into *units*, written ``units_per_shard`` to a shard
(:mod:`landmarks.data.shard_format` gives the sample forms):

- still images (image folders, still-image datasets, synthetic faces): one image per unit;
- videos and frame folders (:class:`~landmarks.data.video_pairs.VideoPairs`, also the video datasets'
  pairs): clips of consecutive frames, each video cut into ``max(1, N // clip_frames)`` clips of
  equal length (so ``clip_frames`` to ``2 x clip_frames - 1`` frames; a shorter video is one clip),
  each frame cropped to its box where the source has boxes. With ``frame_step`` k > 1 only every
  k-th frame is kept (frames 0, k, 2k, ...; N counts the kept ones), and the pair gap, in frames of
  the video, becomes ``ceil(min / k)`` to ``max // k`` kept frames;
- view groups (multi-view folders, smallNORB): one group per unit;
- any other pair source: one fixed pair per unit.

Shards are written in parallel processes (``workers``), each to a temporary name renamed when
whole, and ``shards.json`` is rewritten after every shard: an interrupted run, started again with
the same arguments, writes only the shards that are missing. A unit that cannot be read (a corrupt
video) is left out with a warning; the manifest counts what each shard really holds.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import webdataset
from torch.utils.data import Dataset
from tqdm import tqdm

from landmarks.config import DataConfig
from landmarks.data.frame_boxes import crop_box
from landmarks.data.images import load_image
from landmarks.data.multi_view import MultiViewPairs
from landmarks.data.preprocess import fit_to_model
from landmarks.data.shard_format import (
    MANIFEST,
    VALIDATION_SHARD,
    ShardEntry,
    ShardManifest,
    encode_image,
    field_name,
    frame_field,
    read_manifest,
    shard_name,
    write_manifest,
)
from landmarks.data.sources import build_training_dataset, build_validation_dataset
from landmarks.data.video_pairs import VideoPairs, read_frames
from landmarks.datasets.array_view_pairs import ArrayViewPairs
from landmarks.errors import ConfigError, DataError

logger = logging.getLogger("landmarks.data")

UNITS_PER_SHARD = {"images": 2000, "clips": 64, "pairs": 1000}  # about 10-30 MB shards at 128 px
# The data.* fields that decide what the shards hold (not how they are later read: batch size, workers)
SOURCE_FIELDS = ("source", "root", "resize", "resize_to", "synthetic_count", "synthetic_seed",
                 "synthetic_videos", "synthetic_video_frames", "validation_count", "frame_gap", "boxes")


def plan_units(dataset: Dataset, clip_frames: int,
               frame_step: int = 1) -> tuple[str, str | None, tuple[int, int], list]:
    """``(kind, pairing, gap, units)`` of a training dataset (see the module docstring).

    Units are ints (image, group or pair positions) or ``(video, start, stop)`` ranges of kept
    frames (frame ``p x frame_step`` of the video for position ``p``); for clips of frames ``gap`` is
    in kept frames.
    """
    if isinstance(dataset, VideoPairs):
        gap = (-(-dataset.gap[0] // frame_step), dataset.gap[1] // frame_step)
        if gap[0] > gap[1]:
            low, high = dataset.gap
            raise ConfigError(f"--frame-step {frame_step} keeps no two frames {low}-{high} apart "
                              f"(data.frame_gap)")
        if gap[0] + 1 > clip_frames:
            raise ConfigError(f"--clip-frames {clip_frames} is too short for pairs {gap[0]} kept frames "
                              f"apart (data.frame_gap, --frame-step)")
        clips = []
        for number, video in enumerate(dataset.videos):
            kept = -(-video.frame_count // frame_step)
            count = max(1, kept // clip_frames)
            ends = np.linspace(0, kept, count + 1).round().astype(int)
            clips += [(number, int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)
                      if b - a >= gap[0] + 1]
        return "clips", "frames", gap, clips
    if isinstance(dataset, (MultiViewPairs, ArrayViewPairs)):
        return "clips", "views", (1, 1), list(range(len(dataset.groups)))
    first = dataset[0]
    if "image" in first:
        return "images", None, (1, 1), list(range(len(dataset)))
    return "pairs", None, (1, 1), list(range(len(dataset)))


def unit_images(dataset: Dataset, kind: str, unit,
                frame_step: int = 1) -> tuple[dict[str, torch.Tensor], dict]:
    """The ``(3, S, S)`` images of one unit by field name (without the image extension: ``""`` for an
    image sample's only image, ``source``, ``target``, ``f0000``...), and its JSON metadata.

    Raises:
        DataError: a frame or image of the unit cannot be read.
    """
    if kind == "images":
        return {"": dataset[unit]["image"]}, {"unit": unit}
    if kind == "pairs":
        item = dataset[unit]
        return {"source": item["source"], "target": item["target"]}, {"unit": unit}
    if isinstance(dataset, VideoPairs):
        number, start, stop = unit
        video = dataset.videos[number]
        frames = [position * frame_step for position in range(start, stop)]
        images = read_frames(video, frames)
        if dataset.boxes is not None:
            images = [crop_box(image, dataset.boxes.box(video.name, f)) for image, f in zip(images, frames,
                                                                                            strict=True)]
        metadata = {"group": video.name, "frames": frames}
    elif isinstance(dataset, MultiViewPairs):
        group = dataset.groups[unit]
        images = [load_image(path) for path in group.paths]
        metadata = {"group": group.name, "frames": list(range(len(group.paths)))}
    else:  # ArrayViewPairs
        group = dataset.groups[unit]
        images = [dataset._rgb(int(position)) for position in group.indices]
        metadata = {"group": group.name, "frames": list(range(len(group.indices)))}
    tensors = {frame_field(i): fit_to_model(image, dataset.spec)[0] for i, image in enumerate(images)}
    return tensors, {"unit": unit if isinstance(unit, int) else list(unit), **metadata}


def write_samples(path: Path, samples: Iterator[dict]) -> int:
    """Write WebDataset samples (``__key__`` and bytes fields) to ``path``, whole or not at all.

    Returns the number of samples written."""
    temporary = path.with_name(f".{path.name}.tmp")
    count = 0
    with open(temporary, "wb") as stream:
        writer = webdataset.TarWriter(stream, encoder=False, mtime=0.0)
        for sample in samples:
            writer.write(sample)
            count += 1
        writer.close()
    os.replace(temporary, path)
    return count


class _Shards:
    """What a writing process holds: the source's training set, its units, and the output settings."""

    def __init__(self, data: DataConfig, image_size: int, clip_frames: int, image_format: str,
                 frame_step: int = 1):
        self.dataset = build_training_dataset(data, image_size)
        self.kind, self.pairing, self.gap, self.units = plan_units(self.dataset, clip_frames, frame_step)
        self.image_format, self.frame_step = image_format, frame_step

    def write(self, folder: Path, number: int, per_shard: int) -> tuple[ShardEntry, list[str]]:
        problems: list[str] = []
        items = 0

        def samples() -> Iterator[dict]:
            nonlocal items
            for position in range(number * per_shard, min((number + 1) * per_shard, len(self.units))):
                try:
                    images, metadata = unit_images(self.dataset, self.kind, self.units[position],
                                                   self.frame_step)
                except DataError as error:
                    problems.append(str(error))
                    continue
                items += 1 if self.kind != "clips" else len(images)
                sample = {"__key__": f"{position:09d}", "json": _json_bytes(metadata)}
                sample.update({field_name(name, self.image_format): encode_image(image, self.image_format)
                               for name, image in images.items()})
                yield sample

        path = folder / shard_name(number)
        count = write_samples(path, samples())
        return ShardEntry(path.name, count, items, path.stat().st_size), problems


_worker_shards: _Shards | None = None  # in each writing process


def _start_worker(*arguments) -> None:
    global _worker_shards
    torch.set_num_threads(1)
    logging.getLogger("landmarks").setLevel(logging.ERROR)  # the main process reported the source
    _worker_shards = _Shards(*arguments)


def _write_in_worker(folder: Path, number: int, per_shard: int) -> tuple[ShardEntry, list[str]]:
    return _worker_shards.write(folder, number, per_shard)


def write_shards(data: DataConfig, image_size: int, output: str | Path, *, units_per_shard: int | None = None,
                 clip_frames: int = 32, image_format: str = "jpg", workers: int = 1,
                 frame_step: int = 1) -> ShardManifest:
    """Write the training set of ``data`` (and its validation items) as shards into ``output``.

    Args:
        data: the source, as for ``fit`` (``data.source``, ``data.root``, ``data.resize`` ...).
        image_size: ``S``, the training size (``model.image_size x pairs.supersample``).
        output: the shard folder; a folder holding part of the same shards is completed.
        units_per_shard: source units per shard (default :data:`UNITS_PER_SHARD` of the kind).
        clip_frames: the clip length videos are cut into (see the module docstring).
        image_format: ``"jpg"`` (default) or ``"png"`` (lossless, larger).
        workers: processes writing shards (1: this process).
        frame_step: keep every ``frame_step``-th frame of a video (see the module docstring).

    Raises:
        ConfigError: bad arguments. DataError: the source cannot be read, or ``output`` holds
            other shards or other files.
    """
    if data.source == "shards":
        raise ConfigError("data.source is already 'shards': give the source to convert (--data)")
    if image_format not in ("jpg", "png") or clip_frames < 2 or min(workers, frame_step) < 1:
        raise ConfigError(f"--image-format must be jpg or png, --clip-frames at least 2, --workers and "
                          f"--frame-step at least 1; got {image_format}, {clip_frames}, {workers}, "
                          f"{frame_step}")
    output = Path(output)
    arguments = (data, image_size, clip_frames, image_format, frame_step)
    shards = _Shards(*arguments)  # reads the source, reports its problems
    kind, pairing, gap, units = shards.kind, shards.pairing, shards.gap, shards.units
    per_shard = units_per_shard or UNITS_PER_SHARD[kind]
    if per_shard < 1:
        raise ConfigError(f"--shard-size must be at least 1, got {per_shard}")
    source = {name: getattr(data, name) for name in SOURCE_FIELDS}
    source["frame_gap"] = list(source["frame_gap"])
    source["root"] = str(Path(data.root).resolve()) if data.root else None
    manifest = ShardManifest(kind=kind, pairing=pairing, gap=gap, image_size=image_size,
                             image_format=image_format, source=source, units=len(units),
                             units_per_shard=per_shard, clip_frames=clip_frames, frame_step=frame_step)
    manifest = _resume_or_start(output, manifest)
    done = {entry.name for entry in manifest.shards}
    todo = [n for n in range(manifest.planned_shards) if shard_name(n) not in done]
    if manifest.validation is None and not manifest.shards:
        validation = _write_validation(data, image_size, output, image_format)
        manifest = replace(manifest, validation=validation)
    noun = {"images": "images", "pairs": "fixed pairs",
            "clips": "clips" if pairing == "frames" else "view groups"}
    logger.info("%d %s in %d shard(s) of up to %d in %s (%d written before)", len(units), noun[kind],
                manifest.planned_shards, per_shard, output, manifest.planned_shards - len(todo))
    problems: list[str] = []
    bar = tqdm(total=len(todo), desc=f"sharding {data.root or data.source}", unit="shard", file=sys.stderr,
               disable=len(todo) < 2)
    with bar:
        for entry, failed in _written(shards, output, todo, per_shard, workers, arguments):
            problems += failed
            entries = sorted((*manifest.shards, entry), key=lambda e: e.name)
            complete = len(entries) == manifest.planned_shards
            manifest = replace(manifest, shards=tuple(entries), complete=complete)
            write_manifest(output, manifest)
            bar.update()
    for problem in problems:
        logger.warning("left out: %s", problem)
    if not manifest.complete:  # nothing was left to write
        manifest = replace(manifest, complete=True)
        write_manifest(output, manifest)
    return manifest


def _written(shards: _Shards, output: Path, todo: list[int], per_shard: int, workers: int, arguments):
    workers = min(workers, len(todo))
    if workers <= 1:
        for number in todo:
            yield shards.write(output, number, per_shard)
        return
    # spawn: forking a process that already runs torch's threads can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=arguments) as pool:
        futures = [pool.submit(_write_in_worker, output, number, per_shard) for number in todo]
        for future in futures:
            yield future.result()


def _resume_or_start(output: Path, manifest: ShardManifest) -> ShardManifest:
    """The manifest to continue from: the finished shards of an earlier run of the same plan, or none."""
    if (output / MANIFEST).is_file():
        earlier = read_manifest(output)
        if earlier.plan() != manifest.plan():
            before, now = earlier.plan(), manifest.plan()
            changed = next(key for key, value in now.items() if before.get(key) != value)
            raise DataError(output, f"holds shards of another source or settings ({changed}: "
                                    f"{before.get(changed)!r} there, {now[changed]!r} now); give another "
                                    f"--output")
        whole = tuple(entry for entry in earlier.shards if (output / entry.name).is_file()
                      and (output / entry.name).stat().st_size == entry.bytes)
        return replace(manifest, shards=whole, validation=earlier.validation)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise DataError(output, "exists and is not an empty folder: give a new --output for the shards")
    output.mkdir(parents=True, exist_ok=True)
    write_manifest(output, manifest)
    return manifest


def _write_validation(data: DataConfig, image_size: int, output: Path, image_format: str) -> int:
    """The fixed validation items in ``validation.tar``; their count (0: none held out, no file)."""
    validation = build_validation_dataset(data, image_size)
    if validation is None or len(validation) == 0:
        return 0

    def samples() -> Iterator[dict]:
        for position in range(len(validation)):
            item = validation[position]
            fields = {"": item["image"]} if "image" in item else {"source": item["source"],
                                                                  "target": item["target"]}
            yield {"__key__": f"{position:09d}", "json": _json_bytes({"unit": position}),
                   **{field_name(name, image_format): encode_image(image, image_format)
                      for name, image in fields.items()}}

    return write_samples(output / VALIDATION_SHARD, samples())


def _json_bytes(data: dict) -> bytes:
    return json.dumps(data).encode()
