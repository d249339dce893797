import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.config import DataConfig
from landmarks.data.image_folder import ImageFolder
from landmarks.data.sources import build_training_dataset, build_validation_dataset, validation_size
from landmarks.errors import ConfigError
from landmarks.synthetic.faces import SyntheticFaces


def image_folder(root, count):
    root.mkdir()
    for index in range(count):
        Image.fromarray(np.full((20, 30, 3), index * 20, dtype=np.uint8)).save(root / f"{index:02d}.png")
    return root


def test_synthetic_validation_faces_follow_the_training_ones():
    config = DataConfig(synthetic_count=6, synthetic_seed=3, validation_count=4)
    train, validation = build_training_dataset(config, 32), build_validation_dataset(config, 32)
    assert isinstance(train, SyntheticFaces) and isinstance(validation, SyntheticFaces)
    assert (len(train), len(validation), train.size, train.seed, validation.seed) == (6, 4, 32, 3, 3)
    assert validation.start == train.start + len(train)
    training_images = [train[i]["image"] for i in range(len(train))]
    for i in range(len(validation)):
        assert not any(torch.equal(validation[i]["image"], image) for image in training_images)


def test_folder_validation_is_the_last_files_and_never_trained_on(tmp_path):
    root = image_folder(tmp_path / "photos", 10)
    config = DataConfig(source="image-folder", root=str(root), validation_count=3, resize="center-crop")
    train, validation = build_training_dataset(config, 16), build_validation_dataset(config, 16)
    assert isinstance(train, ImageFolder) and isinstance(validation, ImageFolder)
    assert [p.name for p in validation.paths] == ["07.png", "08.png", "09.png"]
    assert not set(train.paths) & set(validation.paths)
    assert len(train) + len(validation) == 10
    assert train[0]["image"].shape == (3, 16, 16)
    assert train.spec.mode == "center-crop"


@pytest.mark.parametrize(("files", "expected"), [(3, 1), (2, 1), (1, 0), (200, 64)])
def test_a_small_folder_keeps_most_files_for_training(files, expected):
    assert validation_size(files, 64) == expected


def test_a_one_image_folder_has_no_validation(tmp_path):
    root = image_folder(tmp_path / "photos", 1)
    config = DataConfig(source="image-folder", root=str(root))
    assert len(build_training_dataset(config, 16)) == 1
    assert build_validation_dataset(config, 16) is None


def test_no_validation_when_none_is_asked_for():
    assert build_validation_dataset(DataConfig(validation_count=0), 32) is None


def test_image_folder_without_root_is_a_config_error():
    with pytest.raises(ConfigError, match="data.root"):
        build_training_dataset(DataConfig(source="image-folder"), 32)
