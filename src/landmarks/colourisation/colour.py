"""Colour maths of the colourisation pretext task: grayscale input, Lab, quantised ab bins.

Pure tensor functions, no parameters. The task (Zhang et al. 2016, "Colorful Image Colorization"):
from the lightness of an image predict, per pixel, a distribution over quantised ``ab`` colours of
CIE Lab.

Convention:
    images are ``(B, 3, H, W)`` sRGB in ``[0, 1]`` (what the data sources give); Lab is CIE L*a*b*
    under D65 with ``L`` in ``[0, 100]`` and ``a``, ``b`` roughly in ``[-110, 110]`` for sRGB colours
    (kornia's :func:`kornia.color.rgb_to_lab`, which linearises sRGB first). ``ab`` tensors are
    ``(B, 2, H, W)`` with channel 0 = a, 1 = b; bin centres are ``(Q, 2)`` (a, b) rows.

The network's input is a *linear* grayscale, BT.601 luma, standardised (:func:`grayscale_input`),
not Lab's ``L``: a linear input lets the first conv absorb the RGB -> gray step exactly when the
trained network is saved as an ordinary 3-channel VGG (:mod:`landmarks.colourisation.export`).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from kornia.color import lab_to_rgb as _kornia_lab_to_rgb
from kornia.color import rgb_to_lab as _kornia_rgb_to_lab

from landmarks.models.loss_networks import IMAGENET_MEAN, IMAGENET_STD

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma, as PIL's convert("L")
# The gray input is standardised with the ImageNet statistics pushed through the same weights. The
# mean must be exactly GRAY_WEIGHTS . IMAGENET_MEAN: then an ImageNet-normalised RGB of zeros (the
# saved VGG's zero padding) is a standardised gray of zero (this network's zero padding), and the
# folded 3-channel conv1_1 equals the trained 1-channel one at the image border too.
GRAY_MEAN = sum(w * m for w, m in zip(GRAY_WEIGHTS, IMAGENET_MEAN, strict=True))
GRAY_STD = sum(w * s for w, s in zip(GRAY_WEIGHTS, IMAGENET_STD, strict=True))  # any scale would do

AB_GRID = 10.0  # Zhang et al. 2016: ab quantised on a grid of step 10
SOFT_NEIGHBOURS = 5  # Zhang et al. 2016: a target spreads over the 5 nearest bins ...
SOFT_SIGMA = 5.0  # ... with Gaussian weights of this width (ab units)
ANNEALED_TEMPERATURE = 0.38  # Zhang et al. 2016: the "annealed mean" used to display predictions
GAMUT_SAMPLES = 64  # RGB levels per channel sampled to find the ab bins sRGB colours reach


def _check_rgb(images: torch.Tensor) -> None:
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"expected RGB images of shape (B, 3, H, W), got {tuple(images.shape)}")


def grayscale_input(images: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` sRGB in ``[0, 1]`` -> ``(B, 1, H, W)`` standardised luma.

    ``(Y - GRAY_MEAN) / GRAY_STD`` with ``Y = 0.299 R + 0.587 G + 0.114 B`` on the sRGB values (in [0, 1]).
    """
    _check_rgb(images)
    weights = images.new_tensor(GRAY_WEIGHTS).view(1, 3, 1, 1)
    luma = (images * weights).sum(dim=1, keepdim=True)  # (B, 1, H, W)
    return (luma - GRAY_MEAN) / GRAY_STD


