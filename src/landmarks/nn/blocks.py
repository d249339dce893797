"""Convolution blocks of the paper's networks (sec. 4.1) and their initialisation.

NOTE(released): TensorFlow's "same" padding pads a stride-2 3x3 convolution by (0, 1); we pad by
(1, 1) as PyTorch does. The result is a sub-pixel shift of the feature grid, which the learned
landmarks and the linear regression to annotations absorb. ``tf_layout=True`` (``model.released_graph``,
for models converted from the released checkpoints) pads and upsamples as TensorFlow 1 did instead
(:mod:`landmarks.nn.tf_compat`).
"""

from __future__ import annotations

import torch
from torch import nn

from landmarks.nn.tf_compat import TFSameConv2d, upsample2x_tf1


def conv_norm_act(
    in_channels: int,
    out_channels: int,
    *,
    kernel_size: int = 3,
    stride: int = 1,
    norm_momentum: float = 0.01,
    norm_eps: float = 1e-3,
    tf_layout: bool = False,
) -> nn.Sequential:
    """Conv ("same" padding, no bias: the norm has one) -> BatchNorm -> ReLU.

    ``tf_layout``: a strided conv pads as TensorFlow's "same" does (:class:`TFSameConv2d`).
    """
    if tf_layout and stride == 2:
        conv = TFSameConv2d(in_channels, out_channels, kernel_size, bias=False)
    else:
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False)
    return nn.Sequential(
        conv,
        nn.BatchNorm2d(out_channels, eps=norm_eps, momentum=norm_momentum),
        nn.ReLU(inplace=True),
    )


class DownBlock(nn.Sequential):
    """Two conv-norm-ReLU layers; the first may be strided (x1/2) and have a larger kernel.

    Input ``(B, C_in, H, W)``, output ``(B, C_out, H / stride, W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, first_kernel: int = 3, stride: int = 1,
                 norm_momentum: float = 0.01, norm_eps: float = 1e-3, tf_layout: bool = False):
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps)
        super().__init__(
            conv_norm_act(in_channels, out_channels, kernel_size=first_kernel, stride=stride,
                          tf_layout=tf_layout, **norm),
            conv_norm_act(out_channels, out_channels, **norm),
        )


class UpBlock(nn.Module):
    """Optional bilinear x2 upsampling, then ``num_convs`` (two) 3x3 conv-norm-ReLU layers.

    Input ``(B, C_in, H, W)``, output ``(B, C_out, 2H, 2W)`` (or ``(B, C_out, H, W)`` without upsampling).
    ``tf_layout``: upsample as TensorFlow 1's bilinear resize did (:func:`upsample2x_tf1`).
    """

    def __init__(self, in_channels: int, out_channels: int, *, upsample: bool = True,
                 norm_momentum: float = 0.01, norm_eps: float = 1e-3, num_convs: int = 2,
                 tf_layout: bool = False):
        super().__init__()
        self.upsample = upsample
        self.tf_layout = tf_layout
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps)
        widths = [in_channels] + [out_channels] * num_convs
        pairs = zip(widths, widths[1:], strict=False)
        self.convs = nn.Sequential(*[conv_norm_act(a, b, **norm) for a, b in pairs])

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.upsample and self.tf_layout:
            features = upsample2x_tf1(features)
        elif self.upsample:
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
