"""The generator Psi (paper sec. 4.1): appearance features + Gaussian landmark maps -> image."""

from __future__ import annotations

import math

import torch
from torch import nn

from landmarks.nn.blocks import UpBlock


def generator_widths(image_size: int, heatmap_size: int, first_width: int, min_width: int) -> list[int]:
    """Channels of each block: ``first_width`` halved per block, never below ``min_width``.

    128 px output from 16x16 maps with 256 first gives ``[256, 128, 64, 32]``.
    """
    num_blocks = int(math.log2(image_size // heatmap_size)) + 1
    return [max(first_width // 2**i, min_width) for i in range(num_blocks)]


class Generator(nn.Module):
    """Stacked appearance features and landmark maps at ``h x h``, upsampled x2 per block, to RGB.

    No skip connections: everything about the target's geometry must pass through the K maps.
    Input ``(B, C_app + K, h, h)``; output ``(B, 3, S, S)`` in the images' range (``[0, 1]``, not
    clamped: the last conv has no activation, as in the paper).

    NOTE(released): the released renderer has one conv-BN-ReLU at the output resolution, not two, and
    upsamples with TF1's bilinear resize; ``released_graph`` builds it so (converted models).
    """

    def __init__(self, *, in_channels: int, image_size: int, heatmap_size: int, first_width: int,
                 min_width: int, norm_momentum: float = 0.01, norm_eps: float = 1e-3,
                 released_graph: bool = False):
        super().__init__()
        widths = generator_widths(image_size, heatmap_size, first_width, min_width)
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps, tf_layout=released_graph)
        last = len(widths) - 1
        convs = [1 if released_graph and i == last else 2 for i in range(len(widths))]
        blocks = [UpBlock(in_channels, widths[0], upsample=False, num_convs=convs[0], **norm)]
        blocks += [UpBlock(a, b, upsample=True, num_convs=convs[i], **norm)
                   for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False), start=1)]
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.Conv2d(widths[-1], 3, kernel_size=3, padding=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.to_rgb(self.blocks(features))
