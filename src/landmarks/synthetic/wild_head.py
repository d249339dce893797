"""The 3-D head of a wild synthetic face: ellipsoid surfaces and the five annotated 3-D points.

The head is a union of ellipsoids in the head frame (:mod:`landmarks.synthetic.wild_face_params`):
the cranium and the jaw make the face, a tilted ellipsoid the nose, two flat ones the ears; hair and
hats are shells around the cranium cut at a hairline; glasses' arms are thin rods. Neck and shoulders
live in a body frame that turns only partly with the head. The annotated points are exact 3-D points:
eye centres and mouth corners on the face's surface, the nose tip the nose's frontmost point.

Convention:
    Points ``(5, 3)`` in the head frame, in the order left eye, right eye, nose tip, left mouth
    corner, right mouth corner; "left" is the one at negative x, on the image's left when upright.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from landmarks.synthetic.raycast import Ellipsoid, front_z, rotation_matrix
from landmarks.synthetic.wild_face_params import Identity

HAIR_SHELL = 1.07  # hair stands this much off the cranium
HAT_SHELL = 1.12
NAPE = {"short": 0.55, "fringe": 0.55, "long": 0.9}  # head-frame y where the hair ends at the back
FRINGE_WAVES = 9  # locks across the forehead
FRINGE_DEPTH = 0.06
HAT_BAND = 0.2  # from the brows up to the hat's rim
GLASSES_GAP = 0.1  # lens plane in front of the eyes, head units
RIM = (1.5, 1.15)  # lens half-width and half-height / eye half-width
ROD = 0.018  # glasses arms' radius
BODY_TURN = (0.4, 0.35)  # the body follows this share of the head's roll and yaw


@dataclass(frozen=True)
class Surface:
    """An ellipsoid of one ``material``; ``keep`` (head-frame points ``(N, 3)`` -> ``(N,)`` bool) cuts it."""

    material: str
    ellipsoid: Ellipsoid  # head frame, or body frame if ``body``
    keep: Callable[[np.ndarray], np.ndarray] | None = None
    body: bool = False


def face_ellipsoids(identity: Identity) -> tuple[Ellipsoid, Ellipsoid]:
    """The cranium and the jaw, whose union is the face's surface."""
    half_width, half_depth = identity.cranium
    jaw_width, jaw_y, jaw_height, jaw_depth = identity.jaw
    cranium = Ellipsoid.aligned((0.0, 0.0, 0.0), (half_width, 1.0, half_depth))
    jaw = Ellipsoid.aligned((0.0, jaw_y, 0.0), (jaw_width, jaw_height, jaw_depth))
    return cranium, jaw


def face_z(identity: Identity, x, y) -> np.ndarray:
    """Head-frame z of the face's front surface above the head-frame points ``(x, y)``."""
    return np.maximum(*(front_z(part, x, y) for part in face_ellipsoids(identity)))


@lru_cache(maxsize=16)
def nose_ellipsoid(identity: Identity) -> Ellipsoid:
    """The nose: sunk 45% of its depth into the face, its top leaning in by ``nose_tilt``."""
    centre_y = identity.eye_y + identity.nose_drop
    depth = identity.nose[2]
    centre = (0.0, centre_y, float(face_z(identity, 0.0, centre_y)) - 0.45 * depth)
    return Ellipsoid.aligned(centre, identity.nose, rotation_matrix(0.0, 0.0, identity.nose_tilt))


def eye_centres(identity: Identity) -> np.ndarray:
    """``(2, 2)`` head-frame ``(x, y)`` of the left and right eye centres."""
    return np.array([[-identity.eye_spacing, identity.eye_y], [identity.eye_spacing, identity.eye_y]])


def mouth_corners(identity: Identity) -> np.ndarray:
    """``(2, 2)`` head-frame ``(x, y)`` of the left and right mouth corners."""
    y = identity.eye_y + identity.nose_drop + nose_tip_offset(identity) + identity.mouth_drop
    return np.array([[-identity.mouth_width, y], [identity.mouth_width, y]])


def nose_tip_offset(identity: Identity) -> float:
    """How far below the nose's centre its tip (frontmost point) lies."""
    nose = nose_ellipsoid(identity)
    return float(nose.frontmost()[1] - nose.centre[1])


@lru_cache(maxsize=16)
def keypoints_3d(identity: Identity) -> np.ndarray:
    """``(5, 3)`` head-frame annotated points (see the module's convention); cached: do not modify."""
    on_face = np.concatenate([eye_centres(identity), mouth_corners(identity)])  # (4, 2)
    z = face_z(identity, on_face[:, 0], on_face[:, 1])
    points = np.concatenate([on_face, z[:, None]], axis=1)
    return np.stack([points[0], points[1], nose_ellipsoid(identity).frontmost(), points[2], points[3]])


