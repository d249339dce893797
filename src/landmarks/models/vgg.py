"""Frozen VGG feature extractors for the perceptual loss (paper sec. 3.2).

The modules copy torchvision's ``vgg16`` / ``vgg19`` ``features`` layout module for module (conv,
ReLU, max-pool; no batch norm), so a torchvision state dict (``features.0.weight``, ...) loads as it
is; its ``classifier.*`` keys are ignored. Layers are named ``conv<block>_<index>`` and return the
activation after that conv's ReLU, as in the released code.

NOTE(paper): the paper's supervised loss network is VGG-19 trained on ImageNet.
NOTE(released): the released code uses Larsson et al.'s colourisation VGG-16 (grayscale input, batch
norm folded into the convs): the same module with a 1-channel first conv and its own input transform,
read from its HDF5 file by :mod:`landmarks.models.colorization_vgg`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from landmarks.errors import WeightsError
from landmarks.models.weight_files import read_state_dict

VggLayout = Literal["vgg16", "vgg19"]

# torchvision's ``cfgs`` "D" (VGG-16) and "E" (VGG-19) as five blocks of 3x3 convs (each conv followed by
# a ReLU), every block ending in a 2x2 max-pool: convs per block and the blocks' output channels.
_CONVS_PER_BLOCK = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
_BLOCK_CHANNELS = (64, 128, 256, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet statistics, RGB in [0, 1]
IMAGENET_STD = (0.229, 0.224, 0.225)
PRETRAINED_FILES = {"vgg16": "vgg16-397923af.pth", "vgg19": "vgg19-dcbb9e9d.pth"}  # torchvision's names


def _convs(layout: VggLayout, in_channels: int = 3) -> list[tuple[str, int, int, int, bool]]:
    """``(layer name, index in features, in channels, out channels, last of its block)`` per conv."""
    convs, index = [], 0
    for block, count in enumerate(_CONVS_PER_BLOCK[layout], start=1):
        out_channels = _BLOCK_CHANNELS[block - 1]
        for conv in range(1, count + 1):
            convs.append((f"conv{block}_{conv}", index, in_channels, out_channels, conv == count))
            index, in_channels = index + 2, out_channels  # conv, ReLU
        index += 1  # max-pool
    return convs


def conv_layer_indices(layout: VggLayout) -> dict[str, int]:
    """Map each layer name (``conv1_1`` ...) to the index of its conv in torchvision's ``features``.

    The layer's output (post-ReLU) is that of ``features[index + 1]``.
    """
    return {name: index for name, index, *_ in _convs(layout)}


def expected_shapes(layout: VggLayout, in_channels: int = 3) -> dict[str, tuple[str, torch.Size]]:
    """Every ``features`` key of a torchvision state dict for ``layout``: key -> (layer name, shape).

    ``in_channels`` is that of the first conv: 3 for RGB, 1 for the colourisation network's gray.
    """
    shapes = {}
    for name, index, conv_in, out_channels, _ in _convs(layout, in_channels):
        shapes[f"features.{index}.weight"] = (name, torch.Size((out_channels, conv_in, 3, 3)))
        shapes[f"features.{index}.bias"] = (name, torch.Size((out_channels,)))
    return shapes


def _make_features(layout: VggLayout, in_channels: int) -> nn.Sequential:
    """torchvision's ``make_layers(cfg, batch_norm=False)``, with its initialisation."""
    modules: list[nn.Module] = []
    for _, _, conv_in, out_channels, last_of_block in _convs(layout, in_channels):
        conv = nn.Conv2d(conv_in, out_channels, kernel_size=3, padding=1)
        nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(conv.bias)
        modules += [conv, nn.ReLU(inplace=True)]
        if last_of_block:
            modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*modules)


