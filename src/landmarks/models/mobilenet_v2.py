"""A frozen MobileNetV2 as a light loss network, loading torchvision's ImageNet weights file.

The module copies torchvision's ``mobilenet_v2()`` (width 1.0) module for module, so that
torchvision's state dict (``features.0.0.weight``, ``features.1.conv.0.0.weight``, ...) loads with
strict key and shape checks; the ``classifier.*`` keys are ignored. It is written here because
torchvision cannot be imported beside this project's torch build; only its file format is used.

Layers are named ``block<i>`` for the output of ``features[i]`` (``block0`` the stem conv, ``block1``
... ``block17`` the inverted residual blocks, ``block18`` the final 1x1 conv). The perceptual loss
compares, like VGG's conv1_2 ... conv5_2 (one tap per resolution, from fine to coarse), the output
of the last block at each stride:

==========  ======  ========  ==================
layer       stride  channels  VGG analogue
==========  ======  ========  ==================
block1      2       16        conv1_2 (stride 1)
block3      4       24        conv2_2 (stride 2)
block6      8       32        conv3_2 (stride 4)
block13     16      96        conv4_2 (stride 8)
block17     32      320       conv5_2 (stride 16)
==========  ======  ========  ==================

MobileNetV2's first conv has stride 2, so every tap is one octave coarser than VGG's. The outputs of
inverted residual blocks are linear (no ReLU), so features can be negative, unlike VGG's post-ReLU ones.
Batch norm is folded into the convs once the weights are loaded (:meth:`MobileNetV2Features.fold_batchnorms`).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from landmarks.errors import WeightsError
from landmarks.models.vgg import imagenet_normalise, tapped_outputs
from landmarks.models.weight_files import checked_tensor, read_state_dict
from landmarks.nn.folding import fold_batchnorms_

WEIGHTS_FILE = "mobilenet_v2-b0353104.pth"  # torchvision's name for the ImageNet weights
# torchvision's inverted residual settings: (expansion t, output channels c, repeats n, first stride s).
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
             (6, 320, 1, 1))  # fmt: skip
_STEM_CHANNELS, _LAST_CHANNELS = 32, 1280
_BLOCKS = 1 + sum(repeats for _, _, repeats, _ in _SETTINGS) + 1  # stem conv, inverted residuals, 1x1 conv
STANDARD_LAYERS = ("block1", "block3", "block6", "block13", "block17")  # strides 2, 4, 8, 16, 32
_BATCHNORM_COUNTER = "num_batches_tracked"  # optional in a file, irrelevant in eval mode


def _conv_bn_relu6(in_channels: int, out_channels: int, *, kernel_size: int, stride: int = 1,
                   groups: int = 1) -> nn.Sequential:  # fmt: skip
    """torchvision's ``Conv2dNormActivation`` with ReLU6: keys ``0.weight`` (conv), ``1.*`` (batch norm)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2, groups=groups,
                  bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU6(inplace=True),
    )  # fmt: skip


class InvertedResidual(nn.Module):
    """torchvision's MobileNetV2 block: 1x1 expansion, 3x3 depthwise, linear 1x1 projection (+ input)."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int, expansion: int):
        super().__init__()
        hidden = in_channels * expansion
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(_conv_bn_relu6(in_channels, hidden, kernel_size=1))
        layers += [
            _conv_bn_relu6(hidden, hidden, kernel_size=3, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C_in, H, W)`` -> ``(B, C_out, H / stride, W / stride)``."""
        return x + self.conv(x) if self.use_residual else self.conv(x)


def _make_features() -> nn.Sequential:
    """torchvision's ``MobileNetV2().features`` (width 1.0), with its initialisation."""
    modules: list[nn.Module] = [_conv_bn_relu6(3, _STEM_CHANNELS, kernel_size=3, stride=2)]
    in_channels = _STEM_CHANNELS
    for expansion, out_channels, repeats, stride in _SETTINGS:
        for repeat in range(repeats):
            block_stride = stride if repeat == 0 else 1
            block = InvertedResidual(in_channels, out_channels, stride=block_stride, expansion=expansion)
            modules.append(block)
            in_channels = out_channels
    modules.append(_conv_bn_relu6(in_channels, _LAST_CHANNELS, kernel_size=1))
    features = nn.Sequential(*modules)
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return features


