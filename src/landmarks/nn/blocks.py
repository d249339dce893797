"""Convolution blocks of the paper's networks (sec. 4.1) and their initialisation.

NOTE(released): TensorFlow's "same" padding pads a stride-2 3x3 convolution by (0, 1); we pad by
(1, 1) as PyTorch does. The result is a sub-pixel shift of the feature grid, which the learned
landmarks and the linear regression to annotations absorb.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_norm_act(
    in_channels: int,
    out_channels: int,
    *,
    kernel_size: int = 3,
    stride: int = 1,
    norm_momentum: float = 0.01,
    norm_eps: float = 1e-3,
) -> nn.Sequential:
    """Conv ("same" padding, no bias: the norm has one) -> BatchNorm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels, eps=norm_eps, momentum=norm_momentum),
        nn.ReLU(inplace=True),
    )


class DownBlock(nn.Sequential):
    """Two conv-norm-ReLU layers; the first may be strided (x1/2) and have a larger kernel.

    Input ``(B, C_in, H, W)``, output ``(B, C_out, H / stride, W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, first_kernel: int = 3, stride: int = 1,
                 norm_momentum: float = 0.01, norm_eps: float = 1e-3):
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps)
        super().__init__(
            conv_norm_act(in_channels, out_channels, kernel_size=first_kernel, stride=stride, **norm),
            conv_norm_act(out_channels, out_channels, **norm),
        )


class UpBlock(nn.Module):
    """Optional bilinear x2 upsampling, then two 3x3 conv-norm-ReLU layers.

    Input ``(B, C_in, H, W)``, output ``(B, C_out, 2H, 2W)`` (or ``(B, C_out, H, W)`` without upsampling).
    """

    def __init__(self, in_channels: int, out_channels: int, *, upsample: bool = True,
                 norm_momentum: float = 0.01, norm_eps: float = 1e-3):
        super().__init__()
        self.upsample = upsample
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps)
        self.convs = nn.Sequential(
            conv_norm_act(in_channels, out_channels, **norm),
            conv_norm_act(out_channels, out_channels, **norm),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            features = nn.functional.interpolate(features, scale_factor=2.0, mode="bilinear",
                                                 align_corners=False)
        return self.convs(features)


def init_normal_(module: nn.Module, std: float) -> None:
    """Initialise every conv weight from N(0, std) and zero its bias; norms to identity (paper sec. 4.1)."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)
