"""Bringing an image to the model's input size, and mapping model pixels back to the image.

Training, evaluation and detection all go through :func:`fit_to_model`, so that landmarks found on
the model's input map back to each original image's own pixels exactly (see
:mod:`landmarks.geometry.coordinates` for the pixel convention).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ResizeSpec:
    """How an image becomes a ``size x size`` network input.

    ``"stretch"`` resizes to ``size`` ignoring aspect (AFLW). ``"center-crop"`` resizes so the shorter
    side is ``resize_to`` (default ``size``), keeping aspect, then takes the central ``size`` square.
    ``"stretch-crop"`` resizes to ``resize_to x resize_to`` ignoring aspect, then takes the central
    ``size`` square: CelebA's protocol (178x218 aligned images to 160x160, then the central 128).
    """

    size: int
    mode: Literal["stretch", "center-crop", "stretch-crop"] = "stretch"
    resize_to: int | None = None


@dataclass(frozen=True)
class PixelTransform:
    """Affine map from model-input pixels to original-image pixels: ``x_orig = x * scale_x + offset_x``."""

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float

    def to_original(self, points: np.ndarray) -> np.ndarray:
        """``(..., 2)`` model-input pixel ``(x, y)`` to original-image pixels."""
        scale = np.array([self.scale_x, self.scale_y])
        offset = np.array([self.offset_x, self.offset_y])
        return np.asarray(points, dtype=np.float64) * scale + offset

    def to_model(self, points: np.ndarray) -> np.ndarray:
        """``(..., 2)`` original-image pixel ``(x, y)`` to model-input pixels."""
        scale = np.array([self.scale_x, self.scale_y])
        offset = np.array([self.offset_x, self.offset_y])
        return (np.asarray(points, dtype=np.float64) - offset) / scale


def _resize_transform(src: int, dst: int) -> tuple[float, float]:
    """Scale and offset with ``x_src = x_dst * scale + offset`` for a resize that maps pixel areas
    (half-pixel centres, as antialiased resizing does): ``(x_dst + 0.5) * src / dst - 0.5``."""
    scale = src / dst
    return scale, 0.5 * scale - 0.5


def fit_to_model(image: np.ndarray, spec: ResizeSpec) -> tuple[torch.Tensor, PixelTransform]:
    """Resize (and crop) one image for the network.

    Args:
        image: ``(H, W, 3)`` ``uint8`` RGB.
        spec: the target size and mode.

    Returns:
        ``(3, size, size)`` float32 RGB in ``[0, 1]``, and the transform from its pixels back to ``image``'s.
    """
    height, width = image.shape[:2]
    tensor = torch.tensor(image).permute(2, 0, 1).float() / 255.0  # (3, H, W), a copy: input may be read-only
    out_h, out_w = resized_size(height, width, spec)
    resized = F.interpolate(
        tensor[None], size=(out_h, out_w), mode="bilinear", antialias=True, align_corners=False
    )[0].clamp_(0, 1)  # (3, out_h, out_w)
    top, left = (out_h - spec.size) // 2, (out_w - spec.size) // 2
    cropped = resized[:, top : top + spec.size, left : left + spec.size].contiguous()
    return cropped, model_transform(height, width, spec)


def resized_size(height: int, width: int, spec: ResizeSpec) -> tuple[int, int]:
    """``(out_h, out_w)`` of an ``height x width`` image after the resize of ``spec``, before its crop."""
    if spec.mode == "stretch":
        return spec.size, spec.size
    if spec.mode == "stretch-crop":
        side = max(spec.size, spec.resize_to or spec.size)
        return side, side
    factor = (spec.resize_to or spec.size) / min(height, width)
    return max(spec.size, round(height * factor)), max(spec.size, round(width * factor))


def model_transform(height: int, width: int, spec: ResizeSpec) -> PixelTransform:
    """The map between an ``height x width`` image's pixels and its model input's (what
    :func:`fit_to_model` returns), computed from the sizes alone: e.g. to bring annotations into the crop."""
    out_h, out_w = resized_size(height, width, spec)
    top, left = (out_h - spec.size) // 2, (out_w - spec.size) // 2
    scale_y, offset_y = _resize_transform(height, out_h)
    scale_x, offset_x = _resize_transform(width, out_w)
    return PixelTransform(scale_x, scale_y, offset_x + left * scale_x, offset_y + top * scale_y)
