"""Shared fixtures: a tiny model written as a training checkpoint, and a detector whose answer is known."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from landmarks.config import DataConfig, ExperimentConfig, ModelConfig
from landmarks.config_loading import to_dict
from landmarks.data.preprocess import ResizeSpec
from landmarks.geometry.keypoints import soft_argmax
from landmarks.inference import LandmarkDetector
from landmarks.models import build_model
from landmarks.models.encoder import Detection

TINY_MODEL = ModelConfig(image_size=32, num_landmarks=3, base_width=4, generator_width=8,
                         generator_min_width=4)


def write_checkpoint(path: Path, *, resize: str = "stretch", seed: int = 0) -> Path:
    """A checkpoint in the layout ``landmarks fit`` writes, with random (seeded) weights and BN stats."""
    config = ExperimentConfig(model=TINY_MODEL, data=DataConfig(resize=resize))
    torch.manual_seed(seed)
    model = build_model(TINY_MODEL)
    for module in model.modules():  # non-trivial running statistics, so eval mode matters
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"hyper_parameters": {"config": to_dict(config)}, "state_dict": state, "global_step": 5},
               path)
    return path


class ChannelCentroids(nn.Module):
    """A detector with a known answer: landmark k is the intensity centroid of colour channel k.

    Scores are ``log(intensity)``, so the spatial softmax (paper eq. 1) is the intensity normalised to
    sum 1 and its expectation the centroid, on the ``S x S`` model input.
    """

    def detect(self, images: torch.Tensor) -> Detection:
        scores = torch.log(images + 1e-6)  # (B, 3, S, S)
        return Detection(scores=scores, keypoints=soft_argmax(scores, "spatial"))


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """A run folder's ``checkpoints/last.ckpt`` (the run folder is ``checkpoint.parent.parent``)."""
    return write_checkpoint(tmp_path_factory.mktemp("run") / "checkpoints" / "last.ckpt")


@pytest.fixture(scope="session")
def centroids():
    """``centroids(mode="stretch")``: a :class:`LandmarkDetector` on :class:`ChannelCentroids` at 32 px."""

    def build(mode: str = "stretch") -> LandmarkDetector:
        return LandmarkDetector(ChannelCentroids(), ResizeSpec(32, mode), num_landmarks=3)

    return build


@pytest.fixture(scope="session")
def make_checkpoint():
    """:func:`write_checkpoint`, for tests that need another one."""
    return write_checkpoint


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
