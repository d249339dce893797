"""Learning-rate schedules over a run's budget, in steps or in wall-clock time, whichever ends first.

A run limited by ``trainer.max_minutes`` does not know in advance how many steps it will make (that
depends on the machine), so a schedule defined over steps alone would stop part-way down its curve.
Here progress is the larger of the step fraction and the time fraction, and the rate reaches its floor
exactly when either limit stops training. Used by ``optim.schedule: cosine`` and ``optim.schedule:
anneal`` (the demo's).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def cosine_factor(progress: float, *, warmup: float = 0.0, floor: float = 0.0) -> float:
    """The multiplier of the base learning rate at ``progress`` in ``[0, 1]`` of the budget.

    Rises linearly from ``floor`` to 1 over the first ``warmup`` fraction, then falls along half a
    cosine to ``floor`` at ``progress = 1``; stays at ``floor`` after. Result in ``[floor, 1]``.
    """
    if not 0.0 <= warmup < 1.0:
        raise ValueError(f"warmup must be in [0, 1), got {warmup}")
    progress = min(max(progress, 0.0), 1.0)
    if progress < warmup:
        return floor + (1.0 - floor) * progress / warmup
    decay = (progress - warmup) / (1.0 - warmup)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * decay))


def anneal_factor(progress: float, *, fraction: float, floor: float = 0.0) -> float:
    """The multiplier of the base learning rate at ``progress`` in ``[0, 1]`` of the budget.

    1 until the last ``fraction`` of the budget, then falls linearly to ``floor`` at ``progress = 1``;
    stays at ``floor`` after. Result in ``[floor, 1]``. A constant rate learns fastest, but the
    landmarks it leaves at any one step jitter with the last updates; the fall at the end settles them
    (on the demo, 0.35-0.38 of the mean-shape error at a constant rate against 0.30 after a fall over
    the last 1600 steps: benchmarks/results/landmark_accuracy-cpu.md).
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    progress = min(max(progress, 0.0), 1.0)
    left = (1.0 - progress) / fraction  # 1 where the fall starts, 0 at the end of the budget
    return floor + (1.0 - floor) * min(left, 1.0)


def budget_progress(step: int, max_steps: int, elapsed_s: float, max_minutes: float | None) -> float:
    """How much of the budget is spent: ``max(step / max_steps, elapsed / max_minutes)``, in ``[0, 1]``."""
    progress = step / max_steps if max_steps > 0 else 0.0
    if max_minutes:
        progress = max(progress, elapsed_s / (60.0 * max_minutes))
    return min(progress, 1.0)


class BudgetClock:
    """Seconds of training so far, carried across a resume (``state_dict`` goes into checkpoints).

    ``clock`` is injectable so that tests can drive time by hand.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._earlier_s = 0.0  # spent in earlier invocations of the run (restored on resume)
        self._started: float | None = None

    def start(self) -> None:
        self._started = self._clock()

    def elapsed(self) -> float:
        running = 0.0 if self._started is None else self._clock() - self._started
        return self._earlier_s + running

    def state_dict(self) -> dict[str, float]:
        return {"elapsed_s": self.elapsed()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self._earlier_s = float(state["elapsed_s"])
