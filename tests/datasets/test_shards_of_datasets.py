"""`landmarks shard` reads the named datasets through their adapters: smallNORB's view groups become
clips of views, SVHN's images image samples."""

from __future__ import annotations

import pytest

from landmarks.config import DataConfig
from landmarks.data.shard_format import check_shards, read_manifest
from landmarks.data.shard_stream import ShardStream
from landmarks.datasets.registry import open_dataset

from .test_smallnorb import write_norb
from .test_svhn import write_svhn

pytest.importorskip("webdataset")
from landmarks.data.shard_writer import write_shards  # noqa: E402  (needs webdataset)


def test_smallnorb_view_groups_become_clips_of_two_views_of_one_group(tmp_path):
    root = write_norb(tmp_path / "norb")
    data = DataConfig(source="smallnorb-animal", root=str(root), validation_count=4)
    manifest = write_shards(data, 8, tmp_path / "shards", units_per_shard=1, image_format="png")
    assert (manifest.kind, manifest.pairing, manifest.units, manifest.items) == ("clips", "views", 4, 24)
    split = open_dataset("smallnorb-animal", root).splits["training"]
    stream = ShardStream(check_shards(tmp_path / "shards", manifest), manifest, buffer=3)
    for _, item in zip(range(48), stream, strict=False):
        rows = [round(float(item[key][0, 0, 0]) * 255) for key in ("source", "target")]  # pixel = row
        assert rows[0] != rows[1]
        assert len({(split.instance[r], split.lighting[r], split.category[r]) for r in rows}) == 1


def test_svhn_images_become_image_samples(tmp_path):
    write_svhn(tmp_path / "svhn", train=6, test=3)
    data = DataConfig(source="svhn", root=str(tmp_path / "svhn"), validation_count=2)
    manifest = write_shards(data, 32, tmp_path / "shards", units_per_shard=4)
    assert (manifest.kind, manifest.items, manifest.validation) == ("images", 6, 2)
    assert read_manifest(tmp_path / "shards").complete
