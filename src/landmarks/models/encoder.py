"""The convolutional trunk shared (in design, not weights) by the detector Phi and the appearance
encoder (paper sec. 4.1), and the detector's score head."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from landmarks.geometry.keypoints import soft_argmax
from landmarks.nn.blocks import DownBlock


def trunk_widths(image_size: int, heatmap_size: int, base_width: int) -> list[int]:
    """Channels of each block: ``base_width`` doubled per block until the output is ``heatmap_size``.

    128 px input with 16x16 maps and base 32 gives ``[32, 64, 128, 256]`` (the paper's 4 blocks).
    """
    num_blocks = int(math.log2(image_size // heatmap_size)) + 1
    return [base_width * 2**i for i in range(num_blocks)]


class ConvTrunk(nn.Sequential):
    """Blocks of two conv-BN-ReLU layers; 7x7 first conv; every block but the first halves the size.

    Input ``(B, 3, S, S)`` RGB in ``[0, 1]``; output ``(B, widths[-1], h, h)`` with ``h = heatmap_size``.

    NOTE(released): the released code feeds raw 0-255 RGB; with batch norm after the first conv the
    input scale only changes the first layer's effective initialisation (a converted model's first
    conv is scaled by 255). ``tf_layout``: strided convs pad as TensorFlow's "same"
    (``model.released_graph``).
    """

    def __init__(self, *, image_size: int, heatmap_size: int, base_width: int,
                 norm_momentum: float = 0.01, norm_eps: float = 1e-3, tf_layout: bool = False):
        widths = trunk_widths(image_size, heatmap_size, base_width)
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps, tf_layout=tf_layout)
        blocks = [DownBlock(3, widths[0], first_kernel=7, stride=1, **norm)]
        blocks += [DownBlock(a, b, stride=2, **norm) for a, b in zip(widths, widths[1:], strict=False)]
        super().__init__(*blocks)
        self.out_channels = widths[-1]


@dataclass
class Detection:
    """What the detector Phi says about a batch of images.

    scores: ``(B, K, h, h)`` raw score maps ``S_k`` (before the softmax).
    keypoints: ``(B, K, 2)`` ``(x, y)`` in ``[-1, 1]``, the soft-argmax of the scores (eq. 1).
    """

    scores: torch.Tensor
    keypoints: torch.Tensor


class Detector(nn.Module):
    """Landmark detector Phi: trunk, then a 1x1 conv to K score maps, then the soft-argmax.

    ``trunk``: any module mapping ``(B, 3, S, S)`` to ``(B, out_channels, h, h)`` with an
    ``out_channels`` attribute; None for the paper's :class:`ConvTrunk` of the given sizes.
    """

    def __init__(self, *, image_size: int, heatmap_size: int, base_width: int, num_landmarks: int,
                 soft_argmax_kind: str = "separable", norm_momentum: float = 0.01,
                 norm_eps: float = 1e-3, trunk: nn.Module | None = None, tf_layout: bool = False):
        super().__init__()
        if trunk is None:
            trunk = ConvTrunk(image_size=image_size, heatmap_size=heatmap_size, base_width=base_width,
                              norm_momentum=norm_momentum, norm_eps=norm_eps, tf_layout=tf_layout)
        self.trunk = trunk
        self.head = nn.Conv2d(self.trunk.out_channels, num_landmarks, kernel_size=1)
        self.soft_argmax_kind = soft_argmax_kind

    def forward(self, images: torch.Tensor) -> Detection:
        """images ``(B, 3, S, S)`` RGB in ``[0, 1]`` -> :class:`Detection`."""
        scores = self.head(self.trunk(images))  # (B, K, h, h)
        # The softmax runs in float32: under bf16/fp16 autocast its expectation loses precision.
        keypoints = soft_argmax(scores.float(), self.soft_argmax_kind)  # (B, K, 2)
        return Detection(scores=scores, keypoints=keypoints)
