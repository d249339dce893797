"""The pure keypoint-health numbers: hand-built cases and slow references."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.evaluation.health import (
    COLLAPSED_SPREAD,
    border_share,
    equivariance_error,
    hull_area,
    keypoint_health,
    keypoint_spread,
)
from landmarks.geometry.coordinates import full_to_reduced, reduced_to_full
from landmarks.geometry.tps import TpsParams, sample_tps_params, tps_sampling_grid, tps_transform_points


def test_identity_warp_gives_zero_equivariance_error():
    keypoints = torch.rand(3, 5, 2) * 2 - 1
    mapped = tps_transform_points(TpsParams.identity(3), keypoints)
    assert equivariance_error(keypoints, mapped).abs().max() < 1e-5


def test_translation_warp_maps_points_by_the_translation():
    params = TpsParams.identity(2)
    shift = torch.tensor([[0.2, -0.1], [-0.3, 0.05]])
    params = TpsParams(params.kernel_weights, params.affine, shift, params.control_points)
    keypoints = torch.rand(2, 4, 2) * 2 - 1
    mapped = tps_transform_points(params, keypoints)
    torch.testing.assert_close(mapped, keypoints + shift[:, None, :])
    # 0.2 units of [-1, 1] are 10% of the width: the error of an unmapped point is the shift's length.
    errors = equivariance_error(mapped, keypoints)  # (B, K)
    torch.testing.assert_close(errors, (shift.norm(dim=-1) * 50)[:, None].expand(2, 4))


def test_mapping_points_equals_sampling_the_grid_at_pixel_centres():
    """tps_transform_points at a pixel centre is the sampling grid's entry there (slow reference)."""
    params = sample_tps_params(2, rotation_std=5, scale_std=0.1, translation_std=0.1, warp_std=(0.001, 0.01),
                               generator=torch.Generator().manual_seed(0))
    grid = tps_sampling_grid(params, 9, 9)  # (B, 9, 9, 2)
    rows, cols = torch.tensor([0, 4, 8, 3]), torch.tensor([8, 4, 0, 1])
    points = torch.stack([-1 + cols / 4, -1 + rows / 4], -1)  # (4, 2) pixel centres (x, y)
    torch.testing.assert_close(tps_transform_points(params, points), grid[:, rows, cols], atol=1e-5, rtol=0)


@pytest.mark.parametrize("factor, size", [(1, 32), (2, 32), (3, 16)])
def test_reduced_to_full_maps_block_centres(factor, size):
    full_size = factor * size
    reduced_pixels = torch.arange(size, dtype=torch.float64)
    full_pixels = factor * reduced_pixels + (factor - 1) / 2  # the centre of each averaged block
    reduced = -1 + 2 * reduced_pixels / (size - 1)
    full = -1 + 2 * full_pixels / (full_size - 1)
    points = torch.stack([reduced, reduced.flip(0)], -1)  # (S, 2)
    torch.testing.assert_close(reduced_to_full(points, factor, size), torch.stack([full, full.flip(0)], -1))
    torch.testing.assert_close(full_to_reduced(reduced_to_full(points, factor, size), factor, size), points)


def test_spread_matches_a_loop_and_is_zero_for_fixed_points():
    keypoints = torch.rand(6, 3, 2) * 2 - 1
    for k in range(3):
        points = keypoints[:, k]
        mean = sum(points) / len(points)
        variance = sum(float((p - mean).square().sum()) for p in points) / len(points)
        assert keypoint_spread(keypoints)[k].item() == pytest.approx(math.sqrt(variance) * 50, rel=1e-5)
    assert keypoint_spread(torch.tensor([0.3, -0.2]).expand(5, 4, 2)).abs().max() < 1e-6


def test_spread_needs_two_images():
    with pytest.raises(ValueError, match="at least 2"):
        keypoint_spread(torch.zeros(1, 3, 2))


def test_border_share():
    assert border_share(torch.tensor([[[1.0, 0.0], [-1.0, 0.2], [0.3, 0.99], [0.0, -0.96]]])) == 1.0
    assert border_share(torch.tensor([[[0.0, 0.0], [0.5, -0.5], [0.9, 0.9], [1.0, 1.0]]])) == 0.25


def test_hull_area_of_hand_built_shapes():
    corners = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    assert hull_area(corners) == pytest.approx(100.0)
    inside = torch.rand(20, 2) * 2 - 1
    assert hull_area(torch.cat([inside, corners])) == pytest.approx(100.0)
    triangle = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.2, 0.2]])
    assert hull_area(triangle) == pytest.approx(0.5 / 4 * 100)
    assert hull_area(torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])) == pytest.approx(0.0)
    assert hull_area(torch.zeros(5, 2)) == 0.0


def test_hull_area_against_a_dense_sample():
    """Slow references: the share of a fine grid's points inside the hull, and scipy's hull."""
    points = torch.rand(8, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1
    from scipy.spatial import ConvexHull, Delaunay

    axis = torch.linspace(-1, 1, 401)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)  # (401 * 401, 2)
    inside = Delaunay(points.numpy()).find_simplex(grid.numpy()) >= 0
    assert hull_area(points) == pytest.approx(inside.mean() * 100, abs=1.0)
    assert hull_area(points) == pytest.approx(ConvexHull(points.numpy()).volume / 4 * 100, rel=1e-6)


def test_keypoint_health_of_collapsed_keypoints():
    constant = torch.tensor([0.1, -0.1]).expand(8, 5, 2)
    health = keypoint_health(constant)
    assert health.collapsed == 5 and health.spread_median < COLLAPSED_SPREAD
    assert health.coverage == 0.0 and health.border_share == 0.0
    assert math.isnan(health.equivariance)
