"""`landmarks fit` with the perceptual loss on a MobileNetV2 weights file, from the command line."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.cli import main
from landmarks.config_loading import load_config
from landmarks.models.mobilenet_v2 import STANDARD_LAYERS, MobileNetV2Features

STEPS = 5


@pytest.fixture(scope="module")
def mobilenet_file(tmp_path_factory):
    """A file in torchvision's MobileNetV2 format (its keys and shapes, random values)."""
    torch.manual_seed(0)
    state = dict(MobileNetV2Features(()).state_dict())
    state["classifier.1.weight"], state["classifier.1.bias"] = torch.randn(1000, 1280), torch.randn(1000)
    path = tmp_path_factory.mktemp("weights") / "mobilenet_v2-random.pth"  # not torchvision's file
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory, training, mobilenet_file):
    run_dir = tmp_path_factory.mktemp("fit") / "run"
    overrides = [
        "loss.kind=perceptual",
        "loss.network=mobilenet_v2",
        f"loss.weights={mobilenet_file}",
        f"trainer.max_steps={STEPS}",
        "trainer.log_every=1",
    ]
    status = main(["fit", "--config", "default", "--output", str(run_dir), *training.tiny, *overrides])
    assert status == 0
    return run_dir


def test_five_steps_with_the_standard_layers(run, training):
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == STEPS and all(math.isfinite(value) for value in losses)
    tags = set(training.events(run).Tags()["scalars"])
    assert {f"train/error_{name}" for name in ("input", *STANDARD_LAYERS)} <= tags


def test_config_and_checkpoint(run, training, mobilenet_file):
    config = load_config(run / "config.yaml")
    assert (config.loss.network, config.loss.weights) == ("mobilenet_v2", str(mobilenet_file))
    assert config.loss.layers is None  # the network's standard layers
    state = training.checkpoint(run / "checkpoints" / "last.ckpt")["state_dict"]
    assert "loss.running_means" in state and state["loss.running_means"].shape == (6,)
    # the frozen (folded) loss network is rebuilt from its file, not stored
    assert not [key for key in state if key.startswith("loss.loss_network.")]
