"""The fully-connected bottleneck of the paper's ablation (Table 2, left): a d-dimensional vector in
place of the K keypoints, as in a conventional auto-encoder.

The detector's trunk features of the target ``(B, C, h, h)`` are flattened and mapped by one linear
layer to a code ``(B, d)``; a second linear layer maps the code to ``d / 2`` feature maps ``(B, d/2, h, h)``
that take the Gaussian maps' place beside the appearance features at the generator's input. Nothing
makes the code encode geometry: the paper's point (MAFL 20.60 / 21.94 / 28.96 for d = 10 / 20 / 60
against 2.58 for 30 keypoints).

NOTE(paper): the paper states only "a fully-connected layer of dimension d"; the decoding layer and the
d / 2 maps (as many channels as d / 2 keypoints would give) are our choices.
For the evaluation protocol the code is handed out as ``keypoints`` ``(B, d/2, 2)``: the d numbers as
d / 2 pairs. They are not image coordinates; the protocol's regression is linear in them all the same.
"""

from __future__ import annotations

import torch
from torch import nn

from landmarks.models.encoder import ConvTrunk, Detection


class DenseDetector(nn.Module):
    """Phi for the dense bottleneck: trunk, then one linear layer to a ``d``-dimensional code.

    Input ``(B, 3, S, S)`` RGB in ``[0, 1]``; output :class:`Detection` with ``keypoints`` the code as
    ``(B, d/2, 2)`` and ``scores`` zeros ``(B, d/2, h, h)`` (there are no score maps).
    """

    def __init__(self, *, image_size: int, heatmap_size: int, base_width: int, dim: int,
                 norm_momentum: float = 0.01, norm_eps: float = 1e-3):
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"the dense bottleneck's dimension must be even and at least 2, got {dim}")
        self.trunk = ConvTrunk(image_size=image_size, heatmap_size=heatmap_size, base_width=base_width,
                               norm_momentum=norm_momentum, norm_eps=norm_eps)
        self.heatmap_size = heatmap_size
        self.dim = dim
        self.encode = nn.Linear(self.trunk.out_channels * heatmap_size**2, dim)

    def forward(self, images: torch.Tensor) -> Detection:
        features = self.trunk(images)  # (B, C, h, h)
        code = self.encode(features.flatten(1).float())  # (B, d)
        points = code.view(code.shape[0], self.dim // 2, 2)  # (B, d/2, 2): the code, not coordinates
        scores = code.new_zeros(code.shape[0], self.dim // 2, self.heatmap_size, self.heatmap_size)
        return Detection(scores=scores, keypoints=points)


class DenseDecoder(nn.Module):
    """The code ``(B, d/2, 2)`` (as :class:`DenseDetector` hands it out) -> maps ``(B, d/2, h, h)``."""

    def __init__(self, *, dim: int, heatmap_size: int):
        super().__init__()
        self.heatmap_size = heatmap_size
        self.decode = nn.Linear(dim, dim // 2 * heatmap_size**2)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h = self.heatmap_size
        maps = self.decode(code.flatten(1))  # (B, d/2 * h * h)
        return maps.view(code.shape[0], -1, h, h)  # (B, d/2, h, h)
