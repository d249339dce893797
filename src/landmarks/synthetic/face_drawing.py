"""Drawing one synthetic face's parts with PIL on a supersampled canvas.

Every part is a polygon built in the face-local frame (see :mod:`landmarks.synthetic.face_params`)
and mapped to the image by one :class:`FaceFrame`; the annotated points go through the same map, so
they sit exactly on the drawn features.

Convention:
    :meth:`FaceFrame.to_pixels` gives pixels of the final ``size x size`` image, the centre of the
    top-left pixel at ``(0, 0)``. The canvas is ``SUPERSAMPLE`` times larger and is box-downsampled;
    PIL fills pixel ``i`` for polygon coordinates around ``i + 0.5``, hence :meth:`FaceFrame.canvas`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import ImageDraw

from landmarks.synthetic.face_params import FaceParams, Geometry

SUPERSAMPLE = 2  # canvas pixels per image pixel and axis (antialiasing)
HEAD_BULGE = 0.7  # depth of the head surface at its centre line / half-width, for the yaw
OUTLINE_POINTS = 48
ELLIPSE_POINTS = 20
CURVE_POINTS = 11
SCLERA = (245, 243, 236)
PUPIL = (12, 10, 10)
LID_LINE = (45, 30, 25)
MOUTH_INSIDE = (70, 20, 25)
TEETH = (236, 232, 218)
PUPIL_SIZE = 0.45  # pupil radius / iris radius
LOWER_LID = 0.8  # lower eye curve height / upper
CURVE_T = np.linspace(-1.0, 1.0, CURVE_POINTS)  # parameter along open curves (eyes, brows)
MOUTH_T = np.linspace(-1.0, 1.0, 2 * CURVE_POINTS - 1)  # -1 left corner, +1 right corner
LIP_BOW = 1.0 - 0.35 * np.exp(-((MOUTH_T / 0.25) ** 2))  # the dip of the upper lip in the middle


SILHOUETTE = float("nan")  # the depth of points that do not turn with the yaw (outline, ears, hair)


class Shape(NamedTuple):
    """A filled polygon (``width`` None) or a polyline ``width`` face-local units wide.

    ``points`` ``(N, 2)`` face-local; ``depth`` above the head's surface, a scalar or ``(N,)``: such
    points turn with the yaw; :data:`SILHOUETTE` points do not.
    """

    points: np.ndarray
    colour: tuple[float, float, float]
    depth: float | np.ndarray = SILHOUETTE
    width: float | None = None


@dataclass(frozen=True)
class FaceFrame:
    """The map from face-local coordinates to image pixels: a simulated yaw, then scale, rotation, shift."""

    centre: np.ndarray  # (2,) pixels of the face-local origin
    matrix: np.ndarray  # (2, 2) face-local units -> pixels: scale times rotation
    yaw: float  # radians
    aspect: float
    unit: float  # canvas pixels per face-local unit (for line widths)

    @classmethod
    def from_params(cls, params: FaceParams, size: int) -> FaceFrame:
        pose = params.pose
        scale = pose.half_height * size
        angle = np.deg2rad(pose.rotation)
        cos, sin = np.cos(angle), np.sin(angle)
        matrix = scale * np.array([[cos, -sin], [sin, cos]])  # clockwise on screen for angle > 0 (y down)
        centre = np.array(pose.centre) * (size - 1)
        return cls(centre, matrix, np.deg2rad(pose.yaw), params.geometry.aspect, scale * SUPERSAMPLE)

    def to_pixels(self, points: np.ndarray, depth: float | np.ndarray = SILHOUETTE) -> np.ndarray:
        """``(N, 2)`` face-local points at ``depth`` (scalar or ``(N,)``, see :class:`Shape`) to pixels."""
        points = np.asarray(points, dtype=np.float64)
        x = points[:, 0]
        across = x / self.aspect
        z = HEAD_BULGE * self.aspect * np.sqrt(np.maximum(1.0 - across * across, 0.0)) + depth
        turned = x * math.cos(self.yaw) + z * math.sin(self.yaw)
        points = np.stack([np.where(np.isnan(z), x, turned), points[:, 1]], axis=1)
        return self.centre + points @ self.matrix.T

    def canvas(self, points: np.ndarray, depth: float | np.ndarray = SILHOUETTE) -> np.ndarray:
        """``(N, 2)`` PIL coordinates on the supersampled canvas of the same points."""
        return self.to_pixels(points, depth) * SUPERSAMPLE + SUPERSAMPLE / 2


def paint(draw: ImageDraw.ImageDraw, frame: FaceFrame, shapes: list[Shape]) -> None:
    """Draw ``shapes`` in order, mapping all their points in one go."""
    if not shapes:
        return
    points = np.concatenate([shape.points for shape in shapes])  # (N, 2)
    depth = np.concatenate([np.broadcast_to(shape.depth, len(shape.points)) for shape in shapes])  # (N,)
    flat = frame.canvas(points, depth).ravel().tolist()
    start = 0
    for shape in shapes:
        stop = start + 2 * len(shape.points)
        colour = rgb(shape.colour)
        if shape.width is None:
            draw.polygon(flat[start:stop], fill=colour)
        else:
            width = max(1, round(shape.width * frame.unit))
            draw.line(flat[start:stop], fill=colour, width=width, joint="curve")
        start = stop


def rgb(colour, factor: float = 1.0) -> tuple[int, int, int]:
    """An RGB triple scaled by ``factor`` and clipped to integers in ``[0, 255]``."""
    r, g, b = colour
    return (
        min(255, max(0, int(r * factor))),
        min(255, max(0, int(g * factor))),
        min(255, max(0, int(b * factor))),
    )


def ellipse(cx: float, cy: float, rx: float, ry: float, count: int = ELLIPSE_POINTS) -> np.ndarray:
    """``(count, 2)`` points of an axis-aligned ellipse."""
    return _unit_circle(count) * (rx, ry) + (cx, cy)


@lru_cache(maxsize=8)
def _unit_circle(count: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, count, endpoint=False)
    return np.stack([np.cos(t), np.sin(t)], axis=1)  # (count, 2)


def head_outline(geometry: Geometry, scale: float = 1.0, upper_only: bool = False) -> np.ndarray:
    """``(N, 2)`` head outline: a superellipse whose lower half narrows towards the chin by ``jaw``.

    ``upper_only`` gives the arc from the left side (y = 0) over the top to the right side.
    """
    t = (
        np.linspace(np.pi, 2 * np.pi, OUTLINE_POINTS // 2)
        if upper_only
        else np.linspace(0, 2 * np.pi, OUTLINE_POINTS, endpoint=False)
    )
    power = 2.0 / geometry.squareness
    cos, sin = np.cos(t), np.sin(t)
    y = np.sign(sin) * np.abs(sin) ** power
    taper = 1.0 - (1.0 - geometry.jaw) * np.clip(y, 0.0, 1.0) ** 1.2
    x = geometry.aspect * np.sign(cos) * np.abs(cos) ** power * taper
    return np.stack([x, y], axis=1) * scale


def eye_centres(geometry: Geometry) -> np.ndarray:
    """``(2, 2)`` face-local centres of the left and the right eye."""
    return np.array(
        [[-geometry.eye_spacing, geometry.eye_y], [geometry.eye_spacing, geometry.eye_y + geometry.asymmetry]]
    )


def keypoints_local(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """The five annotated points, ``(5, 2)`` face-local, and their ``(5,)`` depths for the yaw."""
    eyes = eye_centres(geometry)
    nose = [0.0, geometry.nose_y]
    mouth = [[-geometry.mouth_width, geometry.mouth_y], [geometry.mouth_width, geometry.mouth_y]]
    depths = np.array([0.0, 0.0, geometry.nose_depth, 0.0, 0.0])
    return np.array([*eyes, nose, *mouth]), depths


def _lens(cx: float, cy: float, half_width: float, up: float, down: float) -> np.ndarray:
    """``(2 * CURVE_POINTS, 2)`` almond shape: upper curve left to right, lower curve back."""
    t = CURVE_T
    bulge = 1.0 - t**2
    upper = np.stack([cx + half_width * t, cy - up * bulge], axis=1)
    lower = np.stack([cx + half_width * t, cy + down * bulge], axis=1)
    return np.concatenate([upper, lower[::-1]])


def _clip_to_lens(points: np.ndarray, cx, cy, half_width, up, down) -> np.ndarray:
    """Clip a convex shape's points to the lens, column by column (exact for shapes narrower than it)."""
    bulge = np.maximum(1.0 - ((points[:, 0] - cx) / half_width) ** 2, 0.0)
    y = np.minimum(np.maximum(points[:, 1], cy - up * bulge), cy + down * bulge)
    return np.stack([points[:, 0], y], axis=1)