def layer_names() -> tuple[str, ...]:
    """Every layer a :class:`MobileNetV2Features` can return: ``block0`` ... ``block18``."""
    return tuple(f"block{index}" for index in range(_BLOCKS))


class MobileNetV2Features(nn.Module):
    """A frozen MobileNetV2 returning the outputs of named blocks.

    Args:
        layers: names among :func:`layer_names` (``block<i>`` = the output of ``features[i]``).

    Weights start random (torchvision's initialisation), in torchvision's key names; load a file with
    :func:`load_torchvision_mobilenet_v2`, then call :meth:`fold_batchnorms`. Parameters never require
    gradients and the module stays in eval mode (batch norm uses its running statistics).
    """

    def __init__(self, layers: tuple[str, ...]):
        super().__init__()
        self.features = _make_features()
        names = list(layer_names())
        unknown = [name for name in layers if name not in names]
        if unknown:
            raise ValueError(f"mobilenet_v2 has no layer(s) {unknown}; available: {names}")
        self.layers = tuple(layers)
        self._outputs = {names.index(name): name for name in layers}  # features index -> name
        self.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> MobileNetV2Features:
        """Stay in eval mode: the loss network is frozen and its batch norms use running statistics."""
        return super().train(False)

    def fold_batchnorms(self) -> MobileNetV2Features:
        """Fold every batch norm into its conv, in place (same outputs; keys no longer torchvision's)."""
        fold_batchnorms_(self.features)
        return self

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Outputs of the requested blocks.

        Args:
            images: ``(B, 3, H, W)`` RGB in [0, 1]; ImageNet normalisation is applied here.

        Returns:
            ``{name: (B, C, H / s, W / s)}`` with the block's stride ``s`` (rounded up for odd sizes).
            Blocks after the last requested one are not computed.
        """
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(images.shape)}")
        return tapped_outputs(self.features, imagenet_normalise(images), self._outputs)


def load_torchvision_mobilenet_v2(path: str | Path) -> dict[str, torch.Tensor]:
    """Read and check torchvision's MobileNetV2 state dict (``mobilenet_v2-b0353104.pth`` or a copy).

    Args:
        path: a ``.pth`` / ``.pt`` file written by ``torch.save`` (read with ``weights_only=True``) or a
            ``.safetensors`` file with the same keys.

    Returns:
        Every ``features.*`` tensor, float32, ready for ``MobileNetV2Features(...).load_state_dict``
        (strict); ``classifier.*`` keys are dropped, a missing ``num_batches_tracked`` is filled in.

    Raises:
        WeightsError: naming the file and the block when the file is missing or unreadable, lacks a
            tensor, has one of the wrong shape (``"<path>: block3: expected features.3.conv.1.0.weight
            (144, 1, 3, 3), got (...)"``) or holds unexpected ``features.*`` keys.
    """
    path = Path(path)
    state = read_state_dict(path)
    reference = MobileNetV2Features(()).state_dict()
    checked = {}
    for key, value in reference.items():
        if key.endswith(_BATCHNORM_COUNTER):
            checked[key] = value
            continue
        block = f"block{key.split('.')[1]}"
        checked[key] = checked_tensor(path, block, key, state.get(key), tuple(value.shape))
    unexpected = [key for key in state if key.startswith("features.") and key not in reference]
    if unexpected:
        raise WeightsError(
            f"{path}: unexpected keys {unexpected[:5]}: not torchvision's mobilenet_v2 (width 1.0)"
        )
    return checked


def pretrained_mobilenet_v2(layers: tuple[str, ...], path: str | Path) -> MobileNetV2Features:
    """A frozen :class:`MobileNetV2Features` with torchvision's weights from ``path``, batch norm folded.

    Raises:
        WeightsError: as :func:`load_torchvision_mobilenet_v2`.
    """
    model = MobileNetV2Features(layers)
    model.load_state_dict(load_torchvision_mobilenet_v2(path))
    return model.fold_batchnorms()
