import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.data.image_folder import ImageFolder
from landmarks.data.preprocess import ResizeSpec
from landmarks.errors import DataError

SPEC = ResizeSpec(32)


def write_jpeg(path, seed=0, size=(48, 40)):
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def write_truncated_jpeg(path):
    data = write_jpeg(path, size=(200, 160)).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def mixed_folder(tmp_path):
    """One file of each kind a user's folder may hold, all with a distinct size."""
    gradient = np.linspace(0, 255, 40 * 30).reshape(30, 40).astype(np.uint8)
    Image.fromarray(np.stack([gradient] * 3, -1)).save(tmp_path / "a_rgb.png")
    Image.fromarray(gradient).save(tmp_path / "b_gray.png")
    Image.fromarray(np.dstack([gradient] * 3 + [255 - gradient])).save(tmp_path / "c_rgba.png")
    Image.fromarray(gradient).convert("P").save(tmp_path / "d_palette.png")
    Image.fromarray(gradient.astype(np.uint16) * 257).save(tmp_path / "e_gray16.png")
    (tmp_path / "nested").mkdir()
    write_jpeg(tmp_path / "nested" / "f_photo.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_reads_every_kind_of_image_as_rgb_at_the_model_size(mixed_folder):
    dataset = ImageFolder(mixed_folder, SPEC)
    assert [p.name for p in dataset.paths] == [
        "a_rgb.png", "b_gray.png", "c_rgba.png", "d_palette.png", "e_gray16.png", "f_photo.jpg"
    ]  # fmt: skip
    for index in range(len(dataset)):
        item = dataset[index]
        assert item["index"] == index
        assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.float32
        assert 0.0 <= item["image"].min() and item["image"].max() <= 1.0
    gray16 = dataset[4]["image"]
    torch.testing.assert_close(gray16, dataset[0]["image"], atol=2 / 255, rtol=0)  # 16-bit scaled to 8


@pytest.mark.parametrize("make", ["empty", "missing", "text-only", "a-file"])
def test_folders_without_images_raise_naming_the_folder(tmp_path, make):
    root = tmp_path / "photos"
    if make == "empty":
        root.mkdir()
    elif make == "text-only":
        root.mkdir()
        (root / "readme.txt").write_text("hello")
    elif make == "a-file":
        root.write_text("hello")
    with pytest.raises(DataError, match="photos"):
        ImageFolder(root, SPEC)


def test_a_corrupt_file_is_skipped_with_one_warning_naming_it(tmp_path):
    write_jpeg(tmp_path / "good.jpg")
    (tmp_path / "broken.jpg").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.warns(UserWarning, match=r"1 unreadable image file\(s\): broken.jpg"):
        dataset = ImageFolder(tmp_path, SPEC)
    assert [p.name for p in dataset.paths] == ["good.jpg"]
    with pytest.raises(DataError, match="broken.jpg"):
        ImageFolder(tmp_path, SPEC, strict=True)


def test_the_warning_names_at_most_ten_files(tmp_path):
    write_jpeg(tmp_path / "good.jpg")
    for index in range(12):
        (tmp_path / f"broken{index:02d}.png").write_bytes(b"nonsense")
    with pytest.warns(UserWarning) as caught:
        ImageFolder(tmp_path, SPEC)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "12 unreadable" in message and "and 2 more" in message and "broken11" not in message


def test_only_corrupt_files_raise_naming_the_folder(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\x00" * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=str(tmp_path.name)):
            ImageFolder(tmp_path, SPEC)


def test_a_truncated_jpeg_is_replaced_by_the_next_image_with_a_warning(tmp_path):
    write_truncated_jpeg(tmp_path / "a_truncated.jpg")
    write_jpeg(tmp_path / "b_good.jpg")
    dataset = ImageFolder(tmp_path, SPEC)  # the header is fine
    assert len(dataset) == 2
    with pytest.warns(UserWarning, match="a_truncated.jpg"):
        item = dataset[0]
    assert item["index"] == 1
    assert dataset.decode_failures == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dataset[0]["index"] == 1  # remembered: no second attempt, no second warning


def test_all_files_failing_to_decode_raise(tmp_path):
    write_truncated_jpeg(tmp_path / "a.jpg")
    write_truncated_jpeg(tmp_path / "b.jpg")
    dataset = ImageFolder(tmp_path, SPEC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match="could be decoded"):
            dataset[1]


def test_explicit_paths_select_a_subset(mixed_folder):
    paths = sorted(mixed_folder.glob("*.png"))[:2]
    dataset = ImageFolder(mixed_folder, SPEC, paths=paths)
    assert dataset.paths == paths
