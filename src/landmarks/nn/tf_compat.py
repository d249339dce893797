"""Two TensorFlow 1 conventions that the released networks were trained with, for converted models.

``model.released_graph: true`` (what ``landmarks convert-imm`` writes) builds the networks with them,
so that the authors' released weights give the released graph's outputs exactly:

* TF "same" padding of a strided convolution puts the extra row and column after the image, not
  before: a 3x3 stride-2 conv on an even-sized input pads (top 0, bottom 1, left 0, right 1), where
  PyTorch's ``padding=1`` pads (1, 1) (:class:`TFSameConv2d`);
* TF1's ``resize_images`` / ``resize_bilinear`` (``align_corners=False``, before ``half_pixel_centers``
  existed) samples output pixel ``i`` at input position ``i * in / out``, with no half-pixel offset:
  doubling keeps every input pixel at an even position and puts the mean of two neighbours between
  them, repeating the last pixel at the end (:func:`upsample2x_tf1`). PyTorch's ``bilinear`` with
  ``align_corners=False`` samples at ``(i + 0.5) * in / out - 0.5``.
"""

from __future__ import annotations

import torch
from torch import nn


class TFSameConv2d(nn.Conv2d):
    """A stride-2 ``nn.Conv2d`` with TF "same" padding for even-sized inputs: ``(k - 2) // 2`` rows and
    columns before, the rest of ``k - 2`` after (3x3: 0 before, 1 after).

    Its parameters are named as ``nn.Conv2d``'s (``weight``, ``bias``), so that a state dict fits either.
    Input ``(B, C_in, H, W)`` with ``H, W`` even; output ``(B, C_out, H / 2, W / 2)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride=2, padding=0, bias=bias)
        total = kernel_size - 2  # TF: (out - 1) * stride + k - in, with out = in / 2
        self.tf_padding = (total // 2, total - total // 2)  # (before, after), for rows and columns alike

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        before, after = self.tf_padding
        return super().forward(nn.functional.pad(features, (before, after, before, after)))


def upsample2x_tf1(features: torch.Tensor) -> torch.Tensor:
    """TF1's bilinear resize to twice the size (``align_corners=False``, no half-pixel centres).

    Output pixel ``2i`` is input pixel ``i``; output pixel ``2i + 1`` is the mean of input pixels ``i``
    and ``i + 1``, the last one clamped (so the last two output pixels equal the last input pixel).

    Args:
        features: ``(B, C, H, W)``.

    Returns:
        ``(B, C, 2H, 2W)``.
    """
    return _double_axis(_double_axis(features, -1), -2)


def _double_axis(features: torch.Tensor, dim: int) -> torch.Tensor:
    """:func:`upsample2x_tf1` along one axis ``dim`` (``-1`` or ``-2``)."""
    following = torch.cat([features.narrow(dim, 1, features.shape[dim] - 1),
                           features.narrow(dim, features.shape[dim] - 1, 1)], dim=dim)  # pixel i + 1, clamped
    between = 0.5 * (features + following)
    doubled = torch.stack([features, between], dim=dim)  # (..., n, 2, ...) along dim
    shape = list(features.shape)
    shape[dim] *= 2
    return doubled.reshape(shape)
