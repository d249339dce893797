"""The fully-connected bottleneck of Table 2's ablation: shapes, gradients, config checks."""

from __future__ import annotations

import pytest
import torch

from landmarks.config import ModelConfig
from landmarks.config_loading import load_config
from landmarks.errors import ConfigError
from landmarks.models import build_model
from landmarks.models.dense_bottleneck import DenseDecoder, DenseDetector

SMALL = dict(image_size=32, heatmap_size=8, base_width=4)


def test_shapes_and_the_code_round_trip():
    detector = DenseDetector(**SMALL, dim=6)
    detection = detector(torch.rand(3, 3, 32, 32))
    assert detection.keypoints.shape == (3, 3, 2) and detection.scores.shape == (3, 3, 8, 8)
    maps = DenseDecoder(dim=6, heatmap_size=8)(detection.keypoints)
    assert maps.shape == (3, 3, 8, 8)
    with pytest.raises(ValueError, match="even"):
        DenseDetector(**SMALL, dim=5)


def test_every_parameter_gets_a_gradient_and_the_target_reaches_the_output_only_through_d_numbers():
    config = ModelConfig(image_size=32, heatmap_size=8, base_width=4, generator_width=8,
                         generator_min_width=4, bottleneck="dense", bottleneck_dim=4)
    model = build_model(config)
    source, target = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    output = model(source, target)
    assert output.reconstruction.shape == (2, 3, 32, 32) and output.keypoints.shape == (2, 2, 2)
    output.reconstruction.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters() if p.requires_grad)
    model.eval()
    with torch.no_grad():  # the same code gives the same image, whatever else the target holds
        code = model.detect(target).keypoints
        assert torch.equal(model.render(source, code), model(source, target).reconstruction)


def test_dense_configs_load_and_odd_dimensions_are_refused():
    for d in (10, 20, 60):
        config = load_config(f"ablation-dense-d{d}")
        assert (config.model.bottleneck, config.model.bottleneck_dim) == ("dense", d)
    with pytest.raises(ConfigError, match="bottleneck_dim"):
        load_config("default", ["model.bottleneck=dense", "model.bottleneck_dim=7"])
