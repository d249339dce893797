"""Pixel reconstruction losses, the l1 / l2 ablation of the paper (Table 2)."""

from __future__ import annotations

from typing import Literal

import torch

from landmarks.losses.output import LossOutput
from landmarks.losses.perceptual import (
    INITIAL_LAYER_MEANS,
    INPUT_LAYER,
    LOSS_SCALE,
    MEAN_MOMENTUM,
    PerceptualLoss,
)

# Starting running mean of the pixel error on the 0-255 scale: the released "input" layer's for l2; for
# l1 about its square root (no released value; the running mean adapts within a few hundred steps).
PIXEL_INITIAL_MEANS = {"l2": INITIAL_LAYER_MEANS[0], "l1": 10.0}
# NOTE(released): the released code's pixel losses are raw, scale * e / 255 with e on the 0-255 scale
# (its "1000 * mse / 255"); no running mean.
RELEASED_PIXEL_DIVISOR = 255.0


def released_pixel_loss(error: torch.Tensor, scale: float) -> torch.Tensor:
    """``scale * error / 255``: the released code's raw pixel loss of a 0-255-scale error (a scalar)."""
    return scale * error / RELEASED_PIXEL_DIVISOR


class PixelLoss(PerceptualLoss):
    """The normalised reconstruction loss on the image alone: ``scale * e / m`` with ``e`` the masked mean
    of ``|prediction - target|`` (l1) or ``(prediction - target)^2`` (l2) on the 0-255 scale and ``m``
    its running mean (the perceptual loss restricted to its ``"input"`` layer).

    Why normalised, not the raw error: Adam ignores a constant factor in the loss but weight decay and
    the per-tensor gradient clipping at 1.0 do not. The released recipe (weight decay 1e-5, clip 1.0) is
    tuned for a loss of about ``1000 * L``; a raw pixel error of about 0.01 on [0, 1] images makes its
    gradients 1e5 times smaller, weight decay then dominates the weak gradients reaching the detector,
    and the landmarks collapse onto one point (measured on the synthetic faces; see docs/method.md).
    NOTE(paper): Table 2 does not state how its pixel losses were scaled.

    With ``scaling="released"`` the loss is instead the released code's raw ``scale * e / 255``
    (:func:`released_pixel_loss`; the running mean is still kept, for ``val/error``): Table 2's pixel rows
    like-for-like with the released code, at the risk described above.

    Args:
        kind: ``"l1"`` or ``"l2"``.
        initial_mean, momentum, scale: of the running mean and the overall factor, as for
            :class:`PerceptualLoss`.
        scaling: ``"running-mean"`` (``scale * e / m``) or ``"released"`` (``scale * e / 255``).

    ``forward(prediction, target, mask=None)`` returns a :class:`LossOutput` whose ``per_layer`` is
    ``{"input": e}``.
    """

    def __init__(self, kind: Literal["l1", "l2"], *, initial_mean: float | None = None,
                 momentum: float = MEAN_MOMENTUM, scale: float = LOSS_SCALE,
                 scaling: Literal["running-mean", "released"] = "running-mean"):
        if kind not in PIXEL_INITIAL_MEANS:
            raise ValueError(f"unknown pixel loss {kind!r}; expected one of {sorted(PIXEL_INITIAL_MEANS)}")
        if scaling not in ("running-mean", "released"):
            raise ValueError(f"unknown pixel scaling {scaling!r}; expected running-mean or released")
        initial = PIXEL_INITIAL_MEANS[kind] if initial_mean is None else initial_mean
        super().__init__(None, layers=(INPUT_LAYER,), initial_means=(initial,), momentum=momentum,
                         scale=scale, distance=kind)
        self.kind = kind
        self.scaling = scaling

    def forward(self, prediction: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor | None = None) -> LossOutput:
        output = super().forward(prediction, target, mask)
        if self.scaling == "running-mean":
            return output
        total = released_pixel_loss(output.per_layer[INPUT_LAYER], self.scale)
        return LossOutput(total=total, per_layer=output.per_layer, reference_error=output.reference_error)
