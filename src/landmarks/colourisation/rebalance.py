"""Class rebalancing of the colourisation loss (Zhang et al. 2016, sec. 2.2, eq. 3-4).

Natural images are mostly desaturated, so an unweighted loss rewards predicting gray-ish colours.
Zhang et al. weigh each pixel by how rare its colour is: from the empirical distribution ``p`` of the
ab bins (smoothed by a Gaussian in ab), ``w ∝ ((1 - lambda) p + lambda / Q)^-1`` with
``sum_q p_q w_q = 1``, the pixel weight being ``w`` of its most likely target bin.

NOTE(paper): Larsson et al. 2017, whose network the released code uses, do not rebalance; it is
off unless ``target.rebalance`` is set (Zhang's value: 0.5).
"""

from __future__ import annotations

import torch

PRIOR_SIGMA = 5.0  # Zhang et al. 2016: Gaussian smoothing of the empirical distribution, ab units


def nearest_bin_counts(ab: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """``(N, 2, H, W)`` ab and ``(Q, 2)`` centres -> ``(Q,)`` how many pixels have each bin nearest."""
    points = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()  # (N*H*W, 2)
    nearest = torch.cdist(points, centres.to(points)).argmin(dim=1)  # (N*H*W,)
    return torch.bincount(nearest, minlength=centres.shape[0]).float()  # (Q,)


def smoothed_prior(counts: torch.Tensor, centres: torch.Tensor, sigma: float = PRIOR_SIGMA) -> torch.Tensor:
    """``(Q,)`` pixel counts -> ``(Q,)`` distribution, smoothed by a Gaussian of width ``sigma`` in ab
    (0: none), summing to 1."""
    if counts.sum() <= 0:
        raise ValueError("no pixels counted: cannot estimate the colour distribution")
    if sigma > 0:
        kernel = torch.exp(-torch.cdist(centres, centres).square() / (2 * sigma**2))  # (Q, Q)
        counts = kernel @ counts.to(kernel)
    return counts / counts.sum()


def rebalancing_weights(prior: torch.Tensor, mix: float) -> torch.Tensor:
    """``(Q,)`` bin weights ``1 / ((1 - mix) p + mix / Q)``, scaled so that ``sum_q p_q w_q = 1``.

    ``mix = 1`` gives all ones (no rebalancing); towards 0, weights approach ``1 / p``.
    """
    if not 0.0 < mix <= 1.0:
        raise ValueError(f"the rebalancing mix (lambda) must be in (0, 1], got {mix}")
    weights = 1.0 / ((1.0 - mix) * prior + mix / prior.shape[0])
    return weights / (prior * weights).sum()
