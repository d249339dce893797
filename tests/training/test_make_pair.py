"""How the module turns a batch into a training pair (still images, ready pairs, warped ready pairs)."""

from __future__ import annotations

import torch

from landmarks.config_loading import load_config
from landmarks.training.module import LandmarkLearner


def _learner(training, *overrides):
    return LandmarkLearner.from_config(load_config("demo", [*training.tiny, *overrides]))


def _frames():
    generator = torch.Generator().manual_seed(0)
    return torch.rand(2, 3, 32, 32, generator=generator), torch.rand(2, 3, 32, 32, generator=generator)


def test_ready_pairs_are_used_as_is(training):
    source, target = _frames()
    pair = _learner(training).make_pair({"source": source, "target": target}, torch.Generator())
    assert pair.source is source and pair.target is target and pair.mask is None


def test_ready_pairs_are_warped_on_the_device_when_asked(training):
    source, target = _frames()
    learner = _learner(training, "pairs.warp_video_pairs=true", "data.source=video-folder",
                       "data.root=/nowhere", "data.preload=false")
    pair = learner.make_pair({"source": source, "target": target}, torch.Generator().manual_seed(3))
    expected = learner.pair_maker.warp_pair(source, target, generator=torch.Generator().manual_seed(3))
    assert torch.equal(pair.source, expected.source) and torch.equal(pair.target, expected.target)
    assert pair.mask is not None and pair.mask.shape == (2, 1, 32, 32)
    assert not torch.allclose(pair.target, target)  # warped
