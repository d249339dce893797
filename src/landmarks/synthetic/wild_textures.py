"""Noise textures and cluttered backgrounds of the wild synthetic faces.

Solid (3-D) noise colours skin, hair and clothes where the surface is, so textures move with the head;
backgrounds are 2-D: a noise-mixed pair of colours with a gradient, and distractor shapes (blobs,
rectangles, stripe patches) in other colours, some of which the head covers. An optional foreground
object is drawn over everything, near the face's edge.

Convention:
    Canvases are ``(N, N, 3)`` float32 RGB in ``[0, 255]``; canvas coordinates ``(u, v)`` in ``[0, 1]``
    (u right, v down). Random choices come from ``np.random.default_rng(seed)`` of the seed given.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image
from scipy.ndimage import map_coordinates

LATTICE = 16  # cells per side of the periodic 3-D noise lattice
OCTAVES = (1.0, 0.5)  # relative weight of each octave; the frequency doubles from one to the next
BACKGROUND_CELLS = (3, 9)  # coarse grids of the background's two noise octaves
DISTRACTORS = (3, 8)  # at least, less than this many shapes in the background
SHAPES = ("blob", "rectangle", "stripes")
FOREGROUND_DISTANCE = (0.27, 0.4)  # from the image centre, fractions of the side: the face's edge
FOREGROUND_SIZE = (0.1, 0.2)  # radius, fractions of the side
SHAPE_REACH = 1.45  # a shape lies within this many radii of its centre (a wobbly blob, a rectangle's corner)


def noise_lattice(rng: np.random.Generator) -> np.ndarray:
    """A ``(LATTICE, LATTICE, LATTICE)`` float32 lattice of standard normal values."""
    return rng.standard_normal((LATTICE,) * 3).astype(np.float32)


def solid_noise(lattice: np.ndarray, points: np.ndarray, frequency) -> np.ndarray:
    """``(N,)`` smooth noise in about ``[-1, 1]`` at ``(N, 3)`` points; ``frequency``: cells per unit."""
    coordinates = (points * np.asarray(frequency, dtype=np.float32)).T  # (3, N)
    total = np.zeros(len(points), dtype=np.float32)
    for octave, weight in enumerate(OCTAVES):
        total += weight * map_coordinates(lattice, coordinates * 2**octave, order=1, mode="grid-wrap")
    return total / sum(OCTAVES)


@lru_cache(maxsize=4)
def canvas_axes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(1, N)`` u and ``(N, 1)`` v of the canvas pixel centres, in ``[0, 1]``."""
    axis = (np.arange(n, dtype=np.float32) + 0.5) / n
    return axis[None, :], axis[:, None]


def noise_field(rng: np.random.Generator, cells: int, n: int) -> np.ndarray:
    """``(N, N)`` smooth 2-D noise in about ``[-1, 1]``: a ``cells x cells`` grid, bicubic upsampled."""
    coarse = rng.uniform(-1.0, 1.0, size=(cells, cells)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse, mode="F").resize((n, n), Image.BICUBIC))


def background(seed: int, n: int) -> np.ndarray:
    """``(N, N, 3)`` cluttered background of ``seed``: noisy colours, a gradient, distractor shapes."""
    rng = np.random.default_rng(seed)
    colours = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    u, v = canvas_axes(n)
    angle = rng.uniform(0, 2 * np.pi)
    coarse, fine = (noise_field(rng, cells, n) for cells in BACKGROUND_CELLS)
    weight = 0.5 + 0.35 * coarse + 0.15 * fine
    weight = weight + rng.uniform(0.0, 0.5) * (np.cos(angle) * (u - 0.5) + np.sin(angle) * (v - 0.5))
    canvas = colours[0] + (colours[1] - colours[0]) * np.clip(weight, 0.0, 1.0)[..., None]  # (N, N, 3)
    for _ in range(rng.integers(*DISTRACTORS)):
        _paint_shape(canvas, rng, fine, centre=rng.uniform(0.0, 1.0, 2), radius=rng.uniform(0.06, 0.3))
    return canvas


def paint_foreground(canvas: np.ndarray, seed: int) -> None:
    """Paint one object near the face's edge over ``canvas`` ``(N, N, 3)``, in place."""
    rng = np.random.default_rng([seed, 1])
    angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(*FOREGROUND_DISTANCE)
    centre = 0.5 + distance * np.array([np.cos(angle), np.sin(angle)])
    texture = noise_field(rng, BACKGROUND_CELLS[1], canvas.shape[0])
    _paint_shape(canvas, rng, texture, centre=centre, radius=rng.uniform(*FOREGROUND_SIZE))


def _paint_shape(
    canvas: np.ndarray, rng: np.random.Generator, texture: np.ndarray, *, centre, radius
) -> None:
    """A random blob, rectangle or stripe patch of a colour shaded by ``texture`` ``(N, N)``, in place."""
    angle, kind, aspect = rng.uniform(0, 2 * np.pi), SHAPES[rng.integers(len(SHAPES))], rng.uniform(0.3, 1.0)
    phase, frequency, colour = rng.uniform(0, 2 * np.pi), rng.uniform(6.0, 16.0), rng.uniform(0, 255, 3)
    window = _window(canvas.shape[0], centre, SHAPE_REACH * radius)
    if window is None:
        return
    rows, columns = window
    u, v = canvas_axes(canvas.shape[0])
    u, v = u[:, columns], v[rows, :]
    du, dv = u - np.float32(centre[0]), v - np.float32(centre[1])
    along = (np.cos(angle) * du + np.sin(angle) * dv) / radius  # (h, w) in shape radii
    across = (-np.sin(angle) * du + np.cos(angle) * dv) / radius
    if kind == "blob":
        wobble = 1.0 + 0.2 * np.sin(3 * np.arctan2(across, along) + phase)
        mask = along**2 + (across / aspect) ** 2 < wobble**2
    else:
        mask = (np.abs(along) < 1.0) & (np.abs(across) < aspect)
        if kind == "stripes":
            mask &= np.sin(along * frequency) > 0
    shade = 1.0 + 0.3 * texture[window][mask]  # (M,)
    canvas[window][mask] = np.clip(colour.astype(np.float32) * shade[:, None], 0, 255)


def _window(n: int, centre, reach: float) -> tuple[slice, slice] | None:
    """Rows and columns of the canvas within ``reach`` (fraction of the side) of ``centre``, or None."""
    low = np.clip(np.floor((np.asarray(centre) - reach) * n), 0, n).astype(int)  # (u, v)
    high = np.clip(np.ceil((np.asarray(centre) + reach) * n), 0, n).astype(int)
    if (high <= low).any():
        return None
    return slice(low[1], high[1]), slice(low[0], high[0])
