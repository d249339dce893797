"""Multi-process data parallel training through Lightning, with two CPU processes (gloo)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.training import fit as fit_file
from landmarks.training.fit import RUN_DIR_ENV
from landmarks.training.module import LandmarkLearner


def test_two_process_ddp_run_from_the_command_line(tmp_path, training):
    """Lightning re-runs the command for the second process; both must train into one run folder."""
    runs = tmp_path / "runs"
    command = [
        sys.executable,
        "-m",
        "landmarks.cli",
        "fit",
        "-v",  # Lightning's banners ("Starting with 2 processes") show with -v only
        *training.tiny,
        f"output_dir={runs}",
        "trainer.devices=2",
        "trainer.strategy=ddp",
        "trainer.max_steps=4",
        "trainer.log_every=1",
        "trainer.val_every=2",
        "trainer.image_every=2",
        "trainer.checkpoint_every=2",
    ]
    env = {key: value for key, value in os.environ.items() if key != RUN_DIR_ENV}
    env["OMP_NUM_THREADS"] = "1"
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Starting with 2 processes" in result.stderr + result.stdout

    (run,) = runs.iterdir()  # one run folder, shared by both processes
    names = sorted(path.name for path in (run / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000002.ckpt", "step-0000004.ckpt"]
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 4
    assert all(torch.isfinite(value).all() for value in checkpoint["state_dict"].values())
    assert len(list((run / "tensorboard").glob("events.out.tfevents.*"))) == 1  # rank 0 logs alone
    assert len(training.scalars(run, "val/loss")) == 2
    assert load_config(run / "config.yaml").trainer.devices == 2


def test_each_process_draws_its_own_pairs(monkeypatch, training):
    """Every rank seeds its TPS pair generator differently, and reproducibly (trainer.seed + rank)."""
    learner = LandmarkLearner.from_config(load_config("default", training.tiny))

    def state_at(rank: int) -> torch.Tensor:
        monkeypatch.setattr(LandmarkLearner, "global_rank", property(lambda self: rank))
        learner.pair_generator.manual_seed(12345)  # whatever came before
        learner.setup("fit")
        return learner.pair_generator.get_state()

    states = [state_at(rank) for rank in (0, 1, 2)]
    assert not torch.equal(states[0], states[1]) and not torch.equal(states[1], states[2])
    assert torch.equal(state_at(1), states[1])


@pytest.mark.parametrize(
    ("variables", "first"),
    [
        ({}, True),
        ({"LOCAL_RANK": "1"}, False),  # Lightning's launcher, second process on this node
        ({"LOCAL_RANK": "0", "NODE_RANK": "1"}, False),
        ({"RANK": "0", "LOCAL_RANK": "0"}, True),  # torchrun
        ({"RANK": "4", "LOCAL_RANK": "0"}, False),  # torchrun, first process of the second node
        ({"SLURM_PROCID": "3"}, False),
    ],
)
def test_only_the_first_process_writes_the_config(tmp_path, monkeypatch, training, variables, first):
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(fit_file, "build_trainer", lambda config, run_dir: NoTraining())
    fit_file.fit(load_config("default", training.tiny), run_dir=tmp_path / "run")
    assert (tmp_path / "run" / "config.yaml").is_file() == first


class NoTraining:
    def fit(self, *args, **kwargs) -> None:
        pass
