"""Pixel reconstruction losses, the l1 / l2 ablation of the paper (Table 2)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from landmarks.losses.masked import masked_mean_absolute_error, masked_mean_squared_error
from landmarks.losses.output import LossOutput

_ERRORS = {"l1": masked_mean_absolute_error, "l2": masked_mean_squared_error}


class PixelLoss(nn.Module):
    """Masked mean of ``|prediction - target|`` (l1) or ``(prediction - target)^2`` (l2) over all pixels.

    Args:
        kind: ``"l1"`` or ``"l2"``.

    Convention: images are compared as given, RGB in [0, 1], with no normalisation or scale factor.
    NOTE(paper): Table 2 does not state the scale of its pixel losses. Adam is insensitive to a constant
    factor, but the per-tensor gradient clipping (at 1.0) is not: on this scale it rarely triggers,
    whereas the perceptual loss (about 1000 * L) is clipped often.
    """

    def __init__(self, kind: Literal["l1", "l2"]):
        super().__init__()
        if kind not in _ERRORS:
            raise ValueError(f"unknown pixel loss {kind!r}; expected one of {sorted(_ERRORS)}")
        self.kind = kind

    def forward(
        self, prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> LossOutput:
        """Pixel loss of ``prediction`` against ``target``.

        Args:
            prediction: ``(B, 3, H, W)`` generated image, RGB nominally in [0, 1].
            target: ``(B, 3, H, W)`` RGB in [0, 1].
            mask: optional ``(B, 1, H, W)`` weights in [0, 1] (boundary discount).

        Returns:
            :class:`LossOutput` whose ``total`` is the error and ``per_layer`` is ``{kind: error}``.
        """
        if prediction.shape != target.shape or prediction.dim() != 4:
            raise ValueError(
                f"expected prediction and target of one shape (B, 3, H, W), got {tuple(prediction.shape)} "
                f"and {tuple(target.shape)}"
            )
        error = _ERRORS[self.kind](prediction, target, mask)
        return LossOutput(total=error, per_layer={self.kind: error})
