"""The colourisation loss: cross-entropy between soft ab-bin targets and predicted distributions."""

from __future__ import annotations

import torch


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over pixels of ``-sum_q targets_q log softmax(logits)_q`` (Zhang et al. 2016, eq. 2, unweighted).

    Args:
        logits: ``(B, Q, H, W)`` unnormalised scores.
        targets: ``(B, Q, H, W)`` distributions (non-negative, summing to 1 over ``Q``).

    Returns:
        A scalar in nats; ``log Q`` for uniform logits whatever the targets.
    """
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} differ in shape")
    log_probabilities = torch.log_softmax(logits.float(), dim=1)  # (B, Q, H, W)
    return -(targets * log_probabilities).sum(dim=1).mean()
