"""Multi-view pairs: two different images of one instance (landmarks.data.multi_view)."""

import logging

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.data.multi_view import MultiViewPairs, find_view_groups
from landmarks.data.preprocess import ResizeSpec
from landmarks.errors import DataError

SPEC = ResizeSpec(8)


def view(group, number):
    """A uniform image whose red value encodes the group and green value the view."""
    pixels = np.empty((10, 12, 3), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = 40 * group + 20, 30 * number + 10, 0
    return Image.fromarray(pixels)


def decode(image):
    red, green = (int(round(float(image[c].mean()) * 255)) for c in (0, 1))
    return (red - 20) // 40, (green - 10) // 30


def folder_layout(root, sizes=(3, 2, 4)):
    for group, size in enumerate(sizes):
        for number in range(size):
            path = root / f"instance{group}" / ("sub" if number % 2 else "") / f"view{number}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            view(group, number).save(path)
    return root


def test_pairs_are_two_different_views_of_one_group(tmp_path):
    groups = find_view_groups(folder_layout(tmp_path / "views"))
    assert [(g.name, len(g.paths)) for g in groups] == [("instance0", 3), ("instance1", 2), ("instance2", 4)]
    pairs = MultiViewPairs(groups, SPEC)
    assert len(pairs) == 9
    for _ in range(5):
        for i in range(len(pairs)):
            item = pairs[i]
            (group_s, view_s), (group_t, view_t) = decode(item["source"]), decode(item["target"])
            assert group_s == group_t == item["group"] and view_s != view_t
            paths = groups[item["group"]].paths
            assert [paths[j].stem for j in item["images"].tolist()] == [f"view{view_s}", f"view{view_t}"]


def test_index_csv_and_unreadable_images_are_reported(tmp_path, caplog):
    root = tmp_path / "images"
    root.mkdir()
    rows = ["image,group"]
    for group in range(3):
        for number in range(2):
            view(group, number).save(root / f"g{group}_{number}.png")
            rows.append(f"images/g{group}_{number}.png,car{group}")
    (root / "g2_1.png").write_bytes(b"not a png")
    (tmp_path / "index.csv").write_text("\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING, logger="landmarks.data"):
        groups = find_view_groups(tmp_path / "index.csv")
    assert [g.name for g in groups] == ["car0", "car1"]
    assert any("g2_1.png" in line and "unreadable" in line for line in caplog.messages)
    assert any("car2" in line and "1 readable image(s) of 2" in line for line in caplog.messages)
    assert "skipped 1 of 3 view groups" in caplog.messages[-1]


def test_a_fixed_seed_gives_the_same_pairs(tmp_path):
    groups = find_view_groups(folder_layout(tmp_path / "views"))
    first, second = MultiViewPairs(groups, SPEC, seed=3), MultiViewPairs(groups, SPEC, seed=3)
    assert all(torch.equal(first[i]["images"], second[i]["images"]) for i in range(len(first)))


@pytest.mark.parametrize("text", ["picture,instance\na.png,1\n", "image,group\n,1\n"])
def test_a_malformed_index_csv_is_a_data_error(tmp_path, text):
    (tmp_path / "index.csv").write_text(text)
    with pytest.raises(DataError, match="index.csv"):
        find_view_groups(tmp_path / "index.csv")


def test_no_group_with_two_images_is_a_data_error(tmp_path):
    folder_layout(tmp_path / "views", sizes=(1, 1))
    with pytest.raises(DataError, match="all 2 view groups are unusable"):
        find_view_groups(tmp_path / "views")
