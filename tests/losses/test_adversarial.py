"""The adversarial term of Table 2's ablation: each player's loss moves only its own parameters."""

from __future__ import annotations

import pytest
import torch

from landmarks.config import LossConfig
from landmarks.config_loading import load_config
from landmarks.losses import PixelLoss, build_loss
from landmarks.losses.adversarial import (
    PatchDiscriminator,
    WithAdversary,
    discriminator_loss,
    generator_loss,
)


def test_patch_logits_shape():
    assert PatchDiscriminator()(torch.rand(2, 3, 64, 64)).shape == (2, 1, 6, 6)


def test_hand_values_of_the_two_gan_losses():
    zero = torch.zeros(1, 1, 2, 2)
    assert discriminator_loss(zero, zero).item() == pytest.approx(2 * 0.6931, abs=1e-4)
    assert generator_loss(torch.full((1, 1, 2, 2), 50.0)).item() == pytest.approx(0.0, abs=1e-6)


def test_generator_term_moves_only_the_prediction_and_discriminator_term_only_the_discriminator():
    torch.manual_seed(0)
    loss = WithAdversary(PixelLoss("l2"), weight=1.0, discriminator=PatchDiscriminator((4, 8)))
    prediction = torch.rand(2, 3, 32, 32, requires_grad=True)
    target = torch.rand(2, 3, 32, 32)
    out = loss(prediction, target)
    assert {"input", "adv_generator", "adv_discriminator"} <= set(out.per_layer)
    # Only the adversarial part: the total minus the reconstruction loss.
    adversarial = out.total - PixelLoss("l2")(prediction, target).total
    adversarial.backward()
    # The prediction's gradient is the generator term's alone (the discriminator's pass used a detached copy).
    generator_term = generator_loss(_frozen_call(loss.discriminator, prediction))
    expected = torch.autograd.grad(generator_term, prediction)[0]
    torch.testing.assert_close(prediction.grad, expected)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in loss.discriminator.parameters())


def _frozen_call(discriminator, images):
    from torch.func import functional_call

    params = {n: p.detach() for n, p in discriminator.named_parameters()}
    return functional_call(discriminator, (params, dict(discriminator.named_buffers())), (images,))


def test_config_builds_it_and_the_learner_optimises_the_discriminator():
    from landmarks.training.module import LandmarkLearner

    tiny = ["model.image_size=32", "model.base_width=4", "model.generator_width=8",
            "model.generator_min_width=4",
            "data.source=synthetic-faces", "data.root=null", "data.resize=stretch", "data.resize_to=null"]
    assert not isinstance(build_loss(LossConfig(kind="l2")), WithAdversary)
    config = load_config("ablation-l2-adv", tiny)
    learner = LandmarkLearner.from_config(config)
    assert isinstance(learner.loss, WithAdversary) and learner.loss.weight == 10.0
    optimised = {id(p) for g in learner.configure_optimizers()["optimizer"].param_groups for p in g["params"]}
    assert {id(p) for p in learner.loss.discriminator.parameters()} <= optimised
