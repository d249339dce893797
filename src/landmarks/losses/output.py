"""The named output every reconstruction loss returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class LossOutput:
    """A reconstruction loss and its parts.

    Attributes:
        total: scalar tensor to minimise (carries gradients to the prediction).
        per_layer: raw, unweighted error ``e_l`` of each compared layer (scalars, not detached),
            e.g. ``{"input": ..., "conv1_2": ...}`` for the perceptual loss, ``{"l1": ...}`` for a pixel
            loss; for logging.
        reference_error: detached scalar ``sum_l e_l / m0_l``, the raw errors over the fixed initial
            means (:func:`~landmarks.losses.perceptual.reference_weighted_error`); comparable from step to
            step, unlike ``total``. None for a loss without one.
    """

    total: torch.Tensor
    per_layer: dict[str, torch.Tensor]
    reference_error: torch.Tensor | None = None
