"""Streaming shards: `landmarks shard` writes real WebDataset tars from image folders, frame folders and
videos; the stream reads every shard of an epoch once across ranks and workers, resumes where it
stopped, and bad shards are one-line errors."""

from __future__ import annotations

import dataclasses
import itertools
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from landmarks.cli import main
from landmarks.config import DataConfig
from landmarks.data.shard_format import MANIFEST, check_shards, read_manifest, shard_name, write_manifest
from landmarks.data.shard_stream import (
    ShardItems,
    ShardStream,
    StreamPosition,
    assigned_shards,
    shards_to_skip,
    shuffled,
    worker_batches,
)
from landmarks.errors import ConfigError, DataError

pytest.importorskip("webdataset")  # the shards extra (in the test extra too)
from landmarks.data.shard_writer import write_shards  # noqa: E402  (imports webdataset)

SIZE = 32
TINY = ["model.image_size=32", "model.num_landmarks=4", "model.base_width=4", "model.generator_width=16",
        "model.generator_min_width=4", "data.batch_size=2", "data.num_workers=0", "data.validation_count=0",
        "loss.kind=l2", "model.detector=paper", "trainer.progress_bar=false", "trainer.accelerator=cpu",
        "trainer.devices=1"]


def write_numbered_images(folder: Path, count: int) -> Path:
    """``count`` uniform PNGs whose red value is ``10 * n`` (n in file order) and green 200."""
    folder.mkdir(parents=True)
    for n in range(count):
        pixels = np.full((12, 20, 3), (10 * n, 200, 50), np.uint8)
        Image.fromarray(pixels).save(folder / f"image{n:03d}.png")
    return folder


def number(image: torch.Tensor) -> int:
    """The ``n`` of :func:`write_numbered_images` from a ``(3, S, S)`` image in [0, 1]."""
    return round(float(image[0].mean()) * 255 / 10)


def image_shards(tmp_path: Path, count: int = 24, per_shard: int = 3, **options) -> Path:
    data = DataConfig(source="image-folder", root=str(write_numbered_images(tmp_path / "images", count)),
                      validation_count=0)
    write_shards(data, SIZE, tmp_path / "shards", units_per_shard=per_shard, image_format="png", **options)
    return tmp_path / "shards"


def stream(folder: Path, **options) -> ShardStream:
    manifest = read_manifest(folder)
    return ShardStream(check_shards(folder, manifest), manifest, **options)


def first(items, count: int) -> list:
    return list(itertools.islice(iter(items), count))


def test_an_image_folder_becomes_shards_of_its_images(tmp_path):
    folder = image_shards(tmp_path, count=10, per_shard=4)
    manifest = read_manifest(folder)
    assert (manifest.kind, manifest.image_size, manifest.complete) == ("images", SIZE, True)
    assert [(e.name, e.samples, e.items) for e in manifest.shards] == [
        ("train-000000.tar", 4, 4), ("train-000001.tar", 4, 4), ("train-000002.tar", 2, 2)]
    with tarfile.open(folder / "train-000000.tar") as tar:  # plain WebDataset: KEY.ext files
        assert tar.getnames()[:2] == ["000000000.json", "000000000.png"]
    items = first(stream(folder, buffer=0), 10)
    assert all(item["image"].shape == (3, SIZE, SIZE) for item in items)
    assert all(item["image"].dtype == torch.float32 for item in items)
    assert sorted(number(item["image"]) for item in items) == list(range(10))  # one epoch: each once
    assert float(items[0]["image"][1].mean()) == pytest.approx(200 / 255)  # PNG: exact


def test_the_shuffle_buffer_reads_exactly_buffer_more_than_it_gives(tmp_path):
    read = []

    def source():
        for n in range(100):
            read.append(n)
            yield {"n": n}

    out = first(shuffled(source(), 10, torch.Generator().manual_seed(0)), 30)
    assert len(read) == 40
    assert [item["n"] for item in out] != list(range(30))  # shuffled
    assert [item["n"] for item in shuffled(iter([{"n": 1}, {"n": 2}]), 0, torch.Generator())] == [1, 2]


