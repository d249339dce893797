"""Watching the keypoints' health during ``fit``: a CSV of the numbers and a warning in plain words.

The module computes :class:`~landmarks.evaluation.health.KeypointHealth` on the steps that log
(:meth:`~landmarks.training.module.LandmarkLearner.pop_health`); :class:`HealthMonitor` appends each
to ``RUN/health.csv`` (drawn in the run report by :mod:`landmarks.report.health`) and asks
:class:`HealthWatch` whether to warn.

The warning rule (docs/training.md, "Is training working?"): from step ``WARMUP_STEPS`` on, warn once
when at ``PERSISTENCE`` health checks in a row (every ``trainer.log_every`` steps)
* at least half of the keypoints are collapsed (spread over the batch under ``COLLAPSED_SPREAD`` % of
  the width),
* the keypoints bunch together: the hull of their mean positions covers under ``BUNCHED_COVERAGE`` %
  of the image (all of them on one spot that may move with the image), or
* at least half of the keypoint positions are within ``BORDER_MARGIN`` % of the width of an edge.
Before the warm-up every keypoint still sits near the centre, which looks exactly like a collapse.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass, fields
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from landmarks.evaluation.health import BORDER_MARGIN, COLLAPSED_SPREAD, KeypointHealth

logger = logging.getLogger("landmarks.training")

WARMUP_STEPS = 1000  # generous: at init every keypoint sits near the centre (spread ~0)
PERSISTENCE = 3  # consecutive checks: one odd batch does not warn
PROBLEM_FRACTION = 0.5  # of the keypoints (collapsed) or of the positions (at the border)
# % of the image's area. A demo run (30 keypoints, l2 loss) went from 0.02% at step 20 to 1.3% at step 220
# and 25% at step 720, while its spread was already 3-8% of the width from step 20: a bunch that moves.
BUNCHED_COVERAGE = 1.0
HEALTH_COLUMNS = ("step", *(field.name for field in fields(KeypointHealth)))  # of RUN/health.csv


@dataclass(frozen=True)
class HealthRecord:
    """One health check: the 0-based ``step`` it was logged at and the numbers."""

    step: int
    health: KeypointHealth


def collapse_message(step: int, health: KeypointHealth) -> str | None:
    """A line saying the keypoints collapsed, or None when fewer than half did."""
    if health.collapsed < PROBLEM_FRACTION * health.num_keypoints:
        return None
    return (f"after {step + 1} steps {health.collapsed} of {health.num_keypoints} keypoints stay on one "
            f"spot whatever the image (they move less than {COLLAPSED_SPREAD:g}% of the width over a "
            "batch): the landmarks have collapsed and do not follow the objects")


def bunched_message(step: int, health: KeypointHealth) -> str | None:
    """A line saying the keypoints bunch together on one spot, or None."""
    if health.coverage >= BUNCHED_COVERAGE:
        return None
    return (f"after {step + 1} steps the {health.num_keypoints} keypoints bunch together (their mean "
            f"positions span {health.coverage:.2g}% of the image): they have not spread over the objects")


def border_message(step: int, health: KeypointHealth) -> str | None:
    """A line saying the keypoints locked on to the image border, or None."""
    if math.isnan(health.border_share) or health.border_share < PROBLEM_FRACTION:
        return None
    return (f"after {step + 1} steps {health.border_share:.0%} of the keypoints sit within "
            f"{BORDER_MARGIN:g}% of the width of the image border: the landmarks locked on to the "
            "border instead of the objects")


class HealthWatch:
    """Applies the warning rule of this module to successive health checks; warns once per problem."""

    rules = {"collapsed": collapse_message, "bunched": bunched_message, "border": border_message}

    def __init__(self, *, warmup_steps: int = WARMUP_STEPS, persistence: int = PERSISTENCE):
        self.warmup_steps = warmup_steps
        self.persistence = persistence
        self._streaks = dict.fromkeys(self.rules, 0)
        self._warned: set[str] = set()

    def update(self, record: HealthRecord) -> list[str]:
        """The warnings this check triggers (each problem at most once per run), as plain lines."""
        warnings = []
        for name, rule in self.rules.items():
            message = rule(record.step, record.health) if record.step >= self.warmup_steps else None
            self._streaks[name] = self._streaks[name] + 1 if message else 0
            if self._streaks[name] >= self.persistence and name not in self._warned:
                self._warned.add(name)
                warnings.append(f"{message} (see docs/training.md, 'Is training working?')")
        return warnings


def append_health(path: Path, record: HealthRecord) -> None:
    """Append one row to the CSV ``path`` (writing the header first when the file is new)."""
    is_new = not path.is_file()
    with path.open("a", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        if is_new:
            writer.writerow(HEALTH_COLUMNS)
        values = record.health.as_dict()
        writer.writerow([record.step, *(f"{values[name]:.6g}" for name in HEALTH_COLUMNS[1:])])


class HealthMonitor(L.Callback):
    """Writes each health check of the module to ``path`` (the run's ``health.csv``) and logs a
    warning line (logger ``landmarks.training``) when :class:`HealthWatch` says so; rank 0 only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.watch = HealthWatch()

    @rank_zero_only
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        record = pl_module.pop_health()
        if record is None:
            return
        append_health(self.path, record)
        for message in self.watch.update(record):
            logger.warning(f"landmarks fit: warning: {message}")
