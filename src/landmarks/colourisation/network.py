"""The colourisation network: a VGG trunk with batch norm and a hypercolumn head (Larsson et al. 2017).

Trunk: torchvision's VGG-16/19 ``features`` layout (same layer names ``conv<block>_<index>``, same
widths, 2x2 max-pool after each block) with batch norm after every conv, on a 1-channel input (the
standardised gray of :func:`~landmarks.colourisation.colour.grayscale_input`). Batch norm makes a
VGG trainable from scratch; it is folded into the convs when the trunk is saved.

Head: the hypercolumn of Larsson et al. 2017: the (post-ReLU) output of the last conv of the chosen
blocks, each brought to ``H / 4 x W / 4`` (area averaging for finer maps, bilinear upsampling for
coarser ones) and concatenated, then a per-pixel MLP (1x1 conv, batch norm, ReLU, 1x1 conv) giving one
score per ab bin.

NOTE(paper): Larsson et al. sample hypercolumns at a few random pixels to save memory and also feed
fc6/fc7; we compute them densely at 1/4 resolution and have no fully connected layers (the loss
network is only used for its conv features).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from landmarks.models.loss_networks import VggLayout, conv_layer_indices, expected_shapes

OUTPUT_STRIDE = 4  # the head predicts at 1/4 of the input resolution (as Zhang et al. 2016)


def vgg_block_channels(layout: VggLayout) -> tuple[int, ...]:
    """Output channels of each of the five blocks of torchvision's ``layout``: (64, 128, 256, 512, 512)."""
    shapes = expected_shapes(layout)
    indices = conv_layer_indices(layout)
    return tuple(shapes[f"features.{indices[f'conv{block}_1']}.weight"][1][0] for block in range(1, 6))


def vgg_conv_names(layout: VggLayout) -> list[str]:
    """``conv1_1``, ``conv1_2``, ... in network order."""
    return list(conv_layer_indices(layout))


def _block_of(name: str) -> int:
    return int(name[len("conv")])


class ConvBnRelu(nn.Sequential):
    """3x3 conv (padding 1, with bias, as VGG) -> batch norm -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, momentum: float):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(out_channels, momentum=momentum),
            nn.ReLU(inplace=True),
        )
        nn.init.kaiming_normal_(self[0].weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(self[0].bias)


@dataclass
class ColourisationOutput:
    """logits: ``(B, Q, H / 4, W / 4)`` scores over the ab bins; features: ``{conv name: (B, C, h, w)}``
    post-ReLU trunk activations used by the hypercolumn."""

    logits: torch.Tensor
    features: dict[str, torch.Tensor]


class ColourisationNet(nn.Module):
    """Gray image -> per-pixel scores over ab bins.

    Args:
        layout: ``"vgg16"`` or ``"vgg19"``: the trunk's conv layers, named as torchvision's.
        num_bins: Q, the number of ab bins.
        hypercolumn_blocks: blocks (1-5) whose last conv feeds the hypercolumn, e.g. ``(1, 2, 3, 4, 5)``.
        head_width: hidden channels of the per-pixel MLP.
        block_channels: widths of the five blocks; torchvision's by default. Other widths are for
            tests only: such a trunk cannot be saved as a torchvision VGG.
        batchnorm_momentum: PyTorch convention (0.1 is PyTorch's default).

    The input is ``(B, 1, H, W)``, the standardised gray of ``grayscale_input``, with ``H`` and ``W``
    multiples of 4 and of ``2^(b - 1)`` for the last hypercolumn block ``b`` (16 for block 5).
    """

    def __init__(
        self,
        *,
        layout: VggLayout,
        num_bins: int,
        hypercolumn_blocks: tuple[int, ...] = (1, 2, 3, 4, 5),
        head_width: int = 1024,
        block_channels: tuple[int, ...] | None = None,
        batchnorm_momentum: float = 0.1,
    ):
        super().__init__()
        if not hypercolumn_blocks or not set(hypercolumn_blocks) <= {1, 2, 3, 4, 5}:
            raise ValueError(f"hypercolumn_blocks must be among 1-5, got {hypercolumn_blocks}")
        self.layout = layout
        self.block_channels = tuple(block_channels or vgg_block_channels(layout))
        names = vgg_conv_names(layout)
        last_of_block = {_block_of(name): name for name in names}
        self.hypercolumn_layers = tuple(last_of_block[block] for block in sorted(set(hypercolumn_blocks)))
        convs, in_channels = {}, 1
        for name in names[: names.index(self.hypercolumn_layers[-1]) + 1]:  # later convs are never used
            out_channels = self.block_channels[_block_of(name) - 1]
            convs[name] = ConvBnRelu(in_channels, out_channels, batchnorm_momentum)
            in_channels = out_channels
        self.trunk = nn.ModuleDict(convs)
        self._pool_after = {name for name in last_of_block.values() if name in convs}
        hypercolumn_channels = sum(self.block_channels[_block_of(n) - 1] for n in self.hypercolumn_layers)
        self.head = nn.Sequential(
            nn.Conv2d(hypercolumn_channels, head_width, kernel_size=1),
            nn.BatchNorm2d(head_width, momentum=batchnorm_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(head_width, num_bins, kernel_size=1),
        )

    def forward(self, gray: torch.Tensor) -> ColourisationOutput:
        if gray.dim() != 4 or gray.shape[1] != 1:
            raise ValueError(f"expected a gray input of shape (B, 1, H, W), got {tuple(gray.shape)}")
        size = (gray.shape[2] // OUTPUT_STRIDE, gray.shape[3] // OUTPUT_STRIDE)
        features, x = {}, gray
        for name, conv in self.trunk.items():
            x = conv(x)
            if name in self.hypercolumn_layers:
                features[name] = x
            if name in self._pool_after and name != self.hypercolumn_layers[-1]:
                x = F.max_pool2d(x, kernel_size=2, stride=2)
        column = torch.cat([_resize(features[name], size) for name in self.hypercolumn_layers], dim=1)
        return ColourisationOutput(logits=self.head(column), features=features)  # (B, Q, H/4, W/4)


def _resize(features: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Area average down to ``size``, or bilinear interpolation up to it."""
    if features.shape[-2] >= size[0]:
        return F.adaptive_avg_pool2d(features, size)
    return F.interpolate(features, size=size, mode="bilinear", align_corners=False)
