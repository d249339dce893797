"""The adversarial term of Table 2's ablation ("adv. + l1", "adv. + l2"): a PatchGAN discriminator on
the reconstruction, added to a reconstruction loss.

The paper pairs its pixel losses "optionally with an adversarial term [13] ... as in [18]" and gives
no architecture, weight or schedule. Ours: the 70 x 70 PatchGAN of Isola et al. (pix2pix: 4x4 convs,
widths 64-128-256-512, LeakyReLU 0.2, batch norm but on the first), unconditional, judging the
reconstruction against the target with the non-saturating GAN loss; a constant weight
(``loss.adversarial_weight``) from the first step, no warm-up.

Both players update in the one optimiser step of the landmark model (one backward pass): the
discriminator's loss uses the reconstruction detached, and the generator's term runs the discriminator
with detached parameters (:func:`torch.func.functional_call`), so each loss moves only its own player.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from landmarks.losses.output import LossOutput

PATCHGAN_WIDTHS = (64, 128, 256, 512)  # pix2pix's 70 x 70 PatchGAN
LEAKY_SLOPE = 0.2  # pix2pix


class PatchDiscriminator(nn.Module):
    """``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 1, h, w)`` logits, one per overlapping patch (real: high)."""

    def __init__(self, widths: tuple[int, ...] = PATCHGAN_WIDTHS):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for index, width in enumerate(widths):
            stride = 1 if index == len(widths) - 1 else 2
            layers.append(nn.Conv2d(channels, width, 4, stride=stride, padding=1, bias=index == 0))
            if index > 0:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.LeakyReLU(LEAKY_SLOPE))
            channels = width
        layers.append(nn.Conv2d(channels, 1, 4, stride=1, padding=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images * 2 - 1)  # [-1, 1], as pix2pix's


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy: real patches towards 1, fake towards 0 (a scalar)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: fake patches towards 1 (a scalar)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class WithAdversary(nn.Module):
    """``reconstruction`` loss plus ``weight`` times the adversarial terms of both players.

    ``forward(prediction, target, mask=None)`` returns the reconstruction loss's :class:`LossOutput`
    with ``total`` raised by ``weight * (generator term + discriminator term)`` and the two terms added
    to ``per_layer`` as ``adv_generator`` and ``adv_discriminator``; ``reference_error`` (what the
    plateau schedule watches) stays the reconstruction's. The discriminator's parameters train: the
    landmark learner optimises them with the networks (:meth:`trainable_parameters`).
    """

    def __init__(self, reconstruction: nn.Module, *, weight: float,
                 discriminator: nn.Module | None = None):
        super().__init__()
        if weight <= 0:
            raise ValueError(f"the adversarial weight must be positive, got {weight}")
        self.reconstruction = reconstruction
        self.discriminator = discriminator if discriminator is not None else PatchDiscriminator()
        self.weight = weight

    def trainable_parameters(self) -> list[nn.Parameter]:
        return list(self.discriminator.parameters())

    def forward(self, prediction: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor | None = None) -> LossOutput:
        base = self.reconstruction(prediction, target, mask)
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        buffers = dict(self.discriminator.named_buffers())
        # The generator's term: gradients reach the prediction only (the discriminator's parameters
        # are detached copies here). In training its batch norm updates its running statistics on
        # each of the three passes; they are used only outside training.
        g_term = generator_loss(functional_call(self.discriminator, (frozen, buffers), (prediction,)))
        d_term = discriminator_loss(self.discriminator(target), self.discriminator(prediction.detach()))
        per_layer = {**base.per_layer, "adv_generator": g_term.detach(), "adv_discriminator": d_term.detach()}
        return LossOutput(total=base.total + self.weight * (g_term + d_term), per_layer=per_layer,
                          reference_error=base.reference_error)
