"""``landmarks fit --data synthetic-bodies``: training on frame pairs of built-in synthetic videos."""

from __future__ import annotations

import math

import pytest

from landmarks.cli import main
from landmarks.config_loading import load_config
from landmarks.errors import ConfigError

BODIES = ("data.synthetic_videos=4", "data.synthetic_video_frames=12", "data.frame_gap=[2, 6]")


def test_fit_on_synthetic_bodies(tmp_path, training):
    run = training.fit(
        tmp_path / "run", *BODIES, "trainer.max_steps=3", "trainer.log_every=1", "trainer.val_every=3",
        options=("--data", "synthetic-bodies"),
    )
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 3
    data = checkpoint["hyper_parameters"]["config"]["data"]
    assert data["source"] == "synthetic-bodies" and data["synthetic_videos"] == 4
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == 3 and all(math.isfinite(value) for value in losses)
    assert len(training.scalars(run, "val/loss")) == 1


def test_fit_on_warped_synthetic_body_pairs(tmp_path, training):
    run = training.fit(tmp_path / "run", *BODIES, "pairs.warp_video_pairs=true", "trainer.max_steps=2",
                       options=("--data", "synthetic-bodies"))
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 2


def test_the_shipped_bodies_config_loads():
    config = load_config("bodies-cpu", [])
    assert config.data.source == "synthetic-bodies" and config.model.num_landmarks == 16


def test_videos_too_short_for_the_gap_are_a_config_error(capsys):
    with pytest.raises(ConfigError, match="synthetic_video_frames"):
        load_config("bodies-cpu", ["data.synthetic_video_frames=3", "data.frame_gap=[3, 10]"])
    assert main(["fit", "--data", "synthetic-bodies", "data.synthetic_video_frames=2"]) == 2
    assert "synthetic_video_frames" in capsys.readouterr().err
