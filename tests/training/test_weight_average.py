"""``trainer.ema_decay``: an exponential moving average of the weights, kept by Lightning's
EMAWeightAveraging, is what checkpoints hold and what a resumed run continues to average."""

from __future__ import annotations

import pytest
import torch

from landmarks.cli import main
from landmarks.config import ExperimentConfig, TrainerConfig
from landmarks.config_loading import validate
from landmarks.errors import ConfigError


def _detector_weights(state: dict) -> dict:
    return {key: value for key, value in state.items() if key.startswith("model.detector.")
            and value.is_floating_point()}


def test_checkpoints_hold_the_average_and_the_raw_weights_apart(tmp_path, training):
    run = training.fit(tmp_path / "run", "trainer.max_steps=6", "trainer.ema_decay=0.5")
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    average, raw = _detector_weights(checkpoint["state_dict"]), _detector_weights(
        checkpoint["current_model_state"])
    assert average.keys() == raw.keys()
    assert any(not torch.equal(average[key], raw[key]) for key in average)


def test_without_ema_the_checkpoint_holds_the_raw_weights_only(tmp_path, training):
    run = training.fit(tmp_path / "run", "trainer.max_steps=2")
    assert "current_model_state" not in training.checkpoint(run / "checkpoints" / "last.ckpt")


@pytest.mark.filterwarnings("error:You're resuming from a checkpoint that ended before the epoch ended")
def test_a_resumed_run_continues_the_average(tmp_path, training):
    run = training.fit(tmp_path / "run", "trainer.max_steps=4", "trainer.ema_decay=0.9")
    first = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert main(["fit", "--resume", str(run), "trainer.max_steps=6"]) == 0
    resumed = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert resumed["global_step"] == 6
    # The average moved on from the saved one (decay 0.9: by a tenth of each step's difference),
    # and did not restart from the raw weights.
    before, after = _detector_weights(first["state_dict"]), _detector_weights(resumed["state_dict"])
    assert any(not torch.equal(before[key], after[key]) for key in before)
    assert int(resumed["averaging_state"]["n_averaged"]) == 6


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5, -0.1])
def test_a_decay_outside_zero_one_is_a_config_error(decay):
    with pytest.raises(ConfigError, match="trainer.ema_decay"):
        validate(ExperimentConfig(trainer=TrainerConfig(ema_decay=decay)))
