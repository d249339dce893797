"""Pixel (l1 / l2) reconstruction losses."""

from __future__ import annotations

import pytest
import torch

from landmarks.losses import LossOutput, PixelLoss


def test_hand_values():
    prediction = torch.zeros(1, 3, 2, 2)
    target = torch.full((1, 3, 2, 2), 0.5)
    target[..., 0, 0] = -1.0
    l1, l2 = PixelLoss("l1")(prediction, target), PixelLoss("l2")(prediction, target)
    assert isinstance(l1, LossOutput)
    assert l1.total.item() == pytest.approx((1.0 + 3 * 0.5) / 4)  # images compared in [0, 1] units
    assert l2.total.item() == pytest.approx((1.0 + 3 * 0.25) / 4)
    assert set(l1.per_layer) == {"l1"} and set(l2.per_layer) == {"l2"}


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_masks(kind):
    prediction, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    loss = PixelLoss(kind)
    assert loss(prediction, target, torch.zeros(2, 1, 8, 8)).total.item() == 0.0
    torch.testing.assert_close(
        loss(prediction, target, torch.ones(2, 1, 8, 8)).total, loss(prediction, target).total
    )
    top = torch.zeros(2, 1, 8, 8)
    top[..., :4, :] = 1.0
    difference = (prediction - target)[..., :4, :]
    per_element = difference.abs() if kind == "l1" else difference.square()
    torch.testing.assert_close(loss(prediction, target, top).total, per_element.sum() / prediction.numel())


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_gradient_reaches_prediction(kind):
    prediction = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    target = torch.rand(1, 3, 4, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda p: PixelLoss(kind)(p, target).total, (prediction,))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown pixel loss"):
        PixelLoss("l3")
    with pytest.raises(ValueError, match="one shape"):
        PixelLoss("l1")(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 2, 2))
