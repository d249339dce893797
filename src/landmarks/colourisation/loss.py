"""The colourisation loss: cross-entropy between soft ab-bin targets and predicted distributions."""

from __future__ import annotations

import torch


def soft_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, bin_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean over pixels of ``-v sum_q targets_q log softmax(logits)_q`` (Zhang et al. 2016, eq. 2).

    Args:
        logits: ``(B, Q, H, W)`` unnormalised scores.
        targets: ``(B, Q, H, W)`` distributions (non-negative, summing to 1 over ``Q``).
        bin_weights: optional ``(Q,)`` class-rebalancing weights; a pixel's weight ``v`` is that of
            its most likely target bin (:mod:`~landmarks.colourisation.rebalance`). None: ``v = 1``.

    Returns:
        A scalar in nats; without weights, ``log Q`` for uniform logits whatever the targets.
    """
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} differ in shape")
    log_probabilities = torch.log_softmax(logits.float(), dim=1)  # (B, Q, H, W)
    per_pixel = -(targets * log_probabilities).sum(dim=1)  # (B, H, W)
    if bin_weights is not None:
        per_pixel = per_pixel * bin_weights[targets.argmax(dim=1)]  # (B, H, W)
    return per_pixel.mean()
