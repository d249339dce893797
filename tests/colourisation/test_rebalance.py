"""Class rebalancing (Zhang et al. 2016, eq. 3-4): bin counts, smoothed prior, weights, weighted loss."""

from __future__ import annotations

import math

import pytest
import torch

from landmarks.colourisation.colour import ab_bin_centres
from landmarks.colourisation.config import load_lossnet_config
from landmarks.colourisation.loss import soft_cross_entropy
from landmarks.colourisation.rebalance import nearest_bin_counts, rebalancing_weights, smoothed_prior
from landmarks.synthetic.faces import SyntheticFaces
from landmarks.training.lossnet_module import ColourisationLearner

CENTRES = torch.tensor([[0.0, 0.0], [10.0, 0.0], [50.0, 50.0]])


def test_counts_and_smoothed_prior():
    ab = torch.tensor([[1.0, 1.0], [2.0, -1.0], [9.0, 0.0], [49.0, 52.0]]).T.reshape(1, 2, 2, 2)
    counts = nearest_bin_counts(ab, CENTRES)
    assert counts.tolist() == [2, 1, 1]
    torch.testing.assert_close(smoothed_prior(counts, CENTRES, sigma=0), torch.tensor([0.5, 0.25, 0.25]))
    smooth = smoothed_prior(counts, CENTRES, sigma=5.0)  # bins 10 apart share exp(-2) of each other's
    e = math.exp(-2.0)
    expected = torch.tensor([2 + e, 1 + 2 * e, 1.0])
    torch.testing.assert_close(smooth, expected / expected.sum(), atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match="no pixels"):
        smoothed_prior(torch.zeros(3), CENTRES)


def test_weights_favour_rare_bins():
    prior = torch.tensor([0.7, 0.2, 0.1])
    weights = rebalancing_weights(prior, mix=0.5)
    raw = 1 / (0.5 * prior + 0.5 / 3)
    torch.testing.assert_close(weights, raw / (prior * raw).sum())
    assert (prior * weights).sum().item() == pytest.approx(1.0)
    assert weights[2] > weights[1] > weights[0]
    torch.testing.assert_close(rebalancing_weights(prior, mix=1.0), torch.ones(3))
    with pytest.raises(ValueError, match="mix"):
        rebalancing_weights(prior, mix=0.0)


def test_weighted_loss_uses_each_pixels_most_likely_bin():
    logits = torch.randn(1, 3, 1, 2)
    targets = torch.tensor([[0.8, 0.1], [0.2, 0.0], [0.0, 0.9]]).view(1, 3, 1, 2)  # bins 0 and 2
    per_pixel = -(targets * logits.log_softmax(1)).sum(1).flatten()  # (2,)
    weights = torch.tensor([1.0, 5.0, 3.0])
    expected = (per_pixel * torch.tensor([1.0, 3.0])).mean()
    torch.testing.assert_close(soft_cross_entropy(logits, targets, weights), expected)
    torch.testing.assert_close(soft_cross_entropy(logits, targets, torch.ones(3)), per_pixel.mean())


def test_learner_estimates_weights_from_the_training_images():
    config = load_lossnet_config("lossnet-cpu", ["model.image_size=32", "target.rebalance=0.5",
                                                 "target.prior_images=20"])  # fmt: skip
    learner = ColourisationLearner.from_config(config)
    weights = learner.estimate_bin_weights(SyntheticFaces(40, 32, seed=0))
    assert weights.shape == (len(ab_bin_centres()),) and torch.isfinite(weights).all()
    gray = torch.isclose(learner.bin_centres, torch.zeros(2)).all(dim=1)  # the (0, 0) bin
    assert weights[gray].item() < weights.median().item()  # gray is common: weighed down
    assert "bin_weights" in learner.state_dict()  # saved with checkpoints