@pytest.mark.parametrize("shards, world, workers", [(8, 2, 2), (11, 2, 2), (5, 1, 3), (9, 4, 1)])
def test_each_epoch_gives_every_shard_to_exactly_one_worker_of_one_rank(shards, world, workers):
    for epoch in range(3):
        parts = [assigned_shards(shards, epoch, 7, rank, world, worker, workers)
                 for rank in range(world) for worker in range(workers)]
        assert sorted(itertools.chain(*parts)) == list(range(shards))  # none twice, none left out
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert assigned_shards(shards, 0, 7, 0, 1, 0, 1) != assigned_shards(shards, 1, 7, 0, 1, 0, 1)


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_two_ranks_of_two_workers_read_each_image_once_an_epoch(tmp_path):
    """8 shards of 3 images over 2 ranks x 2 workers: 2 shards (6 images) per worker and epoch, so the
    first 12 items of each rank are its share of epoch 0 (in order: no buffer here, that it is a
    buffer is tested above), and the two ranks' shares are the folder."""
    folder = image_shards(tmp_path, count=24, per_shard=3)
    seen = []
    for rank in (0, 1):
        ranked = stream(folder, buffer=0, seed=3, rank=rank, world_size=2)
        loader = DataLoader(ranked, batch_size=3, num_workers=2)
        seen.append([number(image) for batch in first(loader, 4) for image in batch["image"]])
    assert sorted(seen[0] + seen[1]) == list(range(24))
    assert set(seen[0]).isdisjoint(seen[1])


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_too_few_shards_for_the_workers_is_an_error(tmp_path):
    folder = image_shards(tmp_path, count=6, per_shard=3)  # 2 shards
    with pytest.raises(DataError, match="2 shard.*2 process.*2 worker"):
        first(DataLoader(stream(folder, rank=0, world_size=2), batch_size=1, num_workers=2), 1)


def test_which_batches_came_from_which_worker():
    assert [worker_batches(5, w, 2) for w in (0, 1)] == [3, 2]
    assert [worker_batches(1, w, 3) for w in (0, 1, 2)] == [1, 0, 0]
    assert worker_batches(0, 0, 1) == 0


def test_shards_wholly_read_are_skipped_on_resuming():
    items = [3, 3, 3, 3]
    # gave out 5 through a buffer of 4: read 9, so shards 0-2 whole, shard 3 not yet begun
    assert shards_to_skip(items, iter([0, 1, 2, 3]), emitted=5, buffer=4) == 3
    assert shards_to_skip(items, iter([2, 0, 1, 3]), emitted=4, buffer=0) == 1  # 4 read: one whole shard
    assert shards_to_skip(items, iter([0, 1]), emitted=0, buffer=4) == 0  # nothing trained on yet


def test_a_resumed_stream_continues_without_losing_or_repeating_beyond_a_shard(tmp_path):
    """Buffer 0 (in order): 10 items given out = 3 whole shards and 1 item of the 4th. The resumed
    stream starts at that 4th shard: its first item comes again, and nothing is lost."""
    folder = image_shards(tmp_path, count=24, per_shard=3)
    before = [number(item["image"]) for item in first(stream(folder, buffer=0, seed=5), 10)]
    position = StreamPosition(batches=5, world_size=1, workers=1, batch_size=2, buffer=0)
    after = [number(item["image"]) for item in first(stream(folder, buffer=0, seed=5, position=position), 15)]
    assert after[0] == before[-1]  # the partly read shard is read again
    assert sorted(set(before + after)) == list(range(24))  # the rest of epoch 0, nothing lost
    assert len(before) + len(after) == 24 + 1


def test_clips_of_frame_folders_give_pairs_of_one_video_within_the_gap(tmp_path, videos):
    root = tmp_path / "clips"
    for video in range(3):
        videos.write_frames(root / f"person{video}", video, 20)
    data = DataConfig(source="frame-folders", root=str(root), validation_count=8, frame_gap=(2, 4))
    manifest = write_shards(data, SIZE, tmp_path / "shards", units_per_shard=1, clip_frames=6,
                            image_format="png")
    # one of 3 videos held out (8 validation pairs); 20 frames -> 3 clips of 6-7 frames each
    assert (manifest.kind, manifest.pairing, manifest.gap, manifest.units) == ("clips", "frames", (2, 4), 6)
    assert manifest.items == 40 and manifest.validation == 8
    pairs = first(stream(tmp_path / "shards", buffer=5), 80)
    for pair in pairs:
        (video, a), (other, b) = videos.decode(pair["source"]), videos.decode(pair["target"])
        assert video == other and video in (0, 1) and 2 <= abs(a - b) <= 4
    validation = ShardItems(tmp_path / "shards" / "validation.tar", manifest)
    assert len(validation) == 8 and all(videos.decode(validation[i]["source"])[0] == 2 for i in range(8))


def test_video_files_become_clips_with_their_frame_numbers(tmp_path, videos):
    for video in range(2):
        videos.write_coded(tmp_path / "videos" / f"v{video}.mkv", video, 9)
    data = DataConfig(source="video-folder", root=str(tmp_path / "videos"), validation_count=0,
                      frame_gap=(1, 3))
    manifest = write_shards(data, SIZE, tmp_path / "shards", clip_frames=4, image_format="png")
    assert manifest.units == 4 and manifest.items == 18  # 9 frames -> clips of 4 and 5 frames
    with tarfile.open(tmp_path / "shards" / shard_name(0)) as tar:
        record = json.load(tar.extractfile("000000001.json"))
    assert record["group"] == "v0.mkv" and record["frames"] == [4, 5, 6, 7, 8]


