import numpy as np
import pytest
import scipy.io
from PIL import Image

from landmarks.data.preprocess import ResizeSpec
from landmarks.datasets import open_dataset
from landmarks.errors import DataError

TRAIN, TEST = 25, 4  # round(2.5) half up: 3 validation images, as Python 2's round in the released code


def gt_of(count, offset):
    """(N, 5, 2) points stored as (y, x), like the release."""
    points = np.arange(count * 10, dtype=np.float64).reshape(count, 5, 2) + offset
    return points


def write_aflw(root):
    (root / "output" / "sub").mkdir(parents=True)
    for subset, count, offset in (("train", TRAIN, 0), ("test", TEST, 1000)):
        names = [f"sub/{subset}_{i:03d}.jpg" for i in range(count)]
        for name in names:
            Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(root / "output" / name)
        (root / f"aflw_{subset}_images.txt").write_text("\n".join(names) + "\n")
        hw = np.tile([[40, 30]], (count, 1)).astype(np.float64)
        scipy.io.savemat(root / f"aflw_{subset}_keypoints.mat", {"gt": gt_of(count, offset), "hw": hw})
    return root


@pytest.fixture
def aflw_root(tmp_path):
    return write_aflw(tmp_path / "aflw")


def test_splits_are_train_minus_last_tenth_val_and_test(aflw_root):
    splits = open_dataset("aflw", aflw_root).evaluation_splits()
    assert (len(splits.train), len(splits.val), len(splits.test)) == (22, 3, 4)
    assert splits.val.image_paths[0].name == "train_022.jpg"
    assert splits.test.paths[0] == aflw_root / "output/sub/test_000.jpg"
    assert splits.eye_indices == (0, 1)
    assert splits.frame == "model-input"  # errors in the 128 x 128 input, as the paper


def test_points_are_swapped_from_y_x_to_x_y(aflw_root):
    splits = open_dataset("aflw", aflw_root).evaluation_splits()
    stored = gt_of(TEST, 1000)[2]  # (5, 2) as (y, x)
    np.testing.assert_array_equal(splits.test.points[2][:, 0], stored[:, 1])
    np.testing.assert_array_equal(splits.test.points[2][:, 1], stored[:, 0])


def test_training_images_are_the_training_split_without_its_validation_tail(aflw_root):
    aflw = open_dataset("aflw", aflw_root)
    spec = aflw.preprocessing.spec(32)
    train, val = aflw.training_images(spec, 64), aflw.validation_images(spec, 64)
    assert (len(train), len(val)) == (22, 3)
    assert not set(train.paths) & set(val.paths)
    assert train[0]["image"].shape == (3, 32, 32)
    assert spec == ResizeSpec(32, "stretch", None)


@pytest.mark.parametrize("missing", ["aflw_test_images.txt", "aflw_train_keypoints.mat"])
def test_a_missing_file_is_named(aflw_root, missing):
    (aflw_root / missing).unlink()
    with pytest.raises(DataError) as error:
        open_dataset("aflw", aflw_root)
    assert error.value.path == aflw_root / missing


def test_keypoints_must_match_the_image_list(aflw_root):
    (aflw_root / "aflw_test_images.txt").write_text("sub/test_000.jpg\n")
    with pytest.raises(DataError, match=r"expected gt \(1, 5, 2\)"):
        open_dataset("aflw", aflw_root).evaluation_splits()


def test_a_mat_file_without_gt_is_named(aflw_root):
    scipy.io.savemat(aflw_root / "aflw_test_keypoints.mat", {"hw": np.zeros((TEST, 2))})
    with pytest.raises(DataError, match="no variable 'gt'"):
        open_dataset("aflw", aflw_root).evaluation_splits()
