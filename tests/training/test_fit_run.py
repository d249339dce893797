"""A short run on the built-in synthetic faces: the loss falls, and the run folder holds what it should."""

from __future__ import annotations

import math

import pytest

from landmarks.config_loading import load_config

STEPS = 40
EVERY = 20  # checkpoints, validation and image grids
RUN_OVERRIDES = (
    f"trainer.max_steps={STEPS}",
    "trainer.log_every=1",
    f"trainer.checkpoint_every={EVERY}",
    f"trainer.val_every={EVERY}",
    f"trainer.image_every={EVERY}",
)


@pytest.fixture(scope="module")
def run(tmp_path_factory, training):
    return training.fit(tmp_path_factory.mktemp("fit") / "run", *RUN_OVERRIDES)


def test_loss_falls(run, training):
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == STEPS
    assert all(math.isfinite(value) for value in losses)
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.6 * first, f"mean loss of the first 10 steps {first:.4f}, of the last 10 {last:.4f}"


def test_saved_config_is_the_resolved_config(run, training):
    expected = load_config("default", [*training.tiny, *RUN_OVERRIDES])
    assert load_config(run / "config.yaml") == expected


def test_periodic_and_last_checkpoints(run, training):
    names = sorted(path.name for path in (run / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000020.ckpt", "step-0000040.ckpt"]
    assert training.checkpoint(run / "checkpoints" / "step-0000020.ckpt")["global_step"] == 20
    last = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert last["global_step"] == STEPS
    assert last["hyper_parameters"]["config"]["model"]["num_landmarks"] == 4


def test_tensorboard_scalars_and_images(run, training):
    tags = training.events(run).Tags()
    assert {"train/loss", "train/error_input", "lr-Adam", "val/loss"} <= set(tags["scalars"])
    assert {"train/quadruplets", "val/quadruplets"} <= set(tags["images"])
    assert [step for step, _ in training.scalars(run, "val/loss")] == [EVERY - 1, STEPS - 1]
    # Images sit at the step of the scalars of the same batch (TensorBoard's sliders line up).
    images = training.events(run).Images("train/quadruplets")
    assert [image.step for image in images] == [0, EVERY]
    assert images[0].width > 0 and images[0].height > 0
    assert [image.step for image in training.events(run).Images("val/quadruplets")] == [EVERY - 1, STEPS - 1]


def test_perceptual_loss_with_random_weights_trains(tmp_path, training, capsys):
    run = training.fit(
        tmp_path / "run",
        "loss.kind=perceptual",
        "loss.random_weights=true",
        "trainer.max_steps=6",
        "trainer.log_every=1",
    )
    errors = capsys.readouterr().err
    assert "RANDOM weights" in errors
    # The frozen loss network is in eval mode on purpose: Lightning's warning about it is silenced.
    assert "in eval mode" not in errors
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == 6 and all(math.isfinite(value) and value > 0 for value in losses)
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 6


def test_scalars_are_logged_every_log_every_steps(tmp_path, training):
    # training_step calls self.log only on the steps the logger writes (LandmarkLearner._logs_this_step).
    run = training.fit(tmp_path / "run", "trainer.max_steps=9", "trainer.log_every=4")
    for tag in ("train/loss", "train/error_input"):
        assert [step for step, _ in training.scalars(run, tag)] == [3, 7], tag
