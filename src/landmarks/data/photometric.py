"""Photometric augmentation of training pairs: colour, contrast, grey, blur and noise changes.

NOTE(paper): the paper and the released code use none ("no flips, no colour jitter"). Its successors
on images that keep their background and identity (Lorenz et al. 2019, Thewlis et al. 2019) change
the colours of the images the detector sees, so that it cannot key on a colour that only one person,
one background or one light has; on real faces trained from one person's video, colour-keyed
landmarks do not carry over to the next person (benchmarks/results/realdev-cpu.md).

Both images of a pair receive the *same* change: the generator still takes the target's appearance
from the source, and the pair stays a pair of one object under one light. What varies is the data
the whole model sees, from batch to batch.

Randomness is drawn first (:func:`sample_photometric_params`, from an explicit generator), then
applied (:func:`apply_photometric`), so a change can be replayed on another image of the pair.
The operations are kornia's; only the sampling is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import kornia
import torch

BLUR_KERNEL = 5  # pixels; with sigma <= 1.2 px the kernel's tails hold < 2% of the weight


@dataclass(frozen=True)
class PhotometricParams:
    """One random change per image of a batch; every field ``(B,)``.

    brightness: added to every channel, in ``[-1, 1]`` units of the ``[0, 1]`` range.
    contrast: factor around each image's mean grey (1 = unchanged).
    saturation: factor of the colour's distance from grey (0 = grey, 1 = unchanged).
    hue: rotation of the hue, in radians.
    grey: 1.0 where the image becomes grey (after the other changes), else 0.0.
    blur_sigma: Gaussian blur in pixels (0 = none).
    noise_std: standard deviation of added Gaussian noise (0 = none).
    """

    brightness: torch.Tensor
    contrast: torch.Tensor
    saturation: torch.Tensor
    hue: torch.Tensor
    grey: torch.Tensor
    blur_sigma: torch.Tensor
    noise_std: torch.Tensor


def _uniform(batch: int, half_width: float, generator: torch.Generator | None, centre: float = 0.0
             ) -> torch.Tensor:
    return centre + half_width * (2 * torch.rand(batch, generator=generator) - 1)


def sample_photometric_params(
    batch: int,
    *,
    brightness: float = 0.0,
    contrast: float = 0.0,
    saturation: float = 0.0,
    hue: float = 0.0,
    grey_probability: float = 0.0,
    blur_probability: float = 0.0,
    blur_sigma: float = 1.0,
    noise_std: float = 0.0,
    generator: torch.Generator | None = None,
) -> PhotometricParams:
    """Draw ``batch`` random changes: each strength is the half-width of a uniform range around
    "unchanged" (brightness ``+-b``, contrast and saturation factors ``1 +- c``, hue ``+-h`` of a half
    turn); grey and blur happen with their probabilities, blur with sigma uniform in ``(0, blur_sigma]``,
    noise with a standard deviation uniform in ``[0, noise_std]``. All zero gives the identity.
    """
    return PhotometricParams(
        brightness=_uniform(batch, brightness, generator),
        contrast=_uniform(batch, contrast, generator, centre=1.0),
        saturation=_uniform(batch, saturation, generator, centre=1.0),
        hue=_uniform(batch, hue * torch.pi, generator),
        grey=(torch.rand(batch, generator=generator) < grey_probability).float(),
        blur_sigma=(torch.rand(batch, generator=generator) < blur_probability).float()
        * blur_sigma * (1 - torch.rand(batch, generator=generator)),
        noise_std=noise_std * torch.rand(batch, generator=generator),
    )


def apply_photometric(
    images: torch.Tensor, params: PhotometricParams, noise_generator: torch.Generator | None = None
) -> torch.Tensor:
    """Apply one change per image: ``(B, 3, H, W)`` RGB in ``[0, 1]`` -> the same shape, in ``[0, 1]``.

    Order: brightness, contrast, saturation, hue, grey, blur, noise. ``noise_generator`` draws the
    noise pixels (on the images' device); the same generator state gives the same noise.
    """
    batch = images.shape[0]
    device, dtype = images.device, images.dtype

    def per_image(values: torch.Tensor) -> torch.Tensor:
        return values.to(device=device, dtype=dtype).view(batch, 1, 1, 1)

    out = (images + per_image(params.brightness)).clamp(0, 1)
    out = kornia.enhance.adjust_contrast_with_mean_subtraction(out, params.contrast.to(device, dtype))
    out = kornia.enhance.adjust_saturation(out, params.saturation.to(device, dtype)).clamp(0, 1)
    out = kornia.enhance.adjust_hue(out, params.hue.to(device, dtype)).clamp(0, 1)
    grey = kornia.color.rgb_to_grayscale(out).expand_as(out)  # (B, 3, H, W)
    out = torch.lerp(out, grey, per_image(params.grey))
    blurred = params.blur_sigma > 0
    if blurred.any():
        rows = blurred.nonzero().squeeze(1).to(device)
        sigma = params.blur_sigma[blurred].to(device, dtype)[:, None].expand(-1, 2)  # (b, 2)
        out = out.index_copy(0, rows, kornia.filters.gaussian_blur2d(out[rows], BLUR_KERNEL, sigma))
    if (params.noise_std > 0).any():
        noise = torch.randn(out.shape, generator=noise_generator, device=device, dtype=dtype)
        out = out + per_image(params.noise_std) * noise
    return out.clamp(0, 1)