def eye_shapes(params: FaceParams) -> list[Shape]:
    """Sclera, iris and pupil centred on each eye's annotated point, and the upper lid line."""
    g = params.geometry
    shapes = []
    for cx, cy in eye_centres(g):
        w = g.eye_width
        up = g.eye_openness * w
        lens = (cx, cy, w, up, LOWER_LID * up)
        iris, pupil = g.iris * w, PUPIL_SIZE * g.iris * w
        shapes += [
            Shape(_lens(*lens), SCLERA, 0.0),
            Shape(_clip_to_lens(ellipse(cx, cy, iris, iris), *lens), params.appearance.iris, 0.0),
            Shape(_clip_to_lens(ellipse(cx, cy, pupil, pupil), *lens), PUPIL, 0.0),
            Shape(_lens(*lens)[:CURVE_POINTS], LID_LINE, 0.0, width=0.25 * g.brow_thickness + 0.01),
        ]
    return shapes


def brow_shapes(params: FaceParams) -> list[Shape]:
    """Arched, tapering brows above the eyes, in a darker shade of the hair colour."""
    g = params.geometry
    t = CURVE_T  # -1 at the inner end, +1 at the outer end
    shapes = []
    for side, (cx, cy) in zip((-1.0, 1.0), eye_centres(g), strict=True):
        x = cx + side * t * g.eye_width * 1.25
        middle = cy - g.brow_gap - g.brow_arch * (1 - t**2) - g.brow_tilt * (t + 1) / 2
        half = 0.5 * g.brow_thickness * (1.0 - 0.45 * (t + 1) / 2)
        outline = np.concatenate([np.stack([x, middle - half], 1), np.stack([x, middle + half], 1)[::-1]])
        shapes.append(Shape(outline, rgb(params.appearance.hair, 0.7), 0.0))
    return shapes


