"""Facial parts painted on the 3-D face's surface: eyes, brows, nostrils, lips, beards, probes.

Each part is a pattern in the head frame's ``(x, y)`` (:mod:`landmarks.synthetic.wild_face_params`),
projected along the head's z onto the surface, so it is foreshortened, turned and hidden with the
head. Eye centres and mouth corners are the very ``(x, y)`` of the annotated points
(:mod:`landmarks.synthetic.wild_head`), so the painted parts sit exactly on them.

Convention:
    Functions paint ``albedo`` ``(M, 3)`` float32 RGB in ``[0, 255]`` in place, for ``M`` surface
    points given by their head-frame ``x`` and ``y``, each ``(M,)``.
"""

from __future__ import annotations

import numpy as np

from landmarks.synthetic.wild_face_params import Expression, Identity
from landmarks.synthetic.wild_head import eye_centres, keypoints_3d, mouth_corners

SCLERA = (240, 238, 230)
PUPIL = (10, 8, 8)
LASHES = (35, 25, 22)
MOUTH_INSIDE = (70, 20, 25)
TEETH = (232, 228, 214)
PUPIL_SIZE = 0.45  # pupil radius / iris radius
LOWER_LID = 0.8  # lower eye curve height / upper
LID_LINE = 0.025  # thickness of the upper lid's line, head units
SOCKET = (1.7, 1.2, 0.2)  # eye-socket shadow: half-width and half-height / eye half-width, depth
BROW_LENGTH = 1.25  # brow half-length / eye half-width
BROW_ARCH = 0.04
PROBE_RADIUS = 0.07  # head units; at 128 px a probe is about 2.5 px across
PROBE_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255))  # one per point


def paint_eyes(albedo, x, y, identity: Identity, expression: Expression) -> None:
    """Socket shadows, whites, irises, pupils and upper lids, centred on the annotated eye centres."""
    w = identity.eye_width
    up = identity.eye_openness * w * expression.eyes_open
    for cx, cy in eye_centres(identity):
        socket = ((x - cx) / (SOCKET[0] * w)) ** 2 + ((y - cy) / (SOCKET[1] * w)) ** 2
        albedo *= (1.0 - SOCKET[2] * np.clip(1.0 - socket, 0.0, 1.0))[:, None]
        bulge = np.clip(1.0 - ((x - cx) / w) ** 2, 0.0, None)  # (M,), 0 outside the eye's width
        top, bottom = cy - up * bulge, cy + LOWER_LID * up * bulge
        inside = (bulge > 0) & (y > top) & (y < bottom)
        iris_x, iris_y = cx + expression.gaze[0] * w * 0.5, cy + expression.gaze[1] * up * 0.5
        radius = np.hypot(x - iris_x, y - iris_y)
        albedo[inside] = SCLERA
        albedo[inside & (radius < identity.iris * w)] = identity.iris_colour
        albedo[inside & (radius < PUPIL_SIZE * identity.iris * w)] = PUPIL
        albedo[(bulge > 0) & (y <= top) & (y > top - LID_LINE)] = LASHES


def paint_brows(albedo, x, y, identity: Identity) -> None:
    """Arched brows tapering outwards, in a darker shade of the hair."""
    colour = np.asarray(identity.hair, dtype=np.float32) * 0.7
    for side, (cx, cy) in zip((-1.0, 1.0), eye_centres(identity), strict=True):
        t = side * (x - cx) / (BROW_LENGTH * identity.eye_width)  # -1 inner end, +1 outer end
        middle = cy - identity.brow_gap - BROW_ARCH * (1 - t**2)
        half = 0.5 * identity.brow_thickness * (1.0 - 0.45 * (t + 1) / 2)
        albedo[(np.abs(t) < 1) & (np.abs(y - middle) < half)] = colour


def paint_nostrils(albedo, x, y, identity: Identity) -> None:
    """Two dark nostrils just below the nose tip."""
    nose_width = identity.nose[0]
    tip_y = keypoints_3d(identity)[2, 1]
    for side in (-1.0, 1.0):
        inside = ((x - side * 0.45 * nose_width) / (0.28 * nose_width)) ** 2 + (
            (y - tip_y - 0.06) / (0.12 * nose_width)
        ) ** 2 < 1
        albedo[inside] *= 0.35


def lip_mask(x, y, identity: Identity, expression: Expression) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(M,)`` masks of the lips, the open mouth's inside and the upper teeth; lips end at the corners."""
    (left_x, corner_y), _ = mouth_corners(identity)
    t = x / -left_x  # -1 left corner, +1 right corner
    bulge = np.clip(1.0 - t**2, 0.0, None)
    bow = 1.0 - 0.35 * np.exp(-((t / 0.25) ** 2))  # the dip of the upper lip in the middle
    centre = corner_y + expression.smile * bulge  # smile > 0 lowers the middle: the corners turn up
    upper_inner, lower_inner = centre - expression.mouth_open * bulge, centre + expression.mouth_open * bulge
    upper_outer = upper_inner - 0.8 * identity.lip_thickness * np.sqrt(bulge) * bow
    lower_outer = lower_inner + identity.lip_thickness * np.sqrt(bulge)
    within = bulge > 0
    lips = within & (y >= upper_outer) & (y <= lower_outer)
    inside = within & (y > upper_inner) & (y < lower_inner)
    teeth = inside & (y < upper_inner + 0.4 * expression.mouth_open * bulge)
    return lips, inside, teeth


def paint_mouth(albedo, x, y, identity: Identity, expression: Expression) -> None:
    """Lips, the mouth's inside and teeth; a dark line between closed lips."""
    lips, inside, teeth = lip_mask(x, y, identity, expression)
    albedo[lips] = identity.lips
    albedo[inside] = MOUTH_INSIDE
    albedo[teeth] = TEETH
    corner_y = mouth_corners(identity)[0, 1]
    closed_line = lips & (
        np.abs(y - corner_y - expression.smile * (1 - (x / identity.mouth_width) ** 2)) < 0.008
    )
    albedo[closed_line & (expression.mouth_open <= 0)] *= 0.5


def paint_facial_hair(albedo, x, y, identity: Identity, expression: Expression, noise: np.ndarray) -> None:
    """A beard below the mouth and along the jaw, a moustache above the lips, thinned by ``noise`` (M,)."""
    colour = np.asarray(identity.hair, dtype=np.float32) * 0.85
    lips = lip_mask(x, y, identity, expression)[0]
    corner_y, half_width = mouth_corners(identity)[0, 1], identity.mouth_width
    density = 0.5 + 0.5 * noise
    if identity.beard > 0:
        region = (y > corner_y + 0.06) | ((np.abs(x) > half_width + 0.06) & (y > identity.eye_y + 0.35))
        albedo[region & ~lips & (density < identity.beard)] = colour
    if identity.moustache > 0:
        droop = 0.04 * (x / half_width) ** 2
        region = (
            (np.abs(x) < half_width + 0.03) & (y > corner_y - 0.13 + droop) & (y < corner_y - 0.03 + droop)
        )
        albedo[region & ~lips & (density < identity.moustache)] = colour


def paint_probes(colours, x, y, identity: Identity, which: tuple[int, ...]) -> None:
    """Discs of :data:`PROBE_COLOURS` around the annotated points ``which`` (indices into the five)."""
    points = keypoints_3d(identity)
    for index in which:
        px, py = points[index, :2]
        colours[(x - px) ** 2 + (y - py) ** 2 < PROBE_RADIUS**2] = PROBE_COLOURS[index]
