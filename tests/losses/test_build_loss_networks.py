"""build_loss with each loss network: the standard layers and initial means, and config errors."""

from __future__ import annotations

import typing

import pytest
import torch

from landmarks.config import LossConfig
from landmarks.config_loading import load_config
from landmarks.errors import ConfigError, WeightsError
from landmarks.losses import INITIAL_LAYER_MEANS, build_loss
from landmarks.losses.build import STANDARD_INITIAL_MEANS, resolve_layers
from landmarks.models import installed_weights
from landmarks.models.loss_networks import LOSS_NETWORKS

pytestmark = pytest.mark.filterwarnings("ignore:the .* RANDOM weights")


@pytest.mark.parametrize(
    "network, layers",
    [
        ("vgg19", ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")),
        ("vgg16", ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")),
        ("colorization-vgg16-h5", ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")),
        ("mobilenet_v2", ("block1", "block3", "block6", "block13", "block17")),
    ],
)
def test_standard_layers_and_means(network, layers):
    config = LossConfig(network=network, random_weights=True)
    assert resolve_layers(config) == (("input", *layers), (100.0, *STANDARD_INITIAL_MEANS[network]))
    loss = build_loss(config)
    assert loss.layers == ("input", *layers)
    output = loss(torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32))
    assert set(output.per_layer) == {"input", *layers} and torch.isfinite(output.total)


def test_released_means_for_the_vgg_networks():
    assert STANDARD_INITIAL_MEANS["colorization-vgg16-h5"] == INITIAL_LAYER_MEANS[1:]


def test_explicit_layers_need_their_means():
    config = LossConfig(network="mobilenet_v2", random_weights=True, layers=("input", "block18"))
    with pytest.raises(ConfigError, match="initial_means must be given"):
        build_loss(config)
    config = LossConfig(
        network="mobilenet_v2", random_weights=True, layers=("input", "block18"), initial_means=(100.0, 1.0)
    )
    assert build_loss(config).layers == ("input", "block18")


def test_vgg_layer_names_with_mobilenet_are_rejected():
    config = LossConfig(
        network="mobilenet_v2", random_weights=True, layers=("conv1_2",), initial_means=(1.0,)
    )
    with pytest.raises(ConfigError, match=r"\['conv1_2'\] not layers of mobilenet_v2; choose from .*block17"):
        build_loss(config)


def test_override_chain_and_missing_file(monkeypatch):
    # As on a machine without the pip-installed file (where it is installed, it would be used).
    monkeypatch.setattr(installed_weights, "MOBILENET_V2_PACKAGE", "no_such_package_for_landmarks")
    config = load_config("default", ["loss.kind=perceptual", "loss.network=mobilenet_v2"])
    with pytest.raises(WeightsError, match="mobilenet_v2-b0353104.pth"):
        build_loss(config.loss)
    with pytest.raises(ConfigError, match="set both"):
        load_config("default", ["loss.layers=[input, block1]"])
    with pytest.raises(ConfigError, match="must be one of"):
        load_config("default", ["loss.network=resnet50"])


def test_config_choices_are_the_built_networks():
    hint = typing.get_type_hints(LossConfig)["network"]
    assert set(typing.get_args(hint)) == set(LOSS_NETWORKS) == set(STANDARD_INITIAL_MEANS)
