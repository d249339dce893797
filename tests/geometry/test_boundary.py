"""The boundary-discount mask of the supplement (sec. 2)."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.geometry.boundary import boundary_mask, boundary_profile, smooth_step


def test_profile_at_128_px():
    profile = boundary_profile(128)
    assert profile.shape == (128,)
    assert torch.equal(profile[:10], torch.zeros(10))
    assert torch.equal(profile[30:98], torch.ones(68))
    torch.testing.assert_close(profile[10:30], smooth_step(20))
    torch.testing.assert_close(profile, profile.flip(0), rtol=0, atol=0)


def test_smooth_step_values():
    step = smooth_step(20)
    assert step[0].item() == pytest.approx(0.5 + 0.5 * math.tanh(-1 / 0.4))
    assert step[-1].item() == pytest.approx(0.5 + 0.5 * math.tanh(1 / 0.4))
    assert (step.diff() > 0).all()


@pytest.mark.parametrize(("size", "zeros", "ramp"), [(64, 5, 10), (32, 3, 5), (256, 20, 40), (100, 8, 16)])
def test_profile_scales_with_the_size(size, zeros, ramp):
    profile = boundary_profile(size)
    assert profile.shape == (size,)
    assert torch.equal(profile[:zeros], torch.zeros(zeros)) and profile[zeros] > 0
    assert profile[zeros + ramp - 1] < 1 and torch.equal(
        profile[zeros + ramp : size - zeros - ramp], torch.ones(size - 2 * (zeros + ramp))
    )
    torch.testing.assert_close(profile, profile.flip(0), rtol=0, atol=0)


def test_too_small_raises():
    with pytest.raises(ValueError, match="too short"):
        boundary_profile(50, zeros=10, ramp=20, reference_size=50)


def test_mask_is_the_outer_product():
    mask = boundary_mask(64, 32)
    assert mask.shape == (64, 32)
    torch.testing.assert_close(mask, boundary_profile(64)[:, None] * boundary_profile(32)[None, :])
    assert mask[0, 0] == 0 and mask[32, 16] == 1
    assert mask.min() >= 0 and mask.max() <= 1
