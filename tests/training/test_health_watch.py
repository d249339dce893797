"""The warning rule of ``landmarks fit`` and the health CSV."""

from __future__ import annotations

import csv
import dataclasses
import logging

from landmarks.evaluation.health import KeypointHealth
from landmarks.training.health import (
    HEALTH_COLUMNS,
    PERSISTENCE,
    WARMUP_STEPS,
    HealthMonitor,
    HealthRecord,
    HealthWatch,
    append_health,
)

HEALTHY = KeypointHealth(equivariance=0.5, spread_median=8.0, spread_mean=9.0, collapsed=0, coverage=20.0,
                         border_share=0.05, num_keypoints=10)
COLLAPSED = KeypointHealth(equivariance=3.0, spread_median=0.1, spread_mean=0.4, collapsed=8, coverage=0.5,
                           border_share=0.0, num_keypoints=10)


def warnings_at(watch: HealthWatch, steps, health: KeypointHealth) -> list[str]:
    return [line for step in steps for line in watch.update(HealthRecord(step, health))]


def test_no_warning_during_the_warmup_where_everything_sits_at_the_centre():
    assert warnings_at(HealthWatch(), range(0, WARMUP_STEPS, 50), COLLAPSED) == []


def test_a_lasting_collapse_after_the_warmup_warns_once():
    watch = HealthWatch()
    steps = range(WARMUP_STEPS, WARMUP_STEPS + 10 * PERSISTENCE)
    [warning, bunched] = warnings_at(watch, steps, COLLAPSED)
    assert "bunch together" in bunched
    assert warning.startswith(f"after {WARMUP_STEPS + PERSISTENCE} steps 8 of 10 keypoints stay on one spot")
    assert "\n" not in warning


def test_keypoints_bunched_on_one_moving_spot_warn():
    bunch = dataclasses.replace(HEALTHY, coverage=0.3)  # they move (spread 8%) but all together
    [warning] = warnings_at(HealthWatch(), range(WARMUP_STEPS, WARMUP_STEPS + PERSISTENCE), bunch)
    assert "10 keypoints bunch together" in warning and "0.3% of the image" in warning


def test_one_odd_batch_does_not_warn():
    watch = HealthWatch()
    for step in range(WARMUP_STEPS, WARMUP_STEPS + 20):
        health = COLLAPSED if step % PERSISTENCE == 0 else HEALTHY
        assert watch.update(HealthRecord(step, health)) == []


def test_healthy_and_fewer_than_half_collapsed_do_not_warn():
    some = dataclasses.replace(HEALTHY, collapsed=4)
    assert warnings_at(HealthWatch(), range(WARMUP_STEPS, WARMUP_STEPS + 10), some) == []


def test_health_csv_has_one_header_and_appends(tmp_path):
    path = tmp_path / "health.csv"
    append_health(path, HealthRecord(9, HEALTHY))
    append_health(path, HealthRecord(19, COLLAPSED))  # e.g. a resumed run appends to the same file
    with path.open() as file:
        rows = list(csv.reader(file))
    assert rows[0] == list(HEALTH_COLUMNS)
    assert [row[0] for row in rows[1:]] == ["9", "19"]
    assert float(rows[2][HEALTH_COLUMNS.index("spread_median")]) == 0.1


class FakeModule:
    def __init__(self, records):
        self.records = list(records)

    def pop_health(self):
        return self.records.pop(0)


def test_monitor_writes_rows_and_logs_one_plain_line(tmp_path, caplog):
    steps = range(WARMUP_STEPS, WARMUP_STEPS + PERSISTENCE + 2)
    module = FakeModule([None] + [HealthRecord(step, COLLAPSED) for step in steps])
    monitor = HealthMonitor(tmp_path / "health.csv")
    with caplog.at_level(logging.WARNING, logger="landmarks.training"):
        for _ in range(len(module.records)):
            monitor.on_train_batch_end(None, module, None, None, 0)
    assert len((tmp_path / "health.csv").read_text().splitlines()) == 1 + len(steps)
    [collapsed, bunched] = caplog.records
    assert collapsed.getMessage().startswith("landmarks fit: warning: after")
    assert "collapsed" in collapsed.getMessage() and "bunch" in bunched.getMessage()