def nose_shapes(params: FaceParams) -> list[Shape]:
    """Bridge (line or shadow), wings, nostrils and a highlighted tip centred on the annotated point."""
    g, skin = params.geometry, params.appearance.skin
    nw, tip_y, depth = g.nose_width, g.nose_y, g.nose_depth
    top = g.eye_y + 0.06
    shapes = []
    if params.appearance.nose_style == "lines":
        bridge = np.array([[0.35 * nw, top], [0.5 * nw, 0.5 * (top + tip_y)], [0.55 * nw, tip_y - 0.05]])
        shapes.append(Shape(bridge, rgb(skin, 0.72), np.array([0.3, 0.6, 0.8]) * depth, width=0.018))
    elif params.appearance.nose_style == "shaded":
        side = -1.0 if np.cos(params.appearance.light_angle) > 0 else 1.0
        shadow = np.array([[0.0, top], [side * 0.3 * nw, top], [side * 0.75 * nw, tip_y], [0.0, tip_y]])
        shapes.append(Shape(shadow, rgb(skin, 0.85), np.array([0.4, 0.3, 0.5, 1.0]) * depth))
    for side in (-1.0, 1.0):
        wing = ellipse(side * 0.62 * nw, tip_y + 0.02, 0.38 * nw, 0.3 * nw)
        shapes.append(Shape(wing, rgb(skin, 0.86), 0.5 * depth))
    for side in (-1.0, 1.0):
        nostril = ellipse(side * 0.4 * nw, tip_y + 0.05, 0.22 * nw, 0.12 * nw)
        shapes.append(Shape(nostril, rgb(skin, 0.35), 0.6 * depth))
    shapes.append(Shape(ellipse(0.0, tip_y, 0.42 * nw, 0.36 * nw), rgb(skin, 1.08), depth))
    return shapes


def mouth_shapes(params: FaceParams) -> list[Shape]:
    """Lips whose outer corners are the annotated mouth corners; open or closed, smiling or not."""
    g, lips = params.geometry, params.appearance.lips
    x = g.mouth_width * MOUTH_T
    bulge = 1.0 - MOUTH_T**2
    centre = g.mouth_y + g.smile * bulge  # smile > 0 lowers the middle: corners turn up
    upper_inner, lower_inner = centre - g.mouth_open * bulge, centre + g.mouth_open * bulge
    upper_outer = upper_inner - 0.8 * g.lip_thickness * np.sqrt(bulge) * LIP_BOW
    lower_outer = lower_inner + g.lip_thickness * np.sqrt(bulge)

    def band(top, bottom):
        return np.concatenate([np.stack([x, top], 1), np.stack([x, bottom], 1)[::-1]])

    shapes = [Shape(band(upper_outer, lower_outer), lips, 0.0)]
    if g.mouth_open > 0:
        shapes.append(Shape(band(upper_inner, lower_inner), MOUTH_INSIDE, 0.0))
        shapes.append(Shape(band(upper_inner, upper_inner + 0.4 * g.mouth_open * bulge), TEETH, 0.0))
    else:
        shapes.append(Shape(np.stack([x, centre], 1), rgb(lips, 0.5), 0.0, width=0.012))
    return shapes
