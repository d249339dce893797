"""Schedules over a step or time budget (optim.schedule: cosine, anneal)."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.errors import ConfigError
from landmarks.training.budget_schedule import BudgetClock, anneal_factor, budget_progress, cosine_factor
from landmarks.training.module import LandmarkLearner


def test_cosine_factor_ends_and_middle():
    assert cosine_factor(0.0) == 1.0
    assert cosine_factor(0.5) == pytest.approx(0.5)
    assert cosine_factor(1.0) == pytest.approx(0.0)
    assert cosine_factor(1.7) == pytest.approx(0.0)  # past the budget: stays at the floor
    assert cosine_factor(1.0, floor=0.1) == pytest.approx(0.1)
    assert cosine_factor(0.25) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))


def test_cosine_factor_warmup():
    assert cosine_factor(0.0, warmup=0.2, floor=0.1) == pytest.approx(0.1)
    assert cosine_factor(0.1, warmup=0.2) == pytest.approx(0.5)
    assert cosine_factor(0.2, warmup=0.2) == pytest.approx(1.0)
    assert cosine_factor(0.6, warmup=0.2) == pytest.approx(0.5)  # half-way through the decay
    with pytest.raises(ValueError, match="warmup"):
        cosine_factor(0.5, warmup=1.0)


def test_anneal_factor_is_constant_then_falls_linearly_to_the_floor():
    assert anneal_factor(0.0, fraction=0.2) == 1.0
    assert anneal_factor(0.8, fraction=0.2) == pytest.approx(1.0)  # the fall starts here
    assert anneal_factor(0.9, fraction=0.2) == pytest.approx(0.5)
    assert anneal_factor(0.9, fraction=0.2, floor=0.1) == pytest.approx(0.55)
    assert anneal_factor(1.0, fraction=0.2, floor=0.1) == pytest.approx(0.1)
    assert anneal_factor(1.3, fraction=0.2, floor=0.1) == pytest.approx(0.1)  # past the budget
    assert anneal_factor(0.5, fraction=1.0) == pytest.approx(0.5)  # the whole budget: a linear fall
    with pytest.raises(ValueError, match="fraction"):
        anneal_factor(0.5, fraction=0.0)


def test_budget_progress_takes_whichever_limit_is_nearer():
    assert budget_progress(50, 100, 0.0, None) == 0.5
    assert budget_progress(50, 100, 45.0, 1.0) == 0.75  # 45 s of a 1-minute budget
    assert budget_progress(90, 100, 6.0, 1.0) == 0.9
    assert budget_progress(10, 100, 600.0, 1.0) == 1.0


def test_budget_clock_carries_time_across_a_resume():
    now = [100.0]
    clock = BudgetClock(clock=lambda: now[0])
    assert clock.elapsed() == 0.0
    clock.start()
    now[0] = 130.0
    state = clock.state_dict()
    assert state == {"elapsed_s": 30.0}
    resumed = BudgetClock(clock=lambda: now[0])
    resumed.load_state_dict(state)
    resumed.start()
    now[0] = 140.0
    assert resumed.elapsed() == 40.0


@pytest.mark.parametrize(("schedule", "halfway"), [
    ("cosine", 0.01 * (0.1 + 0.45 * (1 + math.cos(0.75 * math.pi)))),
    ("anneal", 0.01 * (0.1 + 0.9 * 0.5)),  # half-way down the fall over the last half
])
def test_budget_schedules_of_the_learner(training, schedule, halfway):
    config = load_config("demo", [*training.tiny, f"optim.schedule={schedule}", "optim.lr=0.01",
                                  "optim.lr_floor=0.1", "optim.anneal_fraction=0.5", "trainer.max_steps=100"])
    module = LandmarkLearner.from_config(config)
    configured = module.configure_optimizers()
    scheduler = configured["lr_scheduler"]["scheduler"]
    assert configured["lr_scheduler"]["interval"] == "step"
    assert isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR)
    assert scheduler.get_last_lr()[0] == pytest.approx(0.01)  # no progress yet
    for progress, expected in [(0.75, halfway), (1.0, 0.001)]:
        module.budget_progress = lambda progress=progress: progress
        configured["optimizer"].step()  # no gradients: changes nothing, keeps torch's order
        scheduler.step()
        assert scheduler.get_last_lr()[0] == pytest.approx(expected), progress


@pytest.mark.parametrize("override", ["optim.warmup=1.0", "optim.warmup=-0.1", "optim.lr_floor=1.5",
                                      "optim.anneal_fraction=0", "optim.anneal_fraction=1.5"])
def test_schedule_settings_are_checked(override):
    with pytest.raises(ConfigError, match=override.split("=")[0]):
        load_config("demo", [override])
