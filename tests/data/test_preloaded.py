import logging

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.config import DataConfig
from landmarks.data.image_folder import ImageFolder
from landmarks.data.preloaded import PreloadedImages
from landmarks.data.preprocess import ResizeSpec
from landmarks.errors import DataError
from landmarks.synthetic.faces import SyntheticFaces
from landmarks.training.data import LandmarkData


def test_synthetic_faces_are_kept_exactly():
    faces = SyntheticFaces(5, 32, seed=2)
    preloaded = PreloadedImages(faces)
    assert preloaded.images.dtype == torch.uint8 and preloaded.images.shape == (5, 3, 32, 32)
    for i in range(5):
        item = preloaded[i]
        assert item["index"] == i and item["image"].dtype == torch.float32
        assert torch.equal(item["image"], faces[i]["image"])  # drawn as 8-bit images: no loss


def test_worker_processes_give_the_same_images_in_order():
    faces = SyntheticFaces(70, 32)  # more than one worker task (64 images)
    assert torch.equal(PreloadedImages(faces, workers=2).images, PreloadedImages(faces).images)


def test_workers_are_capped_at_the_usable_cpus(monkeypatch, caplog):
    monkeypatch.setattr("landmarks.data.preloaded.usable_cpus", lambda: 1)
    faces = SyntheticFaces(3, 32)
    with caplog.at_level(logging.INFO, logger="landmarks.data"):
        assert torch.equal(PreloadedImages(faces, workers=2).images, PreloadedImages(faces).images)
    assert "with 1 process(es)" in caplog.text


def test_resized_files_are_within_half_a_grey_level(tmp_path):
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(tmp_path / f"{index}.png")
    folder = ImageFolder(tmp_path, ResizeSpec(16, "center-crop"))
    preloaded = PreloadedImages(folder)
    for i in range(3):
        difference = (preloaded[i]["image"] - folder[i]["image"]).abs().max()
        assert 0 < difference <= 0.5 / 255 + 1e-6


def test_an_empty_or_pair_dataset_is_refused():
    with pytest.raises(DataError, match="empty"):
        PreloadedImages(SyntheticFaces(0, 32), name="faces")

    class Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return {"source": torch.zeros(3, 8, 8), "target": torch.zeros(3, 8, 8)}

    with pytest.raises(DataError, match="ready pairs"):
        PreloadedImages(Pairs())


def test_data_module_preloads_and_loads_without_workers():
    data = LandmarkData(DataConfig(synthetic_count=9, validation_count=2, batch_size=4, num_workers=1,
                                   preload=True), 32)
    data.setup("fit")
    assert isinstance(data.train_set, PreloadedImages) and len(data.train_set) == 9
    loader = data.train_dataloader()
    assert loader.num_workers == 0
    assert next(iter(loader))["image"].shape == (4, 3, 32, 32)
    assert data.val_dataloader().num_workers == 1  # validation images are still drawn as before
