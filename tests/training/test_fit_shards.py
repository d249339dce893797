"""`landmarks shard` then `landmarks fit --data shards`: it trains, saves the stream's position in its
checkpoints, and a resumed run continues the stream (or starts it again, saying so, with another layout)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from landmarks.cli import main
from landmarks.training.fit import RUN_DIR_ENV

pytest.importorskip("webdataset")


def stream_position(training, run) -> dict:
    return training.checkpoint(run / "checkpoints" / "last.ckpt")["LandmarkData"]["shard_stream"]


def test_shard_then_fit_then_resume(tmp_path, training, caplog):
    images = tmp_path / "images"
    images.mkdir()
    for n in range(20):
        Image.fromarray(np.full((24, 24, 3), 10 * n, np.uint8)).save(images / f"{n:02d}.png")
    shards = tmp_path / "shards"
    assert main(["shard", "--data-root", str(images), "--output", str(shards), "--shard-size", "4",
                 "--workers", "1", *training.tiny]) == 0  # the training config's size and data settings
    run = training.fit(tmp_path / "run", "trainer.max_steps=3", "trainer.checkpoint_every=3",
                       "trainer.val_every=3", "data.shuffle_buffer=4",
                       options=("--data", "shards", "--data-root", str(shards)))
    assert stream_position(training, run) == {"batches": 3, "world_size": 1, "workers": 1,
                                                     "batch_size": 4, "buffer": 4}
    assert main(["fit", "--resume", str(run), "trainer.max_steps=5"]) == 0
    assert stream_position(training, run)["batches"] == 5
    with caplog.at_level(logging.WARNING, logger="landmarks"):
        assert main(["fit", "--resume", str(run), "trainer.max_steps=6", "data.shuffle_buffer=2"]) == 0
    assert "starts again from its first epoch" in caplog.text
    assert stream_position(training, run)["batches"] == 1  # counted from the new start


def test_shards_of_another_size_are_refused_before_training(tmp_path, training, capsys):
    images = tmp_path / "images"
    images.mkdir()
    for n in range(8):
        Image.fromarray(np.full((24, 24, 3), 10 * n, np.uint8)).save(images / f"{n:02d}.png")
    assert main(["shard", "--data-root", str(images), "--output", str(tmp_path / "shards"), "--workers", "1",
                 *training.tiny, "model.image_size=64"]) == 0
    status = main(["fit", "--data", "shards", "--data-root", str(tmp_path / "shards"), "--output",
                   str(tmp_path / "run"), *training.tiny])
    assert status == 2
    assert "the shards hold 64 px images, this config trains on 32 px" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_two_processes_train_from_shards_and_resume(tmp_path, training):
    images = tmp_path / "images"
    images.mkdir()
    for n in range(32):
        Image.fromarray(np.full((24, 24, 3), 7 * n, np.uint8)).save(images / f"{n:02d}.png")
    shards = tmp_path / "shards"
    assert main(["shard", "--data-root", str(images), "--output", str(shards), "--shard-size", "4",
                 "--workers", "1", *training.tiny]) == 0
    env = {key: value for key, value in os.environ.items() if key != RUN_DIR_ENV}
    env["OMP_NUM_THREADS"] = "1"
    run = tmp_path / "run"
    two = ["trainer.devices=2", "trainer.strategy=ddp"]
    for arguments in (["--data", "shards", "--data-root", str(shards), "--output", str(run), *training.tiny,
                       "trainer.max_steps=3", *two],
                      ["--resume", str(run), "trainer.max_steps=5"]):
        command = [sys.executable, "-m", "landmarks.cli", "fit", *arguments]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "starts again" not in result.stderr
    position = stream_position(training, run)
    assert (position["batches"], position["world_size"]) == (5, 2)
