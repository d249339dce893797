"""Landmark markers drawn onto images: arrays in, new arrays out.

Convention:
    Points are pixel ``(x, y)`` as in :mod:`landmarks.geometry.coordinates`: the centre of the top-left
    pixel is ``(0, 0)`` and of the bottom-right one ``(W - 1, H - 1)``. Convert normalised keypoints with
    :func:`~landmarks.geometry.coordinates.normalized_to_pixels` before drawing.

Markers are antialiased by rendering each one with PIL ``ImageDraw`` into a small supersampled coverage
mask, box-filtering it down and alpha-blending it into the image, so only the pixels a marker covers
change. Filled discs mark predictions and hollow rings annotations (paper, Fig. 4); both get a thin dark
rim so they read on light and dark images.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw

SUPERSAMPLE = 4  # sub-pixels per pixel along each axis when rendering a marker
RADIUS_FRACTION = 1 / 32  # default marker radius as a fraction of the shorter image side
MIN_RADIUS = 2.0  # pixels; smaller discs lose their colour to the rim
RIM_ALPHA = 0.75  # opacity of the dark rim around each marker
MARKERS = ("filled", "hollow")


def to_numpy(array) -> np.ndarray:
    """A NumPy view of ``array`` (a NumPy array, a nested sequence, or a torch tensor on any device)."""
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def landmark_colours(num_landmarks: int) -> np.ndarray:
    """``(K, 3)`` ``uint8`` RGB colours, distinct and always the same for a given ``K``.

    Up to 10 landmarks use matplotlib's ``tab10``, up to 20 ``tab20``; more are spread evenly around
    the ``hsv`` hue circle.
    """
    if num_landmarks < 0:
        raise ValueError(f"number of landmarks must be >= 0, got {num_landmarks}")
    if num_landmarks <= 10:
        rgba = colormaps["tab10"](np.arange(num_landmarks))
    elif num_landmarks <= 20:
        rgba = colormaps["tab20"](np.arange(num_landmarks))
    else:
        rgba = colormaps["hsv"](np.arange(num_landmarks) / num_landmarks)
    return np.round(rgba[:, :3] * 255).astype(np.uint8).reshape(num_landmarks, 3)


def default_radius(height: int, width: int) -> float:
    """Marker radius in pixels for an ``height x width`` image: 1/32 of the shorter side, at least 2."""
    return max(MIN_RADIUS, min(height, width) * RADIUS_FRACTION)


def draw_landmarks(
    image: np.ndarray,
    points,
    *,
    colours=None,
    radius: float | None = None,
    marker: str = "filled",
) -> np.ndarray:
    """A copy of ``image`` with one marker per point.

    Args:
        image: ``(H, W, 3)`` ``uint8`` RGB.
        points: ``(K, 2)`` pixel ``(x, y)`` (array or tensor). Points with a NaN or infinite coordinate
            are skipped; markers reaching past the border are clipped; markers wholly outside are not drawn.
        colours: ``(K, 3)`` ``uint8`` RGB, or one ``(3,)`` colour for all; default
            :func:`landmark_colours`.
        radius: marker radius in pixels; default :func:`default_radius`.
        marker: ``"filled"`` (a disc, for predictions) or ``"hollow"`` (a ring, for annotations).

    Returns:
        ``(H, W, 3)`` ``uint8``, a new array; ``image`` is left unchanged.
    """
    image = to_numpy(image)
    points = to_numpy(points).astype(np.float64)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be (K, 2), got {points.shape}")
    if marker not in MARKERS:
        raise ValueError(f"marker must be one of {MARKERS}, got {marker!r}")
    num_points = points.shape[0]
    colours = landmark_colours(num_points) if colours is None else to_numpy(colours)
    colours = np.broadcast_to(colours, (num_points, 3)).astype(np.float64)
    height, width = image.shape[:2]
    radius = default_radius(height, width) if radius is None else float(radius)
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    canvas = image.astype(np.float64)
    for (x, y), colour in zip(points, colours, strict=True):
        if math.isfinite(x) and math.isfinite(y):
            _stamp(canvas, x, y, radius, colour, marker)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def _stamp(canvas: np.ndarray, x: float, y: float, radius: float, colour: np.ndarray, marker: str) -> None:
    """Blend one marker centred on pixel ``(x, y)`` into the ``(H, W, 3)`` float ``canvas`` in place."""
    height, width = canvas.shape[:2]
    half = math.ceil(radius) + 1
    left, top = round(x) - half, round(y) - half  # patch origin, in image pixels
    size = 2 * half + 1
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + size, width), min(top + size, height)
    if x0 >= x1 or y0 >= y1:
        return  # the marker lies wholly outside the image
    rim = min(max(0.75, 0.2 * radius), 0.4 * radius)  # thin, but never eats the colour
    if marker == "filled":
        rim_cover = _disc_coverage(size, x - left, y - top, radius)
        fill_cover = _disc_coverage(size, x - left, y - top, radius - rim)
    else:
        ring = max(1.0, 0.3 * radius)
        rim_cover = _disc_coverage(size, x - left, y - top, radius, width=ring + 2 * rim)
        fill_cover = _disc_coverage(size, x - left, y - top, radius - rim, width=ring)
    window = (slice(y0, y1), slice(x0, x1))
    crop = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    rim_alpha = RIM_ALPHA * rim_cover[crop][..., None]  # (h, w, 1)
    fill_alpha = fill_cover[crop][..., None]  # (h, w, 1)
    canvas[window] *= 1 - rim_alpha
    canvas[window] = canvas[window] * (1 - fill_alpha) + colour * fill_alpha


def _disc_coverage(size: int, cx: float, cy: float, radius: float, width: float | None = None) -> np.ndarray:
    """``(size, size)`` fraction in ``[0, 1]`` of each pixel covered by a disc (or a ring of ``width``).

    ``(cx, cy)`` is the centre in the patch's pixel coordinates (centre of its top-left pixel at 0).
    """
    s = SUPERSAMPLE
    mask = Image.new("L", (size * s, size * s), 0)
    u, v, r = (cx + 0.5) * s - 0.5, (cy + 0.5) * s - 0.5, radius * s  # sub-pixel units
    box = (u - r, v - r, u + r, v + r)
    if width is None:
        ImageDraw.Draw(mask).ellipse(box, fill=255)
    else:
        ImageDraw.Draw(mask).ellipse(box, outline=255, width=max(1, round(width * s)))
    sub = np.asarray(mask, dtype=np.float64).reshape(size, s, size, s)  # (size, s, size, s)
    return sub.mean(axis=(1, 3)) / 255.0