def lens_plane_z(identity: Identity) -> float:
    """Head-frame z of the glasses' lens plane, in front of the eyes."""
    return float(keypoints_3d(identity)[:2, 2].max()) + GLASSES_GAP


def head_surfaces(identity: Identity) -> list[Surface]:
    """Every surface of the head and body, for :func:`landmarks.synthetic.wild_faces.render_wild_face`."""
    cranium, jaw = face_ellipsoids(identity)
    surfaces = [Surface("face", cranium), Surface("face", jaw), Surface("nose", nose_ellipsoid(identity))]
    half_width = identity.cranium[0]
    for side in (-1.0, 1.0):
        ear = Ellipsoid.aligned((side * 0.97 * half_width, identity.eye_y + 0.15, -0.05), (0.06, 0.17, 0.11))
        surfaces.append(Surface("ears", ear))
    surfaces += _hair_surfaces(identity) + _hat_surfaces(identity) + _glasses_arms(identity)
    neck = Ellipsoid.aligned((0.0, 1.1, -0.2), (0.62 * half_width, 0.8, 0.45))
    torso = Ellipsoid.aligned((0.0, 2.35, -0.4), (1.8, 0.85, 0.75))
    return surfaces + [Surface("neck", neck, body=True), Surface("clothes", torso, body=True)]


def body_rotation(roll: float, yaw: float) -> np.ndarray:
    """``(3, 3)`` body-to-world rotation: the body turns only partly with the head."""
    return rotation_matrix(BODY_TURN[0] * roll, BODY_TURN[1] * yaw, 0.0)


def _hairline_y(identity: Identity, points: np.ndarray) -> np.ndarray:
    """``(N,)`` head-frame y above which hair grows: the forehead's hairline in front, the nape behind."""
    x, z = points[:, 0], points[:, 2]
    front = identity.eye_y - identity.brow_gap - identity.hairline
    if identity.hair_style == "fringe":
        front = front + FRINGE_DEPTH * np.abs(np.sin(np.pi * FRINGE_WAVES * x / (2 * identity.cranium[0])))
    behind = np.clip((0.5 - z / identity.cranium[1]) / 0.9, 0.0, 1.0)  # 0 on the face, 1 at the back
    return front + behind * (NAPE[identity.hair_style] - front)


def _hair_surfaces(identity: Identity) -> list[Surface]:
    if identity.hair_style == "bald":
        return []
    half_width, half_depth = identity.cranium
    shell = Ellipsoid.aligned(
        (0.0, -0.03, -0.02), (HAIR_SHELL * half_width, HAIR_SHELL, HAIR_SHELL * half_depth)
    )
    surfaces = [Surface("hair", shell, lambda p: p[:, 1] < _hairline_y(identity, p))]
    if identity.hair_style == "long":
        mass = Ellipsoid.aligned((0.0, 0.55, -0.3), (1.18 * half_width, 1.15, 0.75 * half_depth))
        surfaces.append(Surface("hair", mass, lambda p: p[:, 2] < 0.0))
    return surfaces


def _hat_surfaces(identity: Identity) -> list[Surface]:
    if identity.hat is None:
        return []
    half_width, half_depth = identity.cranium
    rim = identity.eye_y - identity.brow_gap - HAT_BAND
    crown = Ellipsoid.aligned((0.0, -0.02, 0.0), (HAT_SHELL * half_width, HAT_SHELL, HAT_SHELL * half_depth))
    brim = Ellipsoid.aligned((0.0, rim, 0.12), (1.45 * half_width, 0.035, 1.35 * half_depth))
    return [Surface("hat", crown, lambda p: p[:, 1] < rim), Surface("hat", brim)]


def _glasses_arms(identity: Identity) -> list[Surface]:
    """Two rods from the lenses' outer edges back to the ears."""
    if identity.glasses is None:
        return []
    lens_z = lens_plane_z(identity)
    arms = []
    for (x, y), side in zip(eye_centres(identity), (-1.0, 1.0), strict=True):
        start = np.array([x + side * RIM[0] * identity.eye_width, y, lens_z])
        end = np.array([side * identity.cranium[0], y + 0.05, -0.05])
        arms.append(Surface("frame", _rod(start, end)))
    return arms


def _rod(start: np.ndarray, end: np.ndarray) -> Ellipsoid:
    """A thin ellipsoid from ``start`` to ``end`` ``(3,)``."""
    axis = end - start
    length = np.linalg.norm(axis)
    along = axis / length
    across = np.cross(along, [0.0, 1.0, 0.0])
    across /= np.linalg.norm(across)
    rotation = np.stack([along, across, np.cross(along, across)], axis=1)  # columns: the rod's axes
    return Ellipsoid.aligned((start + end) / 2, (length / 2, ROD, ROD), rotation)
