"""A short fit logs the keypoints' health to TensorBoard, the progress bar and RUN/health.csv."""

from __future__ import annotations

import csv
import math

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.report.health import HEALTH_FILE
from landmarks.training.health import HEALTH_COLUMNS
from landmarks.training.module import LandmarkLearner

HEALTH_TAGS = {"health/equivariance", "health/spread_median", "health/spread_mean", "health/collapsed",
               "health/coverage", "health/border_share"}


def test_fit_logs_health(tmp_path, training):
    run = training.fit(tmp_path / "run", "trainer.max_steps=4", "trainer.log_every=2")
    assert HEALTH_TAGS <= set(training.events(run).Tags()["scalars"])
    assert [step for step, _ in training.scalars(run, "health/equivariance")] == [1, 3]
    with (run / HEALTH_FILE).open() as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(HEALTH_COLUMNS)
    assert [int(row["step"]) for row in rows] == [1, 3]
    assert all(math.isfinite(float(row[name])) for row in rows for name in HEALTH_COLUMNS)
    assert all(int(row["num_keypoints"]) == 4 for row in rows)


def learner(training, *overrides: str) -> LandmarkLearner:
    return LandmarkLearner.from_config(load_config("default", [*training.tiny, *overrides]))


@pytest.mark.parametrize("supersample", [1, 2])
def test_equivariance_of_still_pairs_maps_source_keypoints_to_the_target(training, supersample):
    module = learner(training, f"pairs.supersample={supersample}")
    images = torch.rand(4, 3, 32 * supersample, 32 * supersample)
    pair = module.make_pair({"image": images}, torch.Generator().manual_seed(0))
    keypoints = module.model.detect(pair.target).keypoints
    reference, mapped = module._equivariance_pair(pair, keypoints)
    assert reference is keypoints and mapped.shape == (4, 4, 2)
    assert torch.isfinite(mapped).all()


def test_the_extra_detector_pass_leaves_batch_norm_statistics_alone(training):
    module = learner(training)
    assert module.training  # batch norms normalise with batch statistics, as in a training step
    pair = module.make_pair({"image": torch.rand(4, 3, 32, 32)}, torch.Generator().manual_seed(0))
    keypoints = module.model.detect(pair.target).keypoints  # a training pass: moves running statistics
    before = {name: value.clone() for name, value in module.model.detector.state_dict().items()}
    module._equivariance_pair(pair, keypoints)
    after = module.model.detector.state_dict()
    assert all(torch.equal(value, after[name]) for name, value in before.items())
    assert all(norm.track_running_stats for norm in module.model.detector.modules()
               if isinstance(norm, torch.nn.BatchNorm2d))


def test_video_pairs_without_a_warp_have_no_equivariance(training):
    module = learner(training)
    batch = {"source": torch.rand(4, 3, 32, 32), "target": torch.rand(4, 3, 32, 32)}
    pair = module.make_pair(batch, torch.Generator().manual_seed(0))
    assert module._equivariance_pair(pair, module.model.detect(pair.target).keypoints) == (None, None)


def test_warped_video_pairs_compare_with_the_warped_source_frame(training):
    module = learner(training, "pairs.warp_video_pairs=true", "data.source=synthetic-bodies")
    batch = {"source": torch.rand(4, 3, 32, 32), "target": torch.rand(4, 3, 32, 32)}
    pair = module.make_pair(batch, torch.Generator().manual_seed(0))
    assert pair.warp_base is not None and pair.warp_base.shape == (4, 3, 32, 32)
    keypoints = module.model.detect(pair.target).keypoints
    reference, mapped = module._equivariance_pair(pair, keypoints)
    assert reference is not keypoints and reference.shape == mapped.shape == (4, 4, 2)
