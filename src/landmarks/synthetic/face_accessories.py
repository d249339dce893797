"""Drawing what surrounds a synthetic face: hair, hats, ears, neck, shoulders, glasses and occluders.

Same frame and conventions as :mod:`landmarks.synthetic.face_drawing`. None of these parts
covers the five annotated points: hairlines stay above the eyes, glasses are thin frames around them,
and occluders stay outside the head's inner region.
"""

from __future__ import annotations

import numpy as np

from landmarks.synthetic.face_drawing import Shape, ellipse, eye_centres, head_outline, rgb
from landmarks.synthetic.face_params import FaceParams

HAIR_SCALE = 1.07  # the hair cap sits this much outside the head outline
LONG_HAIR_SCALE = 1.14
FRINGE_WAVES = 9  # locks across the forehead
FRINGE_DEPTH = 0.035
OCCLUDER_DISTANCE = 1.15  # centre of an occluder, in head radii from the centre: clear of the points
GLASSES_WIDTH = 0.02
RIM = (1.55, 1.2)  # glasses rim radii / eye half-width


def behind_head_shapes(params: FaceParams) -> list[Shape]:
    """Long hair, neck, shoulders and ears: everything the head outline overlaps."""
    g, look = params.geometry, params.appearance
    shapes = []
    if look.hair_style == "long":
        arc = head_outline(g, LONG_HAIR_SCALE, upper_only=True)
        side = LONG_HAIR_SCALE * g.aspect * 1.08
        shapes.append(
            Shape(np.concatenate([arc, [[side, look.hair_length], [-side, look.hair_length]]]), look.hair)
        )
    neck = np.array([[-0.48, 0.4], [0.48, 0.4], [0.56, 1.9], [-0.56, 1.9]]) * [g.aspect, 1.0]
    shapes.append(Shape(neck, rgb(look.skin, 0.8)))
    shapes.append(Shape(ellipse(0.0, 1.95, 1.9, 0.75, 32), look.clothes))
    for side in (-1.0, 1.0):
        shapes.append(
            Shape(ellipse(side * (g.aspect + 0.02), g.eye_y + 0.14, 0.09, 0.16), rgb(look.skin, 0.9))
        )
    return shapes


def _hairline(params: FaceParams) -> float:
    """Face-local y of the hairline's middle: the given distance above the higher brow."""
    g = params.geometry
    return g.eye_y - abs(g.asymmetry) - g.brow_gap - g.brow_arch - params.appearance.hairline


def front_hair_shapes(params: FaceParams) -> list[Shape]:
    """A cap of hair over the forehead (short, long, fringe) or a hat, by the hair style."""
    g, look = params.geometry, params.appearance
    top = _hairline(params)
    if look.hair_style == "hat":
        crown = np.array([[-1.02, top + 0.05], [-0.85, -1.45], [0.85, -1.45], [1.02, top + 0.05]])
        brim = ellipse(0.0, top + 0.05, 1.5 * g.aspect, 0.09, 32)
        return [Shape(crown * [g.aspect, 1.0], look.hat), Shape(brim, rgb(look.hat, 0.8))]
    if look.hair_style == "bald":
        return []
    arc = head_outline(g, HAIR_SCALE, upper_only=True)
    half_width = HAIR_SCALE * g.aspect
    x = np.linspace(half_width, -half_width, 4 * FRINGE_WAVES + 1)
    y = top * (1.0 - np.abs(x / half_width) ** 4)
    if look.hair_style == "fringe":
        y = y + FRINGE_DEPTH * np.abs(np.sin(np.pi * FRINGE_WAVES * x / (2 * half_width)))
    return [Shape(np.concatenate([arc, np.stack([x, y], 1)]), look.hair)]


def glasses_shapes(params: FaceParams) -> list[Shape]:
    """Thin rims around both eyes, a bridge and the arms towards the ears (if the face wears glasses)."""
    g, colour = params.geometry, params.appearance.glasses
    if colour is None:
        return []
    rim_x, rim_y = RIM[0] * g.eye_width, RIM[1] * g.eye_width
    (left_x, left_y), (right_x, right_y) = eyes = eye_centres(g)
    bridge = np.array(
        [[left_x + rim_x, left_y], [0.0, min(left_y, right_y) - 0.04], [right_x - rim_x, right_y]]
    )
    shapes = [Shape(bridge, colour, 0.0, GLASSES_WIDTH)]
    for side, (cx, cy) in zip((-1.0, 1.0), eyes, strict=True):
        rim = ellipse(cx, cy, rim_x, rim_y, 24)
        arm = np.array([[cx + side * rim_x, cy], [side * g.aspect, cy - 0.02]])
        shapes.append(Shape(np.concatenate([rim, rim[:1]]), colour, 0.0, GLASSES_WIDTH))
        shapes.append(Shape(arm, colour, 0.0, GLASSES_WIDTH))
    return shapes


def occluder_shapes(params: FaceParams) -> list[Shape]:
    """A blob (hand, microphone, object) at the head's edge, if the face has one."""
    if params.appearance.occluder is None:
        return []
    angle, radius, colour = params.appearance.occluder
    cx = OCCLUDER_DISTANCE * params.geometry.aspect * np.cos(angle)
    cy = OCCLUDER_DISTANCE * np.sin(angle)
    return [Shape(ellipse(cx, cy, radius, 1.3 * radius), colour)]
