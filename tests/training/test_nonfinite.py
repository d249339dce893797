"""The NaN / Inf guard: non-finite steps are skipped and counted; too many in a row stop the run."""

from __future__ import annotations

import pytest
import torch

from landmarks.cli import main
from landmarks.losses.perceptual import update_running_means
from landmarks.training.module import LandmarkLearner
from landmarks.training.nonfinite import gradients_finite


def poison_steps(monkeypatch, steps: set[int]) -> None:
    """Make the training loss NaN at the given steps (as a spike that overflowed would)."""
    step = LandmarkLearner.training_step

    def poisoned(self, batch, batch_idx):
        loss = step(self, batch, batch_idx)
        return loss * float("nan") if self.global_step in steps else loss

    monkeypatch.setattr(LandmarkLearner, "training_step", poisoned)


def test_gradients_finite():
    weight = torch.nn.Parameter(torch.ones(3))
    assert gradients_finite([weight])  # no gradient yet
    weight.grad = torch.tensor([1.0, float("inf"), 0.0])
    assert not gradients_finite([weight])
    weight.grad = torch.ones(3)
    assert gradients_finite([weight])


def test_running_means_skip_non_finite_errors():
    means = update_running_means(torch.tensor([2.0, 2.0]), torch.tensor([4.0, float("nan")]), 0.5)
    assert means.tolist() == [3.0, 2.0]


def test_nan_steps_are_skipped_and_the_weights_stay_finite(tmp_path, monkeypatch, training):
    poison_steps(monkeypatch, {1, 2})
    run = training.fit(tmp_path / "run", "trainer.max_steps=4", "trainer.log_every=1")
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 4
    assert all(torch.isfinite(value).all() for value in checkpoint["state_dict"].values()
               if value.is_floating_point())
    assert max(value for _, value in training.scalars(run, "train/nonfinite_steps")) == 2


def test_nan_steps_in_a_row_stop_the_run_with_one_line(tmp_path, monkeypatch, capsys, training):
    poison_steps(monkeypatch, set(range(2, 100)))
    argv = ["fit", "--run-dir", str(tmp_path / "run"), *training.tiny, "trainer.max_steps=20",
            "trainer.checkpoint_every=2", "trainer.nonfinite_limit=3"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "NaN or Inf 3 steps in a row" in err and "Traceback" not in err
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000002.ckpt", "step-0000004.ckpt"]
    saved = training.checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert saved["global_step"] == 4  # the last periodic one: nothing was written after the stop
    assert all(torch.isfinite(value).all() for value in saved["state_dict"].values()
               if value.is_floating_point())


@pytest.mark.parametrize("override", ["optim.lr=.nan", "optim.lr=.inf", "trainer.checkpoint_every=0",
                                      "trainer.nonfinite_limit=0"])
def test_values_that_would_train_silently_wrong_are_refused(tmp_path, capsys, training, override):
    assert main(["fit", "--run-dir", str(tmp_path / "run"), *training.tiny, override]) == 2
    assert override.split("=")[0] in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
