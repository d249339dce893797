"""Batched synthetic pairs: target = warp_t(image), source = warp_s(target), mask on the target."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from landmarks.config import PairsConfig
from landmarks.data.tps_pairs import TpsPair, TpsPairMaker, build_pair_maker
from landmarks.geometry.boundary import boundary_mask
from landmarks.geometry.tps import sample_tps_params, tps_sampling_grid, warp_images

CONFIG = PairsConfig()
TARGET = dataclasses.asdict(CONFIG.target_warp)
SOURCE = dataclasses.asdict(CONFIG.source_warp)
STILL = dict(rotation_std=0.0, scale_std=0.0, translation_std=0.0, warp_std=(0.0, 0.0))


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_shapes_ranges_and_dtype():
    images = torch.rand(3, 3, 32, 40)
    pair = build_pair_maker(CONFIG)(images, seeded(0))
    assert isinstance(pair, TpsPair)
    assert pair.source.shape == pair.target.shape == (3, 3, 32, 40)
    assert pair.mask.shape == (3, 1, 32, 40)
    for tensor in (pair.source, pair.target, pair.mask):
        assert tensor.dtype == torch.float32 and tensor.min() >= 0 and tensor.max() <= 1


def test_still_warps_give_the_image_and_the_plain_boundary_mask():
    images = torch.rand(2, 3, 32, 32)
    pair = TpsPairMaker(target_warp=STILL, source_warp=STILL)(images, seeded(0))
    # float32 grid_sample: an identity grid reads up to ~1e-5 away from the pixel centres
    torch.testing.assert_close(pair.target, images, rtol=0, atol=1e-5)
    torch.testing.assert_close(pair.source, images, rtol=0, atol=1e-5)
    torch.testing.assert_close(pair.mask, boundary_mask(32, 32).expand(2, 1, 32, 32), rtol=0, atol=1e-6)


def test_pair_replays_the_documented_order_of_draws():
    images = torch.rand(2, 3, 24, 24)
    pair = build_pair_maker(CONFIG)(images, seeded(5))
    generator = seeded(5)
    target_grid = tps_sampling_grid(sample_tps_params(2, **TARGET, generator=generator), 24, 24)
    source_grid = tps_sampling_grid(sample_tps_params(2, **SOURCE, generator=generator), 24, 24)
    target = warp_images(images, target_grid)
    torch.testing.assert_close(pair.target, target)
    torch.testing.assert_close(pair.source, warp_images(target, source_grid))
    border = boundary_mask(24, 24).expand(2, 1, 24, 24)
    torch.testing.assert_close(pair.mask, warp_images(border, target_grid))


def test_same_seed_same_pair_different_seed_different():
    images = torch.rand(2, 3, 16, 16)
    maker = build_pair_maker(CONFIG)
    first, again, other = maker(images, seeded(1)), maker(images, seeded(1)), maker(images, seeded(2))
    assert torch.equal(first.source, again.source) and torch.equal(first.mask, again.mask)
    assert not torch.allclose(first.source, other.source)


def test_mask_is_zero_where_the_target_came_from_outside():
    images = torch.ones(8, 3, 32, 32)
    pair = build_pair_maker(CONFIG)(images, seeded(3))
    outside = pair.target[:, :1] == 0  # white image: black target pixels came from the padding
    assert outside.any()
    assert (pair.mask[outside] == 0).all()
    assert (pair.mask <= pair.target[:, :1] + 1e-6).all()  # discounted at least as much as the padding


def test_without_boundary_mask_the_mask_is_all_ones():
    config = dataclasses.replace(CONFIG, boundary_mask=False)
    pair = build_pair_maker(config)(torch.rand(2, 3, 16, 16), seeded(0))
    assert torch.equal(pair.mask, torch.ones(2, 1, 16, 16))


def test_bad_input_raises():
    maker = build_pair_maker(CONFIG)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        maker(torch.rand(3, 16, 16), seeded(0))
    with pytest.raises(ValueError, match="float"):
        maker(torch.zeros(1, 3, 16, 16, dtype=torch.uint8), seeded(0))
    with pytest.raises(ValueError, match="keys"):
        TpsPairMaker(target_warp={"rotation_std": 1.0}, source_warp=SOURCE)


@pytest.mark.gpu
def test_cuda_images_give_the_cpu_pair():
    images = torch.rand(2, 3, 16, 16)
    maker = build_pair_maker(CONFIG)
    on_cuda = maker(images.cuda(), seeded(0))
    on_cpu = maker(images, seeded(0))
    assert on_cuda.source.is_cuda
    torch.testing.assert_close(on_cuda.source.cpu(), on_cpu.source, rtol=0, atol=1e-5)


def test_a_maker_used_at_several_sizes_warps_each_as_a_fresh_one():
    # The maker keeps the TPS kernel of every image size it has seen: one size must not leak into another.
    maker = build_pair_maker(CONFIG)
    for size in (24, 16, 24):
        images = torch.rand(2, 3, size, size)
        used, fresh = maker(images, seeded(size)), build_pair_maker(CONFIG)(images, seeded(size))
        torch.testing.assert_close(used.source, fresh.source, rtol=0, atol=0)


def test_the_exposed_source_warp_is_the_one_applied():
    images = torch.rand(2, 3, 24, 24)
    pair = build_pair_maker(CONFIG)(images, seeded(4))
    assert pair.warp_base is None  # still images: the source warp resampled the target
    grid = tps_sampling_grid(pair.source_warp, 24, 24)  # (B, H, W, 2)
    torch.testing.assert_close(warp_images(pair.target, grid), pair.source)


def test_an_existing_pair_exposes_the_warped_source_frame_as_the_base():
    frames = torch.rand(2, 3, 24, 24), torch.rand(2, 3, 24, 24)
    pair = build_pair_maker(CONFIG).warp_pair(*frames, seeded(5))
    grid = tps_sampling_grid(pair.source_warp, 24, 24)
    torch.testing.assert_close(warp_images(pair.warp_base, grid), pair.source)
    same = build_pair_maker(CONFIG)(frames[0], seeded(5))
    torch.testing.assert_close(pair.source_warp.kernel_weights, same.source_warp.kernel_weights)
