import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from landmarks.viz.heatmaps import figure_to_array, heatmap_figure


def _inputs(num=3, height=32, width=40, h=8, w=10):
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(num, h, w, generator=g)
    marginal_x = scores.logsumexp(1).softmax(-1)  # (K, w)
    marginal_y = scores.logsumexp(2).softmax(-1)  # (K, h)
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    keypoints = torch.rand(num, 2, generator=g) * torch.tensor([width - 1.0, height - 1.0])
    return image, scores, marginal_x, marginal_y, keypoints


def test_heatmap_figure_renders_to_a_plausible_array():
    figure = heatmap_figure(*_inputs(num=3))
    assert isinstance(figure, Figure)
    array = figure_to_array(figure)
    assert array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] == 3
    assert 200 < array.shape[0] < 2000 and 300 < array.shape[1] < 2000
    assert array.std() > 10, "the figure is not blank"


def test_heatmap_figure_shows_at_most_max_landmarks():
    few = figure_to_array(heatmap_figure(*_inputs(num=6), max_landmarks=2))
    many = figure_to_array(heatmap_figure(*_inputs(num=6), max_landmarks=6))
    assert few.shape[1] < many.shape[1] or few.shape[0] < many.shape[0]


def test_heatmap_figure_checks_shapes():
    image, scores, marginal_x, marginal_y, keypoints = _inputs()
    with pytest.raises(ValueError):
        heatmap_figure(image, scores, marginal_y, marginal_x, keypoints)
