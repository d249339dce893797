"""The keypoint bottleneck: soft-argmaxes (eq. 1, released variant) and Gaussian maps (eq. 2)."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.geometry.coordinates import grid_coordinates
from landmarks.geometry.keypoints import (
    gaussian_maps,
    marginal_distributions,
    separable_soft_argmax,
    soft_argmax,
    spatial_soft_argmax,
)

KINDS = ["separable", "spatial"]
HOT = 1e4  # a score that takes all the softmax mass, even after averaging over an axis


def hot_pixel(row: int, column: int, height: int = 16, width: int = 12) -> torch.Tensor:
    """``(1, 1, H, W)`` float64 scores that are zero except a large value at one pixel."""
    scores = torch.zeros(1, 1, height, width, dtype=torch.float64)
    scores[0, 0, row, column] = HOT
    return scores


def slow_spatial(scores: torch.Tensor) -> torch.Tensor:
    """Eq. 1 pixel by pixel: sum over (i, j) of softmax * (x_j, y_i)."""
    batch, num_maps, height, width = scores.shape
    xs, ys = grid_coordinates(width).tolist(), grid_coordinates(height).tolist()
    out = torch.zeros(batch, num_maps, 2, dtype=torch.float64)
    for b in range(batch):
        for k in range(num_maps):
            weights = [[math.exp(scores[b, k, i, j].item()) for j in range(width)] for i in range(height)]
            total = sum(map(sum, weights))
            for i in range(height):
                for j in range(width):
                    out[b, k, 0] += weights[i][j] / total * xs[j]
                    out[b, k, 1] += weights[i][j] / total * ys[i]
    return out


def slow_separable(scores: torch.Tensor) -> torch.Tensor:
    """The released variant axis by axis: 1-D softmax of the mean over the other axis."""
    batch, num_maps, height, width = scores.shape
    xs, ys = grid_coordinates(width).tolist(), grid_coordinates(height).tolist()
    out = torch.zeros(batch, num_maps, 2, dtype=torch.float64)
    for b in range(batch):
        for k in range(num_maps):
            columns = [sum(scores[b, k, i, j].item() for i in range(height)) / height for j in range(width)]
            rows = [sum(scores[b, k, i, j].item() for j in range(width)) / width for i in range(height)]
            column_weights = [math.exp(c) for c in columns]
            row_weights = [math.exp(r) for r in rows]
            out[b, k, 0] = sum(w * x for w, x in zip(column_weights, xs, strict=True)) / sum(column_weights)
            out[b, k, 1] = sum(w * y for w, y in zip(row_weights, ys, strict=True)) / sum(row_weights)
    return out


# --- shapes and ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_range(kind):
    scores = torch.randn(3, 5, 16, 12) * 5
    keypoints = soft_argmax(scores, kind)
    assert keypoints.shape == (3, 5, 2)
    assert keypoints.abs().max() <= 1
    x_probs, y_probs = marginal_distributions(scores, kind)
    assert x_probs.shape == (3, 5, 12) and y_probs.shape == (3, 5, 16)
    torch.testing.assert_close(x_probs.sum(-1), torch.ones(3, 5))
    torch.testing.assert_close(y_probs.sum(-1), torch.ones(3, 5))


def test_named_functions_match_dispatch():
    scores = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(soft_argmax(scores, "separable"), separable_soft_argmax(scores))
    torch.testing.assert_close(soft_argmax(scores, "spatial"), spatial_soft_argmax(scores))


def test_half_precision_scores_give_float32_keypoints():
    keypoints = soft_argmax(torch.randn(2, 3, 8, 8).half())
    assert keypoints.dtype == torch.float32


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_raises(kind):
    with pytest.raises(ValueError, match=r"\(B, K, H, W\)"):
        soft_argmax(torch.randn(3, 16, 16), kind)
    with pytest.raises(ValueError, match="unknown soft-argmax kind"):
        soft_argmax(torch.randn(1, 1, 4, 4), "argmax")


# --- hand-built semantic cases -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_hot_pixel_in_top_left_corner_is_minus_one_minus_one(kind):
    keypoints = soft_argmax(hot_pixel(0, 0), kind)
    torch.testing.assert_close(keypoints, torch.tensor([[[-1.0, -1.0]]], dtype=torch.float64))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("row", "column"), [(0, 11), (15, 0), (3, 7), (15, 11)])
def test_delta_gives_its_grid_coordinate(kind, row, column):
    keypoints = soft_argmax(hot_pixel(row, column), kind)
    expected = torch.tensor([[[-1 + 2 * column / 11, -1 + 2 * row / 15]]], dtype=torch.float64)
    torch.testing.assert_close(keypoints, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_uniform_scores_give_the_centre(kind):
    keypoints = soft_argmax(torch.zeros(1, 2, 7, 10), kind)
    torch.testing.assert_close(keypoints, torch.zeros(1, 2, 2))


def test_separable_is_not_the_marginal_of_a_2d_softmax():
    # Two bumps in opposite corners of different strengths: averaging before the softmax weighs them
    # differently from summing a 2-D softmax.
    scores = torch.zeros(1, 1, 8, 8)
    scores[0, 0, 0, 0], scores[0, 0, 7, 7] = 4.0, 2.0
    assert not torch.allclose(separable_soft_argmax(scores), spatial_soft_argmax(scores), atol=1e-2)


# --- Gaussian maps -------------------------------------------------------------------------------


def test_gaussian_maps_shape_and_peak():
    keypoints = torch.tensor([[[-1.0, -1.0], [0.0, 0.5]]])  # on pixel centres of a 5 x 9 grid
    maps = gaussian_maps(keypoints, height=5, width=9, sigma=0.1)
    assert maps.shape == (1, 2, 5, 9)
    assert maps[0, 0, 0, 0] == 1 and maps[0, 1, 3, 4] == 1
    assert maps.max() == 1 and maps.min() >= 0


@pytest.mark.parametrize(("form", "exponent"), [("released", 0.25 / 0.3**2), ("paper", 0.25 / (2 * 0.3**2))])
def test_gaussian_value_at_a_known_distance(form, exponent):
    # Centre of a 5 x 5 grid (pixel spacing 0.5); the pixel one to the right is at distance 0.5, and the
    # diagonal one at squared distance 0.5.
    maps = gaussian_maps(torch.zeros(1, 1, 2, dtype=torch.float64), 5, 5, sigma=0.3, form=form)
    torch.testing.assert_close(maps[0, 0, 2, 3].item(), math.exp(-exponent))
    torch.testing.assert_close(maps[0, 0, 1, 1].item(), math.exp(-2 * exponent))


def test_gaussian_bad_input_raises():
    with pytest.raises(ValueError, match=r"\(B, K, 2\)"):
        gaussian_maps(torch.zeros(2, 2), 4, 4, sigma=0.1)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_maps(torch.zeros(1, 1, 2), 4, 4, sigma=0.0)
    with pytest.raises(ValueError, match="Gaussian form"):
        gaussian_maps(torch.zeros(1, 1, 2), 4, 4, sigma=0.1, form="wide")


# --- gradients -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_soft_argmax_gradcheck(kind):
    scores = torch.randn(2, 3, 5, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: soft_argmax(s, kind), (scores,))


@pytest.mark.parametrize("form", ["released", "paper"])
def test_gaussian_maps_gradcheck(form):
    keypoints = (torch.rand(2, 3, 2, dtype=torch.float64) * 2 - 1).requires_grad_()
    assert torch.autograd.gradcheck(lambda k: gaussian_maps(k, 6, 5, sigma=0.3, form=form), (keypoints,))


# --- equivalence with slow references ------------------------------------------------------------


def test_spatial_matches_pixel_loop():
    scores = torch.randn(2, 3, 6, 5, dtype=torch.float64) * 3
    torch.testing.assert_close(spatial_soft_argmax(scores), slow_spatial(scores))


def test_separable_matches_axis_loop():
    scores = torch.randn(2, 3, 6, 5, dtype=torch.float64) * 3
    torch.testing.assert_close(separable_soft_argmax(scores), slow_separable(scores))


def test_gaussian_maps_match_pixel_loop():
    keypoints = torch.rand(2, 3, 2, dtype=torch.float64) * 2 - 1
    maps = gaussian_maps(keypoints, 4, 6, sigma=0.2)
    for b, k, i, j in [(0, 0, 0, 0), (1, 2, 3, 5), (0, 1, 2, 1)]:
        x, y = -1 + 2 * j / 5, -1 + 2 * i / 3
        distance2 = (x - keypoints[b, k, 0].item()) ** 2 + (y - keypoints[b, k, 1].item()) ** 2
        assert maps[b, k, i, j].item() == pytest.approx(math.exp(-distance2 / 0.2**2))


@pytest.mark.parametrize("kind", KINDS)
def test_batched_equals_one_by_one(kind):
    scores = torch.randn(4, 3, 8, 8)
    one_by_one = torch.cat([soft_argmax(s[None], kind) for s in scores])
    torch.testing.assert_close(soft_argmax(scores, kind), one_by_one)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_compiled_equals_eager(kind):
    scores = torch.randn(2, 4, 16, 16)
    compiled = torch.compile(lambda s: soft_argmax(s, kind))
    torch.testing.assert_close(compiled(scores), soft_argmax(scores, kind))
