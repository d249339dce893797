"""Pixel (l1 / l2) reconstruction losses: the normalised loss on the image alone."""

from __future__ import annotations

import pytest
import torch

from landmarks.losses import LossOutput, PixelLoss
from landmarks.losses.masked import masked_mean_absolute_error, masked_mean_squared_error
from landmarks.losses.pixel import PIXEL_INITIAL_MEANS


def test_hand_values():
    prediction = torch.zeros(1, 3, 2, 2)
    target = torch.full((1, 3, 2, 2), 0.5)
    target[..., 0, 0] = -1.0
    l1, l2 = PixelLoss("l1").eval(), PixelLoss("l2").eval()  # eval: the running means stay put
    out1, out2 = l1(prediction, target), l2(prediction, target)
    assert isinstance(out1, LossOutput)
    # Errors on the 0-255 scale (the released "input" layer), then 1000 * e / m.
    e1, e2 = 255 * (1.0 + 3 * 0.5) / 4, 255**2 * (1.0 + 3 * 0.25) / 4
    assert out1.per_layer["input"].item() == pytest.approx(e1)
    assert out2.per_layer["input"].item() == pytest.approx(e2)
    assert out1.total.item() == pytest.approx(1000 * e1 / PIXEL_INITIAL_MEANS["l1"])
    assert out2.total.item() == pytest.approx(1000 * e2 / PIXEL_INITIAL_MEANS["l2"])
    assert set(out1.per_layer) == {"input"} and set(out2.per_layer) == {"input"}


def test_running_mean_follows_the_error_in_training():
    loss = PixelLoss("l2", initial_mean=100.0, momentum=0.5)
    prediction, target = torch.zeros(1, 3, 2, 2), torch.full((1, 3, 2, 2), 0.1)
    error = (25.5**2)  # every pixel off by 0.1 -> 25.5 on the 0-255 scale
    out = loss(prediction, target)
    updated = 100.0 + 0.5 * (error - 100.0)
    assert loss.running_means.item() == pytest.approx(updated)
    assert out.total.item() == pytest.approx(1000 * error / updated)  # the updated mean, used at once


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_masks(kind):
    prediction, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    loss = PixelLoss(kind).eval()
    assert loss(prediction, target, torch.zeros(2, 1, 8, 8)).total.item() == 0.0
    torch.testing.assert_close(
        loss(prediction, target, torch.ones(2, 1, 8, 8)).total, loss(prediction, target).total
    )
    top = torch.zeros(2, 1, 8, 8)
    top[..., :4, :] = 1.0
    difference = 255 * (prediction - target)[..., :4, :]
    per_element = difference.abs() if kind == "l1" else difference.square()
    torch.testing.assert_close(loss(prediction, target, top).per_layer["input"],
                               per_element.sum() / prediction.numel())
    raw = {"l1": masked_mean_absolute_error, "l2": masked_mean_squared_error}[kind]
    torch.testing.assert_close(loss(prediction, target, top).per_layer["input"],
                               raw(255 * prediction, 255 * target, top))


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_gradient_reaches_prediction(kind):
    prediction = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    target = torch.rand(1, 3, 4, 4, dtype=torch.float64)
    loss = PixelLoss(kind).eval().double()
    assert torch.autograd.gradcheck(lambda p: loss(p, target).total, (prediction,))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown pixel loss"):
        PixelLoss("l3")
    with pytest.raises(ValueError, match="one shape"):
        PixelLoss("l1")(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 2, 2))


def test_released_scaling_is_the_raw_error_over_255_whatever_the_running_mean():
    prediction, target = torch.zeros(1, 3, 2, 2), torch.full((1, 3, 2, 2), 0.5)
    loss = PixelLoss("l2", scaling="released", initial_mean=7.0).train()
    for _ in range(3):  # the running mean moves; the released loss does not depend on it
        out = loss(prediction, target)
        error = 255**2 * 0.25
        assert out.per_layer["input"].item() == pytest.approx(error)
        assert out.total.item() == pytest.approx(1000 * error / 255)
    with pytest.raises(ValueError, match="scaling"):
        PixelLoss("l1", scaling="raw")


def test_loss_pixel_scaling_reaches_the_loss():
    from landmarks.config import LossConfig
    from landmarks.losses import build_loss

    assert build_loss(LossConfig(kind="l1", pixel_scaling="released")).scaling == "released"
    assert build_loss(LossConfig(kind="l1")).scaling == "running-mean"
