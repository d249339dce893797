"""``landmarks fit --resume``: the same run folder, step count, optimiser state and pair stream."""

from __future__ import annotations

import hashlib

import pytest
import torch

from landmarks.cli import main
from landmarks.training.module import LandmarkLearner


@pytest.fixture
def pair_streams(monkeypatch):
    """Fingerprints of the training pair generator's state before each training pair, per fit() call."""
    streams: list[list[str]] = []
    make_pair = LandmarkLearner.make_pair
    fresh = LandmarkLearner.on_train_start

    def start(self):
        streams.append([])
        fresh(self)

    def recording_make_pair(self, batch, generator):
        if generator is self.pair_generator:
            streams[-1].append(hashlib.sha1(generator.get_state().numpy().tobytes()).hexdigest())
        return make_pair(self, batch, generator)

    monkeypatch.setattr(LandmarkLearner, "on_train_start", start)
    monkeypatch.setattr(LandmarkLearner, "make_pair", recording_make_pair)
    return streams


def adam_steps(checkpoint: dict) -> set[float]:
    return {float(state["step"]) for state in checkpoint["optimizer_states"][0]["state"].values()}


@pytest.mark.filterwarnings("error:You're resuming from a checkpoint that ended before the epoch ended")
def test_resume_continues_the_same_run(tmp_path, training, pair_streams):
    runs = tmp_path / "runs"
    run = training.fit(
        runs / "run", "trainer.max_steps=6", "trainer.checkpoint_every=4", "trainer.log_every=1"
    )
    stopped = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert stopped["global_step"] == 6 and adam_steps(stopped) == {6.0}

    assert main(["fit", "--resume", str(run), "trainer.max_steps=10"]) == 0
    assert [path.name for path in runs.iterdir()] == ["run"]  # no second run folder
    names = sorted(path.name for path in (run / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000004.ckpt", "step-0000008.ckpt"]
    resumed = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert resumed["global_step"] == 10
    assert adam_steps(resumed) == {10.0}  # Adam's moments and step counts came back, not a fresh Adam
    assert resumed["hyper_parameters"]["config"]["trainer"]["max_steps"] == 10
    losses = training.scalars(run, "train/loss")
    assert [step for step, _ in losses] == list(range(10))  # one curve, continued at step 6

    # An uninterrupted 10-step run draws the same TPS pairs, step for step.
    straight = training.fit(
        tmp_path / "straight", "trainer.max_steps=10", "trainer.checkpoint_every=4", "trainer.log_every=1"
    )
    first, second, uninterrupted = pair_streams
    assert len(first) == 6 and len(second) == 4 and len(set(uninterrupted)) == 10
    assert first + second == uninterrupted
    straight_state = training.checkpoint(straight / "checkpoints" / "last.ckpt")["pair_generator_state"]
    assert torch.equal(resumed["pair_generator_state"], straight_state)


@pytest.mark.filterwarnings("error:You're resuming from a checkpoint that ended before the epoch ended")
def test_resume_after_a_validation_on_the_last_step(tmp_path, training):
    """A validation (and a periodic checkpoint) on the stopping step: no ``last-v1.ckpt`` beside
    ``last.ckpt`` after the resume, and the loss curve goes on without a gap."""
    run = training.fit(tmp_path / "run", "trainer.max_steps=6", "trainer.checkpoint_every=3",
                       "trainer.val_every=3", "trainer.log_every=1")
    assert main(["fit", "--resume", str(run), "trainer.max_steps=9"]) == 0
    names = sorted(path.name for path in (run / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000003.ckpt", "step-0000006.ckpt", "step-0000009.ckpt"]
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 9
    assert [step for step, _ in training.scalars(run, "train/loss")] == list(range(9))
