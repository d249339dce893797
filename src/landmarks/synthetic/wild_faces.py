"""Wild synthetic faces: shaded 3-D heads in cluttered, damaged photos, with five exact MAFL-style points.

A face is a union of ellipsoids (:mod:`landmarks.synthetic.wild_head`) turned by roll, yaw and pitch,
ray-cast orthographically at twice the output size and averaged down (anti-aliasing). Skin, hair and
clothes carry solid noise textures and are lit by a directional light (Lambertian with ambient and
Blinn-Phong specular parts). Eyes, brows, nose, lips and facial hair are painted on the 3-D surface
(:mod:`landmarks.synthetic.wild_face_parts`); glasses' lenses float in a plane in front of the eyes;
the background is cluttered with distractor shapes, sometimes one in front of the face's edge; the
photo is then damaged (blur, noise, JPEG, colour cast, grey, contrast). The annotated points are 3-D
points turned and projected like the surface, so they are exact also when something hides them.

A face is a deterministic function of ``(seed, index)``.

Convention:
    Images are ``(S, S, 3)`` uint8 RGB. Points are ``(5, 2)`` pixels ``(x, y)`` of that image, the
    centre of the top-left pixel at ``(0, 0)``, in :data:`WILD_FACE_POINT_NAMES` order; "left" is the
    one on the image's left (the head-frame's negative x side).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from landmarks.synthetic.drawn_images import DrawnImages
from landmarks.synthetic.photo_damage import damage_photo
from landmarks.synthetic.raycast import rotation_matrix
from landmarks.synthetic.wild_face_params import Damage, WildFaceParams, sample_wild_face_params
from landmarks.synthetic.wild_head import keypoints_3d
from landmarks.synthetic.wild_scene import paint_scene
from landmarks.synthetic.wild_textures import background, paint_foreground

WILD_FACE_POINT_NAMES = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
WILD_FACE_EYES = (0, 1)  # indexes of the two eye centres, for inter-ocular normalisation
SUPERSAMPLE = 2  # canvas pixels per image pixel and axis
MIN_SIZE, MAX_SIZE = 32, 256


def wild_face(seed: int, index: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The ``index``-th face of collection ``seed``: same arguments, same bytes (:func:`render_wild_face`)."""
    return render_wild_face(sample_wild_face_params(np.random.default_rng([seed, index])), size)


def without_occluders(params: WildFaceParams) -> WildFaceParams:
    """The same face with nothing over its features: no hat, glasses, fringe, beard, foreground, damage."""
    identity = params.identity
    style = "short" if identity.hair_style == "fringe" else identity.hair_style
    identity = replace(
        identity,
        hat=None,
        glasses=None,
        beard=0.0,
        moustache=0.0,
        foreground=False,
        hair_style=style,
        hairline=max(identity.hairline, 0.2),
    )
    return replace(params, identity=identity, damage=Damage())


def render_wild_face(
    params: WildFaceParams, size: int = 64, *, probes: tuple[int, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one face.

    Args:
        params: the face (:class:`~landmarks.synthetic.wild_face_params.WildFaceParams`).
        size: side S of the square image, 32 to 256.
        probes: annotated points (indices into the five) to paint as discs of pure
            :data:`~landmarks.synthetic.wild_face_parts.PROBE_COLOURS`, unlit: for tests, with
            :func:`without_occluders`.

    Returns:
        ``(S, S, 3)`` uint8 RGB image, and ``(5, 2)`` float64 pixel ``(x, y)`` of the five points.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"wild faces are drawn at {MIN_SIZE} to {MAX_SIZE} px, got {size}")
    pose, identity = params.pose, params.identity
    n = size * SUPERSAMPLE
    centre = np.asarray(pose.centre) * (size - 1)  # pixels of the head's centre
    scale = pose.scale * size  # pixels per head unit
    axis = ((np.arange(n) + 0.5) / SUPERSAMPLE - 0.5).astype(np.float32)  # canvas pixel centres, image pixels
    xs = ((axis - centre[0]) / scale).astype(np.float32)[None, :]  # (1, N) world x, head units
    ys = ((axis - centre[1]) / scale).astype(np.float32)[:, None]  # (N, 1)
    head = rotation_matrix(pose.roll, pose.yaw, pose.pitch)
    canvas = background(identity.background_seed, n)  # (N, N, 3)
    paint_scene(canvas, params, head, xs, ys, probes=probes)
    if identity.foreground and not probes:
        paint_foreground(canvas, identity.background_seed)
    image = canvas.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(1, 3))  # (S, S, 3)
    image = np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return damage_photo(image, params.damage), wild_face_points(params, size)


def wild_face_points(params: WildFaceParams, size: int) -> np.ndarray:
    """``(5, 2)`` float64 pixels ``(x, y)`` of the five points: the 3-D points turned and projected."""
    pose = params.pose
    head = rotation_matrix(pose.roll, pose.yaw, pose.pitch)
    turned = keypoints_3d(params.identity) @ head.T  # (5, 3) world, head units
    return np.asarray(pose.centre) * (size - 1) + pose.scale * size * turned[:, :2]


class SyntheticWildFaces(DrawnImages):
    """``count`` wild faces ``wild_face(seed, start + i, size)``, drawn on demand.

    Item ``i``: ``image`` ``(3, S, S)`` float32 in ``[0, 1]``, ``keypoints`` ``(5, 2)`` float32 pixels
    ``(x, y)``, ``index`` = ``i``. Use disjoint ``start`` ranges (or seeds) for disjoint splits.
    """

    draw = staticmethod(wild_face)
    name = "wild synthetic faces"

    def __init__(self, count: int, size: int = 64, seed: int = 0, *, start: int = 0):
        super().__init__(count, size, seed, start=start)
