"""Speed options: bfloat16 autocast, channels_last memory format and torch.compile, on CPU."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.training.module import LandmarkLearner


def finite_run(run, training, steps: int) -> dict:
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == steps and all(math.isfinite(value) for value in losses)
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == steps
    assert all(torch.isfinite(value).all() for value in checkpoint["state_dict"].values())
    return checkpoint


@pytest.mark.filterwarnings("ignore:.*RANDOM weights")
@pytest.mark.parametrize("loss", ["l2", "perceptual"])
def test_bf16_mixed_precision(tmp_path, training, loss):
    run = training.fit(
        tmp_path / "run",
        "trainer.precision=bf16-mixed",
        f"loss.kind={loss}",
        "loss.random_weights=true",
        "trainer.max_steps=2",
        "trainer.log_every=1",
    )
    checkpoint = finite_run(run, training, 2)
    # Autocast computes in bfloat16; the weights themselves stay float32.
    assert all(
        value.dtype == torch.float32
        for value in checkpoint["state_dict"].values()
        if value.is_floating_point()
    )


def test_bf16_autocast_reaches_the_networks(training):
    learner = LandmarkLearner.from_config(load_config("default", training.tiny))
    images = torch.rand(2, 3, 32, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = learner.model(images, images)
    assert output.reconstruction.dtype == torch.bfloat16


def test_channels_last_model_and_loss_network(training):
    overrides = [*training.tiny, "trainer.channels_last=true", "loss.kind=perceptual", "loss.network=vgg19",
                 "loss.random_weights=true"]
    learner = LandmarkLearner.from_config(load_config("default", overrides))
    learner.setup("fit")
    for network in (learner.model, learner.loss):
        weights = [p for p in network.parameters() if p.dim() == 4]
        assert weights and all(p.is_contiguous(memory_format=torch.channels_last) for p in weights)


def test_channels_last_training(tmp_path, training):
    run = training.fit(
        tmp_path / "run", "trainer.channels_last=true", "trainer.max_steps=2", "trainer.log_every=1"
    )
    finite_run(run, training, 2)


@pytest.mark.slow
def test_compile(tmp_path, training):
    run = training.fit(tmp_path / "run", "trainer.compile=true", "trainer.max_steps=2", "trainer.log_every=1")
    checkpoint = finite_run(run, training, 2)
    assert not any("_orig_mod" in key for key in checkpoint["state_dict"])  # keys as without compile