def test_an_interrupted_writing_is_finished_by_running_it_again(tmp_path):
    folder = image_shards(tmp_path, count=12, per_shard=3)
    manifest = read_manifest(folder)
    kept = (folder / shard_name(0)).stat().st_mtime_ns
    (folder / shard_name(3)).unlink()  # as if killed before the last shard was written
    write_manifest(folder, manifest.__class__(**{**manifest.__dict__, "shards": manifest.shards[:3],
                                                  "complete": False}))
    with pytest.raises(DataError, match="unfinished .3 of 4"):
        check_shards(folder, read_manifest(folder))
    data = DataConfig(source="image-folder", root=str(tmp_path / "images"), validation_count=0)
    again = write_shards(data, SIZE, folder, units_per_shard=3, image_format="png")
    assert again.complete and [e.name for e in again.shards] == [shard_name(n) for n in range(4)]
    assert (folder / shard_name(0)).stat().st_mtime_ns == kept  # not written again
    with pytest.raises(DataError, match="another source or settings .units_per_shard"):
        write_shards(data, SIZE, folder, units_per_shard=4, image_format="png")


@pytest.mark.parametrize("damage, message", [
    ("manifest", "no shards.json here"),
    ("truncate", "shard truncated or changed"),
    ("missing", "shard missing"),
    ("garbage", "not a readable shard|unreadable image"),
])
def test_bad_shards_are_one_line_and_status_2(tmp_path, capsys, damage, message):
    folder = image_shards(tmp_path, count=12, per_shard=3)
    path = folder / shard_name(1)
    if damage == "manifest":
        (folder / MANIFEST).unlink()
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "missing":
        path.unlink()
    else:  # the same size, other bytes: passes the size check, fails when read
        path.write_bytes(b"\x17" * path.stat().st_size)
    status = main(["fit", "--data", "shards", "--data-root", str(folder), "--output", str(tmp_path / "run"),
                   *TINY, "trainer.max_steps=12"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert status == 2
    assert any(word in lines[-1] for word in message.split("|")), lines[-1]
    assert "Traceback" not in "\n".join(lines)


@pytest.mark.slow
def test_shards_written_in_parallel_are_those_written_in_one_process(tmp_path):
    images = write_numbered_images(tmp_path / "images", 12)
    data = DataConfig(source="image-folder", root=str(images), validation_count=2)
    one = write_shards(data, SIZE, tmp_path / "one", units_per_shard=3, image_format="png", workers=1)
    two = write_shards(data, SIZE, tmp_path / "two", units_per_shard=3, image_format="png", workers=2)
    assert one == two
    for entry in one.shards:
        assert (tmp_path / "one" / entry.name).read_bytes() == (tmp_path / "two" / entry.name).read_bytes()


def test_empty_shards_are_left_out_of_the_stream(tmp_path):
    """A shard whose units were all unreadable when written holds nothing: no worker may wait on it."""
    folder = image_shards(tmp_path, count=6, per_shard=3)
    manifest = read_manifest(folder)
    empty = dataclasses.replace(manifest.shards[0], items=0, samples=0)
    manifest = dataclasses.replace(manifest, shards=(empty, manifest.shards[1]))
    kept = ShardStream(check_shards(folder, manifest), manifest, buffer=0)
    assert [path.name for path in kept.paths] == [shard_name(1)] and kept.items == [3]


def test_a_frame_step_keeps_every_kth_frame_and_divides_the_gap(tmp_path, videos):
    videos.write_frames(tmp_path / "clips" / "person0", 0, 30)
    data = DataConfig(source="frame-folders", root=str(tmp_path / "clips"), validation_count=0,
                      frame_gap=(4, 12))
    manifest = write_shards(data, SIZE, tmp_path / "shards", clip_frames=5, frame_step=2, image_format="png")
    # 15 kept frames (0, 2, ..., 28) in 3 clips of 5; gap 4-12 frames = 2-6 kept frames
    assert (manifest.gap, manifest.units, manifest.items, manifest.frame_step) == ((2, 6), 3, 15, 2)
    with tarfile.open(tmp_path / "shards" / shard_name(0)) as tar:
        assert json.load(tar.extractfile("000000001.json"))["frames"] == [10, 12, 14, 16, 18]
    for pair in first(stream(tmp_path / "shards", buffer=4), 30):
        (_, a), (_, b) = videos.decode(pair["source"]), videos.decode(pair["target"])
        assert a % 2 == b % 2 == 0 and 4 <= abs(a - b) <= 8  # within a clip of 5 kept frames
    with pytest.raises(ConfigError, match="keeps no two frames"):
        write_shards(dataclasses.replace(data, frame_gap=(3, 3)), SIZE, tmp_path / "other", frame_step=2)
