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
    # Autocast computes in bfloat16; the weights, the loss's running means and Adam's moments stay float32.
    assert all(
        value.dtype == torch.float32
        for value in checkpoint["state_dict"].values()
        if value.is_floating_point()
    )
    moments = [v for state in checkpoint["optimizer_states"][0]["state"].values()
               for k, v in state.items() if k in ("exp_avg", "exp_avg_sq")]
    assert moments and all(v.dtype == torch.float32 for v in moments)


def test_auto_precision_prints_its_choice(tmp_path, training, capsys):
    training.fit(tmp_path / "run", "trainer.precision=auto", "trainer.max_steps=1")
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("precision: "))
    assert line.split()[1] in ("bf16-mixed", "32-true") and "(" in line
    assert "precision: auto" in (tmp_path / "run" / "config.yaml").read_text()  # chosen again on resume


def test_bfloat16_keypoints_match_float32(training):
    """Same weights, same images: a bfloat16 autocast forward finds the float32 keypoints to within
    a fraction of a heatmap pixel (a pixel of the 16 x 16 maps is 2 / 15 in [-1, 1] units)."""
    overrides = ["model.image_size=64", "loss.kind=l2"]
    learner = LandmarkLearner.from_config(load_config("default", overrides))
    head = learner.model.detector.head.weight  # scaled up from N(0, 0.01): peaked, spread-out maps
    torch.nn.init.normal_(head, std=1.0, generator=torch.Generator().manual_seed(0))
    images = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    exact = learner.model(images, images).keypoints  # (B, K, 2), training mode: batch statistics
    with torch.autocast("cpu", dtype=torch.bfloat16):
        approximate = learner.model(images, images).keypoints
    assert approximate.dtype == torch.float32  # the soft-argmax runs in float32
    assert exact.std() > 0.05  # keypoints spread out, not all at the centre
    error = (approximate - exact).abs()  # (B, K, 2)
    pixel = 2 / 15
    assert error.max() < 0.3 * pixel and error.mean() < 0.1 * pixel  # measured: about 0.2 and 0.04 pixel


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


@pytest.mark.gpu
@pytest.mark.filterwarnings("ignore:.*RANDOM weights")
@pytest.mark.parametrize("compiled", [False, True])
def test_auto_precision_trains_on_cuda(tmp_path, training, capsys, compiled):
    """What benchmarks/gpu_check.py times: ``auto`` is bfloat16 autocast from compute capability 8.0
    (Ampere), the TPS pairs and photometric changes are made on the GPU, and the steps stay finite,
    compiled or not."""
    run = training.fit(tmp_path / "run", "trainer.accelerator=gpu", "trainer.precision=auto",
                       "loss.kind=perceptual", "loss.random_weights=true", "trainer.max_steps=2",
                       "trainer.log_every=1", "pairs.photometric.brightness=0.2",
                       f"trainer.compile={str(compiled).lower()}")
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("precision: "))
    ampere = torch.cuda.get_device_capability() >= (8, 0)
    assert line.split()[1] == ("bf16-mixed" if ampere else "32-true")
    finite_run(run, training, 2)
