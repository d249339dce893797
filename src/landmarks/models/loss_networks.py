"""Frozen VGG feature extractors for the perceptual loss (paper sec. 3.2).

The modules copy torchvision's ``vgg16`` / ``vgg19`` ``features`` layout module for module (conv,
ReLU, max-pool; no batch norm), so a torchvision state dict (``features.0.weight``, ...) loads as it
is; its ``classifier.*`` keys are ignored. Layers are named ``conv<block>_<index>`` and return the
activation after that conv's ReLU, as in the released code.

NOTE(paper): the paper's supervised loss network is VGG-19 trained on ImageNet.
NOTE(released): the released code uses Larsson et al.'s colourisation VGG-16 (grayscale input, batch
norm folded into the convs). That network is not here yet; it is meant to plug in as another layout
plus its own input transform and a loader that converts its file to this module's state dict.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from landmarks.errors import WeightsError

VggLayout = Literal["vgg16", "vgg19"]

# torchvision's ``cfgs`` "D" (VGG-16) and "E" (VGG-19) as five blocks of 3x3 convs (each conv followed by
# a ReLU), every block ending in a 2x2 max-pool: convs per block and the blocks' output channels.
_CONVS_PER_BLOCK = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
_BLOCK_CHANNELS = (64, 128, 256, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet statistics, RGB in [0, 1]
IMAGENET_STD = (0.229, 0.224, 0.225)
PRETRAINED_FILES = {"vgg16": "vgg16-397923af.pth", "vgg19": "vgg19-dcbb9e9d.pth"}  # torchvision's names


def _convs(layout: VggLayout) -> list[tuple[str, int, int, int, bool]]:
    """``(layer name, index in features, in channels, out channels, last of its block)`` per conv."""
    convs, index, in_channels = [], 0, 3
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


def expected_shapes(layout: VggLayout) -> dict[str, tuple[str, torch.Size]]:
    """Every ``features`` key of a torchvision state dict for ``layout``: key -> (layer name, shape)."""
    shapes = {}
    for name, index, in_channels, out_channels, _ in _convs(layout):
        shapes[f"features.{index}.weight"] = (name, torch.Size((out_channels, in_channels, 3, 3)))
        shapes[f"features.{index}.bias"] = (name, torch.Size((out_channels,)))
    return shapes


def _make_features(layout: VggLayout) -> nn.Sequential:
    """torchvision's ``make_layers(cfg, batch_norm=False)``, with its initialisation."""
    modules: list[nn.Module] = []
    for _, _, in_channels, out_channels, last_of_block in _convs(layout):
        conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
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

    The parameters never require gradients and the module stays in eval mode whatever ``train()``
    is asked (it has no dropout or batch norm, but a frozen network should say so). Weights start
    random (torchvision's initialisation); load a file with :func:`load_torchvision_vgg`.
    """

    def __init__(self, layout: VggLayout, layers: tuple[str, ...]):
        super().__init__()
        if layout not in _CONVS_PER_BLOCK:
            raise ValueError(f"unknown VGG layout {layout!r}; expected one of {sorted(_CONVS_PER_BLOCK)}")
        indices = conv_layer_indices(layout)
        unknown = [name for name in layers if name not in indices]
        if unknown:
            raise ValueError(f"{layout} has no layer(s) {unknown}; available: {list(indices)}")
        self.layout = layout
        self.layers = tuple(layers)
        self.features = _make_features(layout)
        self._outputs = {indices[name] + 1: name for name in layers}  # ReLU index -> name
        self.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> VggFeatures:
        """Stay in eval mode: the loss network is frozen."""
        return super().train(False)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of the requested layers.

        Args:
            images: ``(B, 3, H, W)`` RGB in [0, 1]; ImageNet normalisation is applied here.

        Returns:
            ``{name: (B, C, H / 2^(block-1), W / 2^(block-1))}`` post-ReLU activations (>= 0). Layers
            after the last requested one are not computed.
        """
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(images.shape)}")
        x = imagenet_normalise(images)
        outputs = {}
        for index, module in enumerate(self.features):
            if len(outputs) == len(self._outputs):
                break
            x = module(x)
            if index in self._outputs:
                outputs[self._outputs[index]] = x
        return outputs


def _read_state_dict(path: Path) -> Mapping[str, object]:
    """Raw key -> value mapping of a ``.safetensors`` file or a ``torch.save``'d state dict."""
    if not path.is_file():
        raise WeightsError(f"{path}: loss network weights file not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # zip, pickle, safetensors and OS errors alike mean an unreadable file
        message = f"{path}: cannot read the weights file (truncated or corrupt?): {error}"
        raise WeightsError(message) from error
    if not isinstance(state, Mapping):
        raise WeightsError(f"{path}: expected a state dict (name -> tensor), got {type(state).__name__}")
    return state


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
    state = _read_state_dict(path)
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


def build_loss_network(
    *, network: VggLayout, weights: str | Path | None, random_weights: bool, layers: tuple[str, ...]
) -> VggFeatures:
    """The frozen loss network, pretrained from ``weights`` or, for tests only, random.

    Args:
        network: ``"vgg19"`` (paper) or ``"vgg16"``.
        weights: a torchvision-format file (see :func:`load_torchvision_vgg`), or None.
        random_weights: use random weights instead (with a warning); tests and smoke runs only.
        layers: layer names to return, e.g. ``("conv1_2", "conv2_2")``.

    Raises:
        WeightsError: no weights file and ``random_weights`` false, or a bad file.
        ValueError: ``weights`` and ``random_weights`` both given, or an unknown layer.
    """
    model = VggFeatures(network, layers)
    if random_weights:
        if weights is not None:
            raise ValueError("give either loss network weights or random_weights=True, not both")
        warnings.warn(
            f"the {network} perceptual loss network has RANDOM weights (loss.random_weights=true): "
            "only for tests and smoke runs, landmarks trained this way are meaningless",
            UserWarning,
            stacklevel=2,
        )
        return model
    if weights is None:
        raise WeightsError(
            f"the perceptual loss needs a pretrained {network} file (torchvision's "
            f"{PRETRAINED_FILES[network]}, or a .safetensors copy): set loss.weights to its path, "
            "or set loss.random_weights=true for tests and smoke runs"
        )
    model.load_state_dict(load_torchvision_vgg(weights, network))
    return model
