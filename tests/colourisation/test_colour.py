"""Colour maths of the colourisation task: Lab against a slow reference, gray input, ab bins, soft targets."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from landmarks.colourisation.colour import (
    GRAY_MEAN,
    GRAY_STD,
    ab_bin_centres,
    annealed_mean_ab,
    colourise,
    grayscale_input,
    rgb_to_lab,
    soft_encode_ab,
)
from landmarks.colourisation.loss import soft_cross_entropy

D65_WHITE = (0.95047, 1.0, 1.08883)  # XYZ of the sRGB white point


def slow_rgb_to_lab(r: float, g: float, b: float) -> tuple[float, float, float]:
    """sRGB -> CIE Lab (D65), one colour, written out from the sRGB and CIE 1976 definitions."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rl, gl, bl = linear(r), linear(g), linear(b)
    x = 0.412453 * rl + 0.357580 * gl + 0.180423 * bl
    y = 0.212671 * rl + 0.715160 * gl + 0.072169 * bl
    z = 0.019334 * rl + 0.119193 * gl + 0.950227 * bl

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip((x, y, z), D65_WHITE, strict=True))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def as_image(colours: list[tuple[float, float, float]]) -> torch.Tensor:
    return torch.tensor(colours, dtype=torch.float32).T.reshape(1, 3, len(colours), 1)  # (1, 3, N, 1)


def test_lab_of_known_colours():
    lab = rgb_to_lab(as_image([(1, 1, 1), (0, 0, 0), (1, 0, 0), (0.5, 0.5, 0.5)]))[0, :, :, 0].T
    expected = torch.tensor([[100, 0, 0], [0, 0, 0], [53.24, 80.09, 67.20], [53.39, 0, 0]])
    torch.testing.assert_close(lab, expected, atol=0.02, rtol=0)


def test_lab_matches_the_slow_reference():
    colours = torch.rand(200, 3, generator=torch.Generator().manual_seed(0)).tolist()
    lab = rgb_to_lab(as_image(colours))[0, :, :, 0].T  # (N, 3)
    reference = torch.tensor([slow_rgb_to_lab(*colour) for colour in colours])
    torch.testing.assert_close(lab, reference, atol=0.02, rtol=0)


def test_gray_input_is_standardised_bt601_luma():
    gray = grayscale_input(as_image([(1, 1, 1), (0, 1, 0), (0.485, 0.456, 0.406)]))
    assert gray.shape == (1, 1, 3, 1)
    expected = torch.tensor([(1 - GRAY_MEAN) / GRAY_STD, (0.587 - GRAY_MEAN) / GRAY_STD, 0.0])
    torch.testing.assert_close(gray.flatten(), expected, atol=1e-5, rtol=0)  # ImageNet mean colour -> 0


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        grayscale_input(torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"\(B, 2, H, W\)"):
        soft_encode_ab(torch.rand(1, 3, 4, 4), ab_bin_centres())
    with pytest.raises(ValueError, match="neighbours"):
        soft_encode_ab(torch.rand(1, 2, 4, 4), ab_bin_centres(), neighbours=0)


def test_bins_are_the_grid_cells_srgb_colours_reach():
    centres = ab_bin_centres()
    assert centres.shape == (261, 2)
    assert torch.equal(centres, torch.round(centres / 10) * 10)  # multiples of the grid step
    assert len({tuple(c) for c in centres.tolist()}) == len(centres)
    assert [0.0, 0.0] in centres.tolist()
    # The nearest cell of any sRGB colour is a bin.
    colours = torch.rand(500, 3, generator=torch.Generator().manual_seed(1)).tolist()
    ab = rgb_to_lab(as_image(colours))[0, 1:, :, 0].T  # (N, 2)
    cells = {tuple(c) for c in (torch.round(ab / 10) * 10).tolist()}
    assert cells <= {tuple(c) for c in centres.tolist()}
    # Saturated red's cell (a = 80, b = 70) is in; a far corner of the grid is not.
    assert [80.0, 70.0] in centres.tolist() and [-100.0, -100.0] not in centres.tolist()


def test_soft_targets_on_hand_made_colours():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [30.0, 30.0]])
    ab = torch.tensor([[0.0, 0.0], [5.0, 0.0], [500.0, 500.0]]).T.reshape(1, 2, 3, 1)  # (1, 2, 3, 1)
    hard = soft_encode_ab(ab, centres, neighbours=1)[0, :, :, 0].T  # (3, Q)
    assert hard[0].tolist() == [1, 0, 0, 0] and hard[2].tolist() == [0, 0, 0, 1]
    soft = soft_encode_ab(ab, centres, neighbours=3, sigma=5.0)[0, :, :, 0].T
    torch.testing.assert_close(soft.sum(1), torch.ones(3))
    assert soft[1, 0] == pytest.approx(soft[1, 1].item())  # half-way between two centres
    # At a centre: weight 1 there, exp(-100 / 50) at the two neighbours 10 away, normalised.
    e = math.exp(-2.0)
    torch.testing.assert_close(soft[0], torch.tensor([1, e, e, 0]) / (1 + 2 * e))
    assert torch.isfinite(soft).all()  # far from every centre: still a distribution


def test_annealed_mean_between_mode_and_mean():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 40.0]])
    logits = torch.tensor([2.0, 1.0, 0.0]).view(1, 3, 1, 1)
    mean = annealed_mean_ab(logits, centres, temperature=1.0).flatten()
    p = torch.softmax(torch.tensor([2.0, 1.0, 0.0]), 0)
    torch.testing.assert_close(mean, p @ centres)
    mode = annealed_mean_ab(logits, centres, temperature=0.01).flatten()
    torch.testing.assert_close(mode, torch.zeros(2), atol=1e-6, rtol=0)


def test_cross_entropy_uniform_and_hard_targets():
    logits = torch.zeros(2, 7, 3, 3)
    targets = torch.softmax(torch.randn(2, 7, 3, 3), dim=1)
    assert soft_cross_entropy(logits, targets).item() == pytest.approx(math.log(7), rel=1e-6)
    logits = torch.randn(2, 7, 3, 3)
    labels = torch.randint(0, 7, (2, 3, 3))
    one_hot = F.one_hot(labels, 7).permute(0, 3, 1, 2).float()
    torch.testing.assert_close(soft_cross_entropy(logits, one_hot), F.cross_entropy(logits, labels))
    with pytest.raises(ValueError, match="differ in shape"):
        soft_cross_entropy(logits, one_hot[:, :6])


def test_colourise_with_zero_ab_is_gray_and_round_trips():
    images = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    lab = rgb_to_lab(images)
    gray = colourise(lab[:, :1], torch.zeros(2, 2, 4, 4))
    torch.testing.assert_close(gray, gray[:, :1].expand(-1, 3, -1, -1), atol=1e-4, rtol=0)  # R = G = B
    torch.testing.assert_close(colourise(lab[:, :1], lab[:, 1:]), images, atol=1e-3, rtol=0)