def imagenet_normalise(images: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB in [0, 1] -> the same, standardised with the ImageNet mean and std."""
    mean = images.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std


class VggFeatures(nn.Module):
    """A frozen VGG-16/19 returning the activations of named layers.

    Args:
        layout: ``"vgg16"`` or ``"vgg19"`` (torchvision's architectures without batch norm).
        layers: names among ``conv1_1`` ... ``conv5_3`` (VGG-16) or ``conv5_4`` (VGG-19).
        in_channels: channels the first conv reads (3; 1 for the colourisation network).
        input_transform: maps ``(B, 3, H, W)`` RGB in [0, 1] to the network's ``(B, in_channels, H, W)``
            input (default: ImageNet normalisation).

    The parameters never require gradients and the module stays in eval mode whatever ``train()``
    is asked (it has no dropout or batch norm, but a frozen network should say so). Weights start
    random (torchvision's initialisation); load a file with :func:`load_torchvision_vgg`.
    """

    def __init__(
        self,
        layout: VggLayout,
        layers: tuple[str, ...],
        *,
        in_channels: int = 3,
        input_transform: Callable[[torch.Tensor], torch.Tensor] = imagenet_normalise,
    ):
        super().__init__()
        if layout not in _CONVS_PER_BLOCK:
            raise ValueError(f"unknown VGG layout {layout!r}; expected one of {sorted(_CONVS_PER_BLOCK)}")
        indices = conv_layer_indices(layout)
        unknown = [name for name in layers if name not in indices]
        if unknown:
            raise ValueError(f"{layout} has no layer(s) {unknown}; available: {list(indices)}")
        self.layout = layout
        self.layers = tuple(layers)
        self.input_transform = input_transform
        self.features = _make_features(layout, in_channels)
        self._outputs = {indices[name] + 1: name for name in layers}  # ReLU index -> name
        self.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> VggFeatures:
        """Stay in eval mode: the loss network is frozen."""
        return super().train(False)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of the requested layers.

        Args:
            images: ``(B, 3, H, W)`` RGB in [0, 1]; ``input_transform`` is applied here.

        Returns:
            ``{name: (B, C, H / 2^(block-1), W / 2^(block-1))}`` post-ReLU activations (>= 0). Layers
            after the last requested one are not computed.
        """
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(images.shape)}")
        return tapped_outputs(self.features, self.input_transform(images), self._outputs)


def tapped_outputs(
    features: nn.Sequential, x: torch.Tensor, taps: Mapping[int, str]
) -> dict[str, torch.Tensor]:
    """Run ``features`` on ``x`` and return ``{taps[i]: output of features[i]}``; modules after the last
    tapped one are not run (the loss networks of VGG and MobileNetV2 both work this way)."""
    outputs = {}
    for index, module in enumerate(features):
        if len(outputs) == len(taps):
            break
        x = module(x)
        if index in taps:
            outputs[taps[index]] = x
    return outputs


def _matches(state: Mapping[str, object], layout: VggLayout) -> bool:
    return all(
        isinstance(state.get(key), torch.Tensor) and state[key].shape == shape
        for key, (_, shape) in expected_shapes(layout).items()
    )


def _layout_hint(state: Mapping[str, object], layout: VggLayout) -> str:
    other = next((name for name in _CONVS_PER_BLOCK if name != layout and _matches(state, name)), None)
    return f"; the file looks like a {other} state dict, not {layout}" if other else ""


def load_torchvision_vgg(path: str | Path, layout: VggLayout) -> dict[str, torch.Tensor]:
    """Read and check a torchvision-format VGG state dict.

    Args:
        path: a ``.safetensors`` file, or a ``.pth`` / ``.pt`` file written by ``torch.save``
            (read with ``weights_only=True``), e.g. torchvision's ``vgg19-dcbb9e9d.pth``.
        layout: ``"vgg16"`` or ``"vgg19"``; every conv weight and bias of that layout must be present
            with the right shape.

    Returns:
        The ``features.*`` tensors only (``classifier.*`` and other keys are dropped), ready for
        ``VggFeatures(layout, ...).load_state_dict``.

    Raises:
        WeightsError: naming the file and the layer, if the file is missing, unreadable, lacks a
            layer or has a wrong shape (e.g. a VGG-16 file given for VGG-19).
    """
    path = Path(path)
    state = read_state_dict(path)
    checked = {}
    for key, (name, shape) in expected_shapes(layout).items():
        value = state.get(key)
        if not isinstance(value, torch.Tensor):
            raise WeightsError(
                f"{path}: layer {name} ({key}) is missing from the {layout} weights"
                f"{_layout_hint(state, layout)}"
            )
        if value.shape != shape:
            raise WeightsError(
                f"{path}: layer {name} ({key}) has shape {tuple(value.shape)}, expected {tuple(shape)} "
                f"for {layout}{_layout_hint(state, layout)}"
            )
        checked[key] = value
    return checked
