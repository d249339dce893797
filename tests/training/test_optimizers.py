"""Optimiser, schedule and clipping of the shipped configs: the paper's and the released settings."""

from __future__ import annotations

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.models.checkpoint import load_trained_model
from landmarks.training.module import LandmarkLearner


def learner(config_name: str, training, *overrides: str) -> LandmarkLearner:
    return LandmarkLearner.from_config(load_config(config_name, [*training.tiny, *overrides]))


def adam_settings(optimizer: torch.optim.Optimizer) -> tuple:
    (group,) = optimizer.param_groups
    return type(optimizer), group["lr"], group["weight_decay"], group["betas"]


def test_paper_settings(training):
    module = learner("paper-128", training)
    configured = module.configure_optimizers()
    assert adam_settings(configured["optimizer"]) == (torch.optim.Adam, 1e-2, 5e-4, (0.9, 0.999))
    assert "lr_scheduler" not in configured  # stepped by the module after each validation
    assert isinstance(module.plateau, torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert module.plateau.factor == 0.1 and module.plateau.patience == 5
    assert module.plateau.optimizer is configured["optimizer"]
    assert module.config.optim.clip_mode == "global" and module.config.optim.clip == 1.0
    assert module.config.model.gaussian_form == "paper"


@pytest.mark.parametrize("config_name", ["default", "released-128"])
def test_released_settings(training, config_name):
    module = learner(config_name, training)
    configured = module.configure_optimizers()
    assert adam_settings(configured["optimizer"]) == (torch.optim.Adam, 1e-3, 1e-5, (0.9, 0.999))
    scheduler = configured["lr_scheduler"]
    assert scheduler["interval"] == "step"
    assert isinstance(scheduler["scheduler"], torch.optim.lr_scheduler.StepLR)
    assert scheduler["scheduler"].step_size == 100_000 and scheduler["scheduler"].gamma == 0.95
    assert module.plateau is None
    assert module.config.optim.clip_mode == "per-tensor" and module.config.optim.clip == 1.0
    assert module.config.model.gaussian_form == "released"


def test_cpu_and_demo_anneal_over_their_budget(training):
    for name in ("cpu", "demo"):
        module = learner(name, training)
        assert adam_settings(module.configure_optimizers()["optimizer"])[1] == 1e-2
        assert module.config.optim.schedule == "anneal" and module.config.optim.lr_floor == 0.1


def test_constant_schedule(training):
    configured = learner("default", training, "optim.schedule=constant").configure_optimizers()
    assert set(configured) == {"optimizer"}


def test_only_the_three_networks_are_optimised(training):
    with pytest.warns(UserWarning, match="RANDOM weights"):
        module = learner("released-128", training, "loss.kind=perceptual", "loss.random_weights=true")
    optimised = {
        id(p) for group in module.configure_optimizers()["optimizer"].param_groups for p in group["params"]
    }
    assert optimised == {id(p) for p in module.model.parameters()}
    assert not optimised & {id(p) for p in module.loss.parameters()}


LR = 1e-12


def test_plateau_schedule_steps_after_every_validation(tmp_path, training, monkeypatch):
    """One plateau step per validation, with its raw validation error (val/error, not the normalised
    val/loss), also when an epoch is shorter than val_every.

    A learning rate of 1e-12 and frozen batch-norm statistics keep the validation loss flat, so that
    the schedule must lower the rate at the second and third validations.
    """
    seen = []
    step = torch.optim.lr_scheduler.ReduceLROnPlateau.step
    monkeypatch.setattr(
        torch.optim.lr_scheduler.ReduceLROnPlateau,
        "step",
        lambda self, metrics: (seen.append(float(metrics)), step(self, metrics)),
    )
    run = training.fit(
        tmp_path / "run",
        "optim.schedule=plateau",
        "optim.plateau_patience=0",
        "optim.plateau_factor=0.5",
        f"optim.lr={LR}",
        "model.batchnorm_momentum=0",
        "data.synthetic_count=8",
        "trainer.val_every=3",
        "trainer.max_steps=9",  # 2 steps per epoch
    )
    validations = [value for _, value in training.scalars(run, "val/error")]
    assert len(validations) == 3
    assert seen == pytest.approx(validations)
    assert seen != pytest.approx([value for _, value in training.scalars(run, "val/loss")])
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["plateau_scheduler_state"]["last_epoch"] == 3  # saved for resuming
    # The run's learning rate is what the same schedule gives for these validation losses.
    replay = torch.optim.lr_scheduler.ReduceLROnPlateau(
        torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=LR), factor=0.5, patience=0
    )
    for value in validations:
        step(replay, value)
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(
        replay.get_last_lr()[0]
    )
    assert load_trained_model(run).step == 9  # still a plain weights-only checkpoint


def test_plateau_metric_falls_as_the_reconstruction_improves(training):
    """The watched error measures the reconstruction on fixed weights; the normalised loss does not.

    After many steps of equally good reconstructions the running means have followed the errors, and
    the normalised loss is back at its starting value although the error fell tenfold; the
    reference error fell tenfold too (the old plateau schedule watched the normalised loss).
    """
    loss = learner("default", training).loss
    target = torch.rand(2, 3, 32, 32)
    bad, good = target + 0.2, target + 0.2 / 10**0.5  # squared error 10x smaller
    loss.train()
    first = loss(bad, target)
    loss.running_means.copy_(torch.tensor([first.per_layer["input"].item()]))  # means tracked the bad
    before = loss(bad, target)
    for _ in range(2000):  # the running mean follows the better errors down
        after = loss(good, target)
    assert after.total.item() == pytest.approx(before.total.item(), rel=1e-3)
    assert after.reference_error.item() == pytest.approx(before.reference_error.item() / 10, rel=1e-3)
