"""Training items streamed from shards (``data.source: shards``), split across processes and workers.

Order: the stream is endless, epoch after epoch. Epoch ``e`` visits every training shard once, in
an order drawn from ``seed + e`` (the same in every process); shard ``order[j]`` goes to process
``j mod world_size`` and, within it, to data-loader worker ``(j div world_size) mod workers``
(:func:`assigned_shards`). So each shard of an epoch is read by exactly one worker of one process:
none twice, none left out. Each worker reads its shards one after the other, turns each sample into
training items (an image; or for a clip of T frames, T pairs drawn as the source draws them), and
passes them through a shuffle buffer of ``buffer`` items (:func:`shuffled`).

Resuming: the DataLoader takes batch ``k`` of a process from worker ``k mod workers``, so from the
number of batches a process has trained on, each worker knows how many items it has given out, and
that its buffer held ``buffer`` more that it had read (:func:`shards_to_skip`). A resumed worker
starts at its first shard not wholly read before: the items still in the old buffer are lost (at
most ``buffer``), and the items of its shard read in part are seen again. That holds while the
number of processes, workers, batch size and buffer stay those of the interrupted run; with others
the stream starts again from the first epoch (:class:`StreamPosition`).
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from landmarks.data.pair_items import view_pair
from landmarks.data.shard_format import ShardManifest, decode_image, field_name, frame_field
from landmarks.data.video_pairs import sample_frame_pair
from landmarks.errors import DataError


@dataclass(frozen=True)
class StreamPosition:
    """How far a process has read its stream, and the layout the count is valid for.

    Attributes:
        batches: batches this process has trained on since the stream began.
        world_size, workers, batch_size, buffer: the layout of the run that counted them.
    """

    batches: int = 0
    world_size: int = 1
    workers: int = 1
    batch_size: int = 1
    buffer: int = 0

    def continues(self, other: StreamPosition) -> bool:
        """Whether ``other`` (a new run's layout) can continue from this position."""
        return (self.world_size, self.workers, self.batch_size, self.buffer) == (
            other.world_size, other.workers, other.batch_size, other.buffer)


def assigned_shards(shards: int, epoch: int, seed: int, rank: int, world_size: int, worker: int,
                    workers: int) -> list[int]:
    """The shards (numbers in ``[0, shards)``) that ``worker`` of process ``rank`` reads in ``epoch``,
    in the order it reads them."""
    order = torch.randperm(shards, generator=torch.Generator().manual_seed(seed + epoch)).tolist()
    return order[rank::world_size][worker::workers]


def worker_batches(batches: int, worker: int, workers: int) -> int:
    """Of a process's first ``batches`` batches, how many came from ``worker`` (batch k: k mod workers)."""
    return max(0, -(-(batches - worker) // workers))


def shards_to_skip(items: Sequence[int], shard_sequence: Iterator[int], emitted: int, buffer: int) -> int:
    """How many of a worker's shards (in its order) were wholly read once it had given out ``emitted``
    items through a buffer of ``buffer`` (it had then read ``emitted + buffer``); ``items[s]`` are
    shard ``s``'s items."""
    if emitted == 0:
        return 0
    read, skipped = emitted + buffer, 0
    for shard in shard_sequence:
        read -= items[shard]
        if read < 0:
            return skipped
        skipped += 1
    return skipped


def shuffled(items: Iterator[dict], buffer: int, generator: torch.Generator) -> Iterator[dict]:
    """``items`` in random order through a buffer of ``buffer`` items (0: in order).

    The buffer fills first; then each new item replaces a random one, which is given out. So after
    ``n`` items given out, exactly ``n + buffer`` have been read (what resuming relies on).
    """
    pool: list[dict] = []
    for item in items:
        if len(pool) < buffer:
            pool.append(item)
            continue
        if not pool:
            yield item
            continue
        index = int(torch.randint(0, len(pool), (1,), generator=generator))
        yield pool[index]
        pool[index] = item


def read_samples(path: Path) -> Iterator[dict]:
    """The samples of one WebDataset tar shard: ``{"__key__", FIELD: bytes ...}``.

    Raises:
        DataError: the file is not a readable tar (truncated, corrupt, not a shard).
    """
    from webdataset.tariterators import group_by_keys, tar_file_iterator

    try:
        with open(path, "rb") as stream:
            files = tar_file_iterator(stream)
            yield from group_by_keys({**f, "__url__": str(path)} for f in files)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise DataError(path, f"not a readable shard ({type(error).__name__}: {error})") from None


class ShardStream(IterableDataset):
    """The endless stream of training items of one process (see the module docstring).

    Items, as the other sources give them: ``image`` ``(3, S, S)`` float32 in ``[0, 1]`` (kind
    ``images``), or ``source`` and ``target`` (clips, pairs).

    Args:
        paths: the training shards in the manifest's order (from :func:`.shard_format.check_shards`).
        manifest: the shard folder's manifest.
        seed: the shard order of every epoch (the same in every process).
        buffer: items in each worker's shuffle buffer.
        rank, world_size: this process and the number of processes.
        position: where an interrupted run stopped (:class:`StreamPosition`); None to start afresh.
    """

    def __init__(self, paths: Sequence[Path], manifest: ShardManifest, *, seed: int = 0, buffer: int = 1000,
                 rank: int = 0, world_size: int = 1, position: StreamPosition | None = None):
        # A shard whose every unit was unreadable when it was written holds nothing: left out, so
        # that no worker waits forever on empty shards.
        entries = zip(paths, manifest.shards, strict=True)
        kept = [(path, entry.items) for path, entry in entries if entry.items]
        self.paths, self.manifest = tuple(path for path, _ in kept), manifest
        self.items = [items for _, items in kept]
        self.seed, self.buffer, self.rank, self.world_size = seed, buffer, rank, world_size
        self.position = position or StreamPosition()

    def __iter__(self) -> Iterator[dict]:
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        if len(self.paths) < self.world_size * workers:
            raise DataError(self.paths[0].parent if self.paths else None,
                            f"{len(self.paths)} shard(s) for {self.world_size} process(es) x {workers} "
                            f"worker(s): write more, smaller shards (--shard-size) or use fewer workers")
        emitted = worker_batches(self.position.batches, worker, workers) * self.position.batch_size
        entropy = [self.seed, self.rank, worker, self.position.batches]
        state = np.random.SeedSequence(entropy).generate_state(2)  # this worker's own pairs and shuffle
        generator = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
        sequence = self._shard_sequence(worker, workers)
        skip = shards_to_skip(self.items, self._shard_sequence(worker, workers), emitted, self.buffer)
        for _ in range(skip):
            next(sequence)
        items = (item for shard in sequence for item in self._shard_items(shard, generator))
        for item in shuffled(items, self.buffer, generator):
            yield {name: image.float() / 255 for name, image in item.items()}

    def _shard_sequence(self, worker: int, workers: int) -> Iterator[int]:
        for epoch in count():
            yield from assigned_shards(len(self.paths), epoch, self.seed, self.rank, self.world_size,
                                       worker, workers)

    def _shard_items(self, shard: int, generator: torch.Generator) -> Iterator[dict]:
        path = self.paths[shard]
        for sample in read_samples(path):
            where = f"{path} sample {sample.get('__key__')}"
            yield from sample_items(sample, self.manifest, where, generator)


def sample_items(sample: dict, manifest: ShardManifest, where: str,
                 generator: torch.Generator | None = None) -> list[dict]:
    """The training items of one sample, images ``(3, S, S)`` ``uint8`` (:mod:`landmarks.data.shard_format`).

    Raises:
        DataError: a field is missing or an image unreadable (``where`` names the sample).
    """
    size, image_format = manifest.image_size, manifest.image_format

    def image(base: str) -> torch.Tensor:
        name = field_name(base, image_format)
        if name not in sample:
            present = sorted(key for key in sample if not key.startswith("_"))
            raise DataError(where, f"no {name!r} in the sample (it has {present})")
        return decode_image(sample[name], size, where)

    if field_name("", image_format) in sample:  # an image (training or validation)
        return [{"image": image("")}]
    if field_name("source", image_format) in sample:  # a fixed pair (training or validation)
        return [{"source": image("source"), "target": image("target")}]
    frames = [image(frame_field(i)) for i in range(_frame_count(sample, image_format))]
    if len(frames) < 2:
        raise DataError(where, f"a clip of {len(frames)} image(s): pairs need two")
    pairs = []
    for anchor in range(len(frames)):
        if manifest.pairing == "views":
            a, b = view_pair(generator, anchor, len(frames))
        else:
            a, b = sample_frame_pair(len(frames), manifest.gap, generator)
        pairs.append({"source": frames[a], "target": frames[b]})
    return pairs


def _frame_count(sample: dict, image_format: str) -> int:
    frames = 0
    while field_name(frame_field(frames), image_format) in sample:
        frames += 1
    return frames


class ShardItems(Dataset):
    """Every item of one small shard held in memory (the validation shard): a map-style dataset."""

    def __init__(self, path: Path, manifest: ShardManifest):
        self.items = [item for sample in read_samples(path)
                      for item in sample_items(sample, manifest, f"{path} sample {sample.get('__key__')}")]
        if not self.items:
            raise DataError(path, "no items in the shard")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return {name: image.float() / 255 for name, image in self.items[index].items()}
