import numpy as np
import pytest

from landmarks.datasets import open_dataset
from landmarks.datasets.norb_binary import read_binary_matrix, write_binary_matrix
from landmarks.datasets.smallnorb import CATEGORIES, FILE_STEMS
from landmarks.errors import ConfigError, DataError

SIZE = 8  # image side in the fixture (96 in the real files)


def write_raw(path, magic, shape, data, slots=None):
    """A binary matrix written by hand from the format's description (not by our writer)."""
    dims = list(shape) + [1] * (max(3, len(shape)) - len(shape))
    header = np.array([magic, len(shape), *dims], dtype="<i4")
    path.write_bytes(header.tobytes() + data.tobytes())


def write_norb(root):
    """Two categories x two instances x two lightings x (2 elevations x 3 azimuths) per split."""
    root.mkdir()
    for split, instances in (("training", (4, 6)), ("testing", (0, 1))):
        rows = [
            (c, i, e, a, light)
            for c in (0, 4)
            for i in instances
            for light in (0, 3)
            for e in (0, 5)
            for a in (0, 16, 34)
        ]
        category = np.array([r[0] for r in rows], dtype="<i4")
        info = np.array([r[1:] for r in rows], dtype="<i4")
        images = np.zeros((len(rows), 2, SIZE, SIZE), np.uint8)
        images[:, 0] = np.arange(len(rows), dtype=np.uint8)[:, None, None]  # left camera: the row number
        images[:, 1] = 255
        stem = root / FILE_STEMS[split]
        write_raw(stem.with_name(stem.name + "-dat.mat"), 0x1E3D4C55, images.shape, images)
        write_raw(stem.with_name(stem.name + "-cat.mat"), 0x1E3D4C54, category.shape, category)
        write_raw(stem.with_name(stem.name + "-info.mat"), 0x1E3D4C54, info.shape, info)
    return root


def test_the_header_layout_has_at_least_three_dims(tmp_path):
    path = tmp_path / "cat.mat"
    write_raw(path, 0x1E3D4C54, (5,), np.arange(5, dtype="<i4"))
    assert path.stat().st_size == 4 * (2 + 3) + 4 * 5  # magic, ndim, three dim slots, data
    np.testing.assert_array_equal(read_binary_matrix(path), np.arange(5))
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_binary_matrix(tmp_path / "round.mat", array)
    np.testing.assert_array_equal(read_binary_matrix(tmp_path / "round.mat"), array)


def test_bad_magic_and_truncated_files_are_errors(tmp_path):
    path = tmp_path / "bad.mat"
    write_raw(path, 0x12345678, (2,), np.zeros(2, "<i4"))
    with pytest.raises(DataError, match="magic number 0x12345678"):
        read_binary_matrix(path)
    write_raw(path, 0x1E3D4C54, (4,), np.zeros(3, "<i4"))
    with pytest.raises(DataError, match="needs 16 data bytes, file has 12"):
        read_binary_matrix(path)


def test_view_groups_share_instance_and_lighting(tmp_path):
    norb = open_dataset("smallnorb-car", write_norb(tmp_path / "norb"))
    groups = norb.view_groups()
    assert len(groups) == 4  # 2 instances x 2 lightings of the car category
    train = norb.training_images(norb.preprocessing.spec(16))
    assert len(train) == 24
    split = norb.splits["training"]
    for group in groups:
        assert len(group.indices) == 6 and len(np.unique(group.viewpoints, axis=0)) == 6
        rows = group.indices  # positions in the split's image array
        assert len({(split.category[r], split.instance[r], split.lighting[r]) for r in rows}) == 1
        assert {split.category[r] for r in rows} == {CATEGORIES.index("car")}
    assert sorted(groups[0].viewpoints[:, 1].tolist()) == [0, 0, 160, 160, 340, 340]  # degrees


def test_images_are_the_left_camera_as_rgb(tmp_path):
    norb = open_dataset("smallnorb", write_norb(tmp_path / "norb"))
    item = norb.training_images(norb.preprocessing.spec(SIZE))[7]
    assert item["image"].shape == (3, SIZE, SIZE)
    np.testing.assert_allclose(item["image"].numpy(), 7 / 255, atol=1e-6)
    val = norb.validation_images(norb.preprocessing.spec(SIZE), 5)
    assert len(val) == 5
    with pytest.raises(ConfigError):
        norb.evaluation_splits()


def test_a_missing_file_is_named(tmp_path):
    root = write_norb(tmp_path / "norb")
    path = root / f"{FILE_STEMS['testing']}-info.mat"
    path.unlink()
    with pytest.raises(DataError) as error:
        open_dataset("smallnorb", root)
    assert error.value.path == path


def test_files_must_agree_on_the_count(tmp_path):
    root = write_norb(tmp_path / "norb")
    path = root / f"{FILE_STEMS['training']}-cat.mat"
    write_raw(path, 0x1E3D4C54, (3,), np.zeros(3, "<i4"))
    with pytest.raises(DataError, match="categories like the dat file"):
        open_dataset("smallnorb", root).training_images(None)


def test_pairs_are_two_views_of_one_group(tmp_path):
    norb = open_dataset("smallnorb-animal", write_norb(tmp_path / "norb"))
    spec = norb.preprocessing.spec(SIZE)
    pairs = norb.training_pairs(spec, split="train", validation_count=4)
    assert len(pairs) == 24
    split = norb.splits["training"]
    for index in range(len(pairs)):
        item = pairs[index]
        rows = [round(float(item[key][0, 0, 0]) * 255) for key in ("source", "target")]  # pixel = row
        assert rows[0] != rows[1]
        assert len({(split.instance[r], split.lighting[r], split.category[r]) for r in rows}) == 1
    validation = norb.training_pairs(spec, split="validation", validation_count=4)
    assert len(validation) == 4
    first = validation[0]
    assert all(float((first[k] - validation[0][k]).abs().max()) == 0 for k in ("source", "target"))