def rgb_to_lab(images: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` sRGB in ``[0, 1]`` -> ``(B, 3, H, W)`` Lab (L in [0, 100]); kornia's conversion."""
    _check_rgb(images)
    return _kornia_rgb_to_lab(images.float())


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` Lab -> sRGB clamped to ``[0, 1]`` (out-of-gamut colours are clipped)."""
    return _kornia_lab_to_rgb(lab.float(), clip=True)


@functools.lru_cache(maxsize=4)
def _in_gamut_centres(grid: float, samples: int) -> torch.Tensor:
    levels = torch.linspace(0.0, 1.0, samples)
    cube = torch.stack(torch.meshgrid(levels, levels, levels, indexing="ij"))  # (3, n, n, n)
    ab = rgb_to_lab(cube.reshape(1, 3, -1, 1))[0, 1:, :, 0]  # (2, n^3)
    cells = torch.unique(torch.round(ab / grid).T, dim=0)  # (Q, 2), sorted by a then b
    return cells * grid


def ab_bin_centres(grid: float = AB_GRID, samples: int = GAMUT_SAMPLES) -> torch.Tensor:
    """The ``(Q, 2)`` centres ``(a, b)`` of the ab grid cells that some sRGB colour falls in.

    Cells are ``grid`` wide and centred on multiples of ``grid``; a colour belongs to the nearest
    centre. The cells are found by converting ``samples^3`` colours evenly spread over the RGB cube
    (for ``grid = 10``: Q = 261 with 64 samples; Zhang et al. count 313 "in-gamut" bins for their
    own gamut estimate). Sorted by ``a``, then ``b``; a new tensor on each call.
    """
    if grid <= 0:
        raise ValueError(f"the ab grid step must be positive, got {grid}")
    return _in_gamut_centres(float(grid), int(samples)).clone()


def soft_encode_ab(
    ab: torch.Tensor, centres: torch.Tensor, neighbours: int = SOFT_NEIGHBOURS, sigma: float = SOFT_SIGMA
) -> torch.Tensor:
    """Soft one-hot targets: each pixel's weight spread over its nearest bins (Zhang et al. 2016).

    Args:
        ab: ``(B, 2, H, W)`` the ``a``, ``b`` channels of Lab.
        centres: ``(Q, 2)`` bin centres (:func:`ab_bin_centres`).
        neighbours: how many nearest bins share the weight (1: hard nearest-bin targets).
        sigma: Gaussian width in ab units of the weights ``exp(-d^2 / (2 sigma^2))``.

    Returns:
        ``(B, Q, H, W)`` non-negative, summing to 1 over ``Q`` at every pixel.
    """
    if ab.dim() != 4 or ab.shape[1] != 2:
        raise ValueError(f"expected ab of shape (B, 2, H, W), got {tuple(ab.shape)}")
    if not 1 <= neighbours <= centres.shape[0]:
        raise ValueError(f"neighbours must be in [1, {centres.shape[0]}], got {neighbours}")
    batch, _, height, width = ab.shape
    points = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()  # (B*H*W, 2)
    distances = torch.cdist(points, centres.to(points))  # (B*H*W, Q)
    nearest, bins = distances.topk(neighbours, dim=1, largest=False)  # (B*H*W, n)
    # Shift by the nearest distance before exponentiating, so far-off colours never give 0 / 0.
    weights = torch.exp(-(nearest**2 - nearest[:, :1] ** 2) / (2 * sigma**2))
    weights = weights / weights.sum(dim=1, keepdim=True)
    targets = torch.zeros_like(distances).scatter_(1, bins, weights)  # (B*H*W, Q)
    return targets.reshape(batch, height, width, -1).permute(0, 3, 1, 2)  # (B, Q, H, W)


def annealed_mean_ab(
    logits: torch.Tensor, centres: torch.Tensor, temperature: float = ANNEALED_TEMPERATURE
) -> torch.Tensor:
    """A predicted colour per pixel: the mean of the distribution sharpened by ``temperature``.

    ``(B, Q, H, W)`` logits -> ``(B, 2, H, W)`` ab. ``temperature = 1`` is the plain mean (desaturated),
    towards 0 the mode (Zhang et al. 2016, sec. 2.2).
    """
    probabilities = torch.softmax(logits.float() / temperature, dim=1)  # (B, Q, H, W)
    return torch.einsum("bqhw,qc->bchw", probabilities, centres.to(probabilities))


def downsample_ab(ab: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, 2, H, W)`` -> ``(B, 2, size, size)`` by area averaging (``H``, ``W`` multiples of ``size``)."""
    return F.adaptive_avg_pool2d(ab, size)


def colourise(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Join ``(B, 1, H, W)`` Lab lightness with ``(B, 2, h, w)`` ab (resized bilinearly to ``H x W``).

    Returns ``(B, 3, H, W)`` sRGB in ``[0, 1]``; ``ab`` of zeros gives the gray image.
    """
    ab = F.interpolate(ab.float(), size=lightness.shape[-2:], mode="bilinear", align_corners=False)
    return lab_to_rgb(torch.cat([lightness.float(), ab], dim=1))
