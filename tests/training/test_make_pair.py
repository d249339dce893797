"""How the module turns a batch into a training pair (still images, ready pairs, warped ready pairs)."""

from __future__ import annotations

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.training.module import LandmarkLearner


def _learner(training, *overrides):
    # Pairs at the model's size unless a test asks for the demo's supersampling.
    overrides = [*training.tiny, "pairs.supersample=1", *overrides]
    return LandmarkLearner.from_config(load_config("demo", overrides))


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


def _still_warps(*, supersample: int) -> list[str]:
    """No warp at all (identity TPS), so that a pair can be compared with its input."""
    zero = [f"pairs.{which}.{key}={value}" for which in ("target_warp", "source_warp")
            for key, value in (("rotation_std", 0), ("scale_std", 0), ("translation_std", 0),
                               ("warp_std", "[0,0]"))]
    return [*zero, f"pairs.supersample={supersample}"]


def test_supersampled_pairs_are_made_large_then_averaged_down(training):
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    learner = _learner(training, *_still_warps(supersample=2))
    pair = learner.make_pair({"image": images}, torch.Generator().manual_seed(0))
    expected = torch.nn.functional.avg_pool2d(images, 2)  # (2, 3, 32, 32): each 2x2 block averaged
    assert pair.target.shape == pair.source.shape == (2, 3, 32, 32) and pair.mask.shape == (2, 1, 32, 32)
    torch.testing.assert_close(pair.target, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(pair.source, expected, atol=1e-5, rtol=0)
    assert pair.mask.min() >= 0 and pair.mask.max() <= 1


def test_supersampling_keeps_features_sharper_than_warping_at_the_model_size(training):
    # Fine detail under sub-pixel shifts: resampling the 32 px picture (2x2 averages of a 64 px one)
    # bilinearly mixes each pixel with its neighbours over a 2-pixel support; shifting the 64 px
    # picture and then averaging mixes over 1.5 pixels of 32 px, so more of the detail survives.
    large = torch.rand(8, 1, 64, 64, generator=torch.Generator().manual_seed(0)).expand(8, 3, 64, 64)
    small = torch.nn.functional.avg_pool2d(large, 2)  # (8, 3, 32, 32), the picture at the model's size

    def contrast(supersample: int, images: torch.Tensor) -> float:
        learner = _learner(training, *_still_warps(supersample=supersample),
                           "pairs.target_warp.translation_std=0.03")  # ~0.5 px at 32 px
        target = learner.make_pair({"image": images}, torch.Generator().manual_seed(0)).target
        return float(target[..., 8:24, 8:24].std())  # away from the border the shift uncovers

    sharp, blurred = contrast(2, large), contrast(1, small)
    assert sharp > 1.1 * blurred, (sharp, blurred)


def test_ready_pairs_are_averaged_down_when_supersampled(training):
    source, target = (torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(s)) for s in (1, 2))
    learner = _learner(training, "pairs.supersample=2", "data.source=video-folder", "data.root=/nowhere",
                       "data.preload=false")
    pair = learner.make_pair({"source": source, "target": target}, torch.Generator())
    torch.testing.assert_close(pair.source, torch.nn.functional.avg_pool2d(source, 2))
    torch.testing.assert_close(pair.target, torch.nn.functional.avg_pool2d(target, 2))
    assert pair.mask is None


def test_images_of_the_wrong_size_for_the_supersampling_are_refused(training):
    learner = _learner(training, "pairs.supersample=2")
    images = torch.rand(2, 3, 32, 32)  # the model's size, not twice it
    with pytest.raises(ValueError, match="pairs.supersample=2 with model.image_size=32 needs 64 x 64 images"):
        learner.make_pair({"image": images}, torch.Generator().manual_seed(0))
