import numpy as np
import pytest
import scipy.io

from landmarks.config import DataConfig
from landmarks.datasets import open_dataset
from landmarks.datasets.svhn import read_svhn
from landmarks.errors import ConfigError, DataError


def write_svhn(root, train=6, test=3):
    root.mkdir()
    rng = np.random.default_rng(0)
    for name, count in (("train", train), ("test", test)):
        x = rng.integers(0, 256, (32, 32, 3, count), dtype=np.uint8)  # format 2: (H, W, 3, N)
        y = (np.arange(count) % 10 + 1).reshape(-1, 1).astype(np.uint8)  # 1..10, 10 is the digit 0
        scipy.io.savemat(root / f"{name}_32x32.mat", {"X": x, "y": y})
    return root


def test_images_are_channels_last_and_label_10_is_zero(tmp_path):
    root = write_svhn(tmp_path / "svhn", train=12)
    split = read_svhn(root / "train_32x32.mat")
    raw = scipy.io.loadmat(root / "train_32x32.mat")["X"]
    assert split.images.shape == (12, 32, 32, 3)
    np.testing.assert_array_equal(split.images[5], raw[:, :, :, 5])
    assert split.digits.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]


def test_training_and_validation_images(tmp_path):
    svhn = open_dataset("svhn", write_svhn(tmp_path / "svhn"))
    spec = svhn.preprocessing.spec(64)
    train, val = svhn.training_images(spec), svhn.validation_images(spec, 2)
    assert (len(train), len(val)) == (6, 2)
    item = train[1]
    assert item["image"].shape == (3, 64, 64) and item["index"] == 1
    assert 0.0 <= float(item["image"].min()) and float(item["image"].max()) <= 1.0


def test_no_landmarks_to_evaluate(tmp_path):
    with pytest.raises(ConfigError, match="no landmark annotations"):
        open_dataset("svhn", write_svhn(tmp_path / "svhn")).evaluation_splits()


def test_missing_and_malformed_files(tmp_path):
    root = write_svhn(tmp_path / "svhn")
    (root / "test_32x32.mat").unlink()
    with pytest.raises(DataError) as error:
        open_dataset("svhn", root)
    assert error.value.path == root / "test_32x32.mat"
    scipy.io.savemat(root / "bad.mat", {"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[0], [3]])})
    with pytest.raises(DataError, match="labels must be 1..10"):
        read_svhn(root / "bad.mat")
    (root / "text.mat").write_text("not a mat file")
    with pytest.raises(DataError, match="cannot read"):
        read_svhn(root / "text.mat")


def test_unused_config_is_fine():
    assert DataConfig().source == "synthetic-faces"
