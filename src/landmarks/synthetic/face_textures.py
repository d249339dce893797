"""Backgrounds and skin textures of the synthetic faces: ``(N, N)`` float fields and RGB layers.

Convention:
    Fields are computed on the square drawing canvas of side ``N`` with coordinates in ``[-1, 1]``
    (x right, y down); colours are RGB in ``[0, 255]``; random patterns come from the ``rng`` given.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from landmarks.synthetic.face_params import Appearance

BLOTCH_GRID = 5  # cells per side of the coarse random field behind "blotches"
FACE_NOISE_CELL = 6  # canvas pixels per cell of the fine random field behind the "noise" texture
GRADIENT_REACH = 1.2  # |projection| at which a gradient reaches its end colour


@lru_cache(maxsize=8)
def _axes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(1, N)`` x and ``(N, 1)`` y coordinates of the pixel centres, in ``[-1, 1]``."""
    axis = np.linspace(-1.0, 1.0, n, dtype=np.float32)
    return axis[None, :], axis[:, None]


def _projection(n: int, angle: float) -> np.ndarray:
    """``(N, N)`` signed distance along the direction ``angle`` (radians), about ``[-1.4, 1.4]``."""
    xs, ys = _axes(n)
    return np.float32(np.cos(angle)) * xs + np.float32(np.sin(angle)) * ys


def _random_field(rng: np.random.Generator, cells: int, n: int) -> np.ndarray:
    """``(N, N)`` smooth random field in about ``[-1, 1]``: a ``cells x cells`` grid, bicubic upsampled."""
    coarse = rng.uniform(-1.0, 1.0, size=(cells, cells)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse, mode="F").resize((n, n), Image.BICUBIC))


def _mix(colour_a, colour_b, weight: np.ndarray) -> np.ndarray:
    """``(N, N, 3)`` uint8 blend: ``weight`` 0 gives ``colour_a``, 1 gives ``colour_b``."""
    a = np.asarray(colour_a, dtype=np.float32)
    b = np.asarray(colour_b, dtype=np.float32)
    weight = np.clip(weight, 0.0, 1.0)[..., None]
    return (a + (b - a) * weight).astype(np.uint8)


def background(appearance: Appearance, n: int, rng: np.random.Generator) -> Image.Image:
    """An ``N x N`` RGB canvas filled with the appearance's background pattern."""
    colour_a, colour_b = appearance.background_colours
    kind = appearance.background
    if kind == "flat":
        return Image.new("RGB", (n, n), tuple(int(c) for c in colour_a))
    if kind == "gradient":
        weight = 0.5 + 0.5 * _projection(n, appearance.background_angle) / GRADIENT_REACH
    elif kind == "stripes":
        phase = np.pi * appearance.background_frequency * _projection(n, appearance.background_angle)
        weight = 0.5 + 0.5 * np.sin(phase)
    elif kind == "radial":
        xs, ys = _axes(n)
        weight = np.sqrt(xs * xs + ys * ys) / GRADIENT_REACH
    elif kind == "blotches":
        weight = 0.5 + 0.6 * _random_field(rng, BLOTCH_GRID, n)
    else:
        raise ValueError(f"unknown background {kind!r}")
    return Image.fromarray(_mix(colour_a, colour_b, weight))


def skin_layer(appearance: Appearance, n: int, rng: np.random.Generator) -> Image.Image:
    """An ``N x N`` RGB layer of shaded, textured skin, to be pasted through the head's mask."""
    shade = 1.0 + appearance.light_strength * _projection(n, appearance.light_angle)  # (N, N)
    strength = appearance.texture_strength
    kind = appearance.face_texture
    if kind == "noise":
        shade = shade + 0.6 * strength * _random_field(rng, max(2, n // FACE_NOISE_CELL), n)
    elif kind == "stripes":
        phase = 2 * np.pi * appearance.background_frequency * _projection(n, appearance.background_angle + 1)
        shade = shade + strength * np.sin(phase)
    elif kind == "blotches":
        shade = shade + 1.5 * strength * _random_field(rng, BLOTCH_GRID + 2, n)
    elif kind != "plain":
        raise ValueError(f"unknown face texture {kind!r}")
    skin = np.asarray(appearance.skin, dtype=np.float32)
    return Image.fromarray(np.clip(shade[..., None] * skin, 0, 255).astype(np.uint8))


def add_pixel_noise(image: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """``(H, W, 3)`` uint8 image plus Gaussian noise of ``std`` grey levels, clipped to ``[0, 255]``."""
    if std <= 0:
        return image
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(std)
    return np.clip(image + noise, 0, 255).astype(np.uint8)
