"""Ray-casting and shading the head scene of a wild synthetic face onto its supersampled canvas.

The surfaces of :func:`landmarks.synthetic.wild_head.head_surfaces` are turned into the world,
intersected with every pixel's ray, and the nearest kept hit is coloured: solid-noise textures per
material, the facial parts painted on the face (:mod:`landmarks.synthetic.wild_face_parts`), then a
directional light. Glasses' lenses and rims lie in a plane in front of the eyes.

Convention:
    As :mod:`landmarks.synthetic.raycast`: world ``(x, y)`` of the pixel centres in head units, rays
    running towards the camera. ``head`` is the ``(3, 3)`` head-to-world rotation, the head's centre
    at the world origin, so a world point ``w`` (a row) is ``w @ head`` in the head frame.
"""

from __future__ import annotations

import numpy as np

from landmarks.synthetic import wild_face_parts as parts
from landmarks.synthetic.raycast import MISS, intersect, normals
from landmarks.synthetic.wild_face_params import WildFaceParams
from landmarks.synthetic.wild_head import (
    RIM,
    Surface,
    body_rotation,
    eye_centres,
    head_surfaces,
    lens_plane_z,
)
from landmarks.synthetic.wild_textures import noise_lattice, solid_noise

SKIN_MATERIALS = ("face", "nose", "ears", "neck")
NOSE_TIP = 2  # the index of the point that lies on the nose, not on the face
NOISE_FREQUENCY = {"skin": 6.0, "hair": (40.0, 5.0, 40.0), "cloth": 3.0, "beard": 30.0}  # cells per unit
NOISE_STRENGTH = {"skin": 0.08, "hair": 0.35, "cloth": 0.15}
NECK_SHADE = 0.88  # the neck is a little darker than the face
STRIPES = 20.0  # clothes' stripes and checks per body unit (radians of the sine)
MATT = {"hair": 0.3, "clothes": 0.3}  # their share of the specular highlight
RIM_WIDTH = 0.03  # glasses' rims, head units
BRIDGE = (0.03, 0.015)  # glasses' bridge: above the eye line, half-height
DARK_LENS = (0.12, 15.0)  # sunglasses: share of the scene they let through, and their own grey level
CLEAR_LENS = 0.88  # clear glasses let this share through and add a faint reflection


def paint_scene(
    canvas: np.ndarray, params: WildFaceParams, head: np.ndarray, xs, ys, *, probes: tuple[int, ...] = ()
) -> None:
    """Paint the head, body and glasses over ``canvas`` ``(N, N, 3)`` in place.

    ``xs``, ``ys``: ``(1, N)`` and ``(N, 1)`` world coordinates of the canvas pixels.
    """
    surfaces = head_surfaces(params.identity)
    body = body_rotation(params.pose.roll, params.pose.yaw)
    placed = [s.ellipsoid.moved(body if s.body else head, np.zeros(3)) for s in surfaces]
    depth, owner = _depth_buffer(surfaces, placed, xs, ys, head)
    visible = depth > MISS
    world = _world_points(xs, ys, depth, visible)  # (M, 3)
    owners = owner[visible]  # (M,)
    normal = np.zeros_like(world)
    for index, ellipsoid in enumerate(placed):
        mine = owners == index
        if mine.any():
            normal[mine] = normals(ellipsoid, world[mine])
    normal *= np.where(normal[:, 2:] < 0, -1.0, 1.0)  # the inside of a hair shell faces the camera
    materials = np.array([surface.material for surface in surfaces])[owners]  # (M,)
    local = world @ head  # (M, 3) head frame
    colours = _light(params, _albedo(params, materials, local, world @ body), normal, materials)
    if probes:
        _paint_probes(colours, materials, local, params, probes)
    canvas[visible] = colours
    if params.identity.glasses is not None:
        _paint_glasses(canvas, params, head, xs, ys, depth)


def _depth_buffer(surfaces: list[Surface], placed, xs, ys, head) -> tuple[np.ndarray, np.ndarray]:
    """``(N, N)`` ray parameter of the visible hit (:data:`MISS` for none) and the index of its surface."""
    depths = []
    for surface, ellipsoid in zip(surfaces, placed, strict=True):
        near, far = intersect(ellipsoid, xs, ys)
        if surface.keep is not None:  # a cut shell: where its near side is cut away, its far side shows
            near = _kept(near, surface, xs, ys, head)
            near = np.where(near > MISS, near, _kept(far, surface, xs, ys, head))
        depths.append(near)
    depths = np.stack(depths)  # (surfaces, N, N)
    owner = depths.argmax(axis=0)  # (N, N)
    return np.take_along_axis(depths, owner[None], axis=0)[0], owner


def _kept(depth: np.ndarray, surface: Surface, xs, ys, head: np.ndarray) -> np.ndarray:
    """``depth`` with :data:`MISS` where ``surface.keep`` rejects the hit."""
    hit = depth > MISS
    kept = np.zeros(depth.shape, dtype=bool)
    kept[hit] = surface.keep(_world_points(xs, ys, depth, hit) @ head)
    return np.where(kept, depth, MISS)


def _world_points(xs, ys, depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(M, 3)`` world points ``(x, y, t)`` of the pixels in ``mask``."""
    x = np.broadcast_to(xs, depth.shape)[mask]
    y = np.broadcast_to(ys, depth.shape)[mask]
    return np.stack([x, y, depth[mask]], axis=1)


def _albedo(params: WildFaceParams, materials: np.ndarray, local: np.ndarray, body: np.ndarray) -> np.ndarray:
    """``(M, 3)`` float32 surface colours: textured materials, then the facial parts on the face."""
    identity = params.identity
    lattice = noise_lattice(np.random.default_rng(identity.texture_seed))
    albedo = np.zeros((len(materials), 3), dtype=np.float32)

    def fill(mask, colour, points, kind):
        shade = 1.0 + NOISE_STRENGTH[kind] * solid_noise(lattice, points[mask], NOISE_FREQUENCY[kind])
        albedo[mask] = np.asarray(colour, dtype=np.float32) * shade[:, None]

    fill(np.isin(materials, SKIN_MATERIALS), identity.skin, local, "skin")
    albedo[materials == "neck"] *= NECK_SHADE
    fill(materials == "hair", identity.hair, local, "hair")
    clothes = materials == "clothes"
    fill(clothes, identity.clothes, body, "cloth")
    albedo[clothes] *= _clothes_pattern(identity.clothes_pattern, body[clothes])[:, None]
    if identity.hat is not None:
        fill(materials == "hat", identity.hat, local, "cloth")
    if identity.glasses is not None:
        albedo[materials == "frame"] = identity.glasses
    _paint_face(albedo, materials, local, params, lattice)
    return albedo


def _clothes_pattern(pattern: str, points: np.ndarray) -> np.ndarray:
    """``(M,)`` brightness factor of the clothes' pattern at body-frame ``points`` ``(M, 3)``."""
    if pattern == "plain":
        return np.ones(len(points), dtype=np.float32)
    stripes = np.sin(STRIPES * points[:, 1]) > 0
    if pattern == "checks":
        stripes ^= np.sin(STRIPES * points[:, 0]) > 0
    return np.where(stripes, 1.0, 0.65).astype(np.float32)


def _paint_face(albedo, materials, local, params: WildFaceParams, lattice) -> None:
    """The facial parts on the face's points, the nostrils also on the nose's."""
    identity, expression = params.identity, params.expression
    face = materials == "face"
    beard_noise = solid_noise(lattice, local[face], NOISE_FREQUENCY["beard"])

    def face_parts(rows, x, y):
        parts.paint_brows(rows, x, y, identity)
        parts.paint_eyes(rows, x, y, identity, expression)
        parts.paint_mouth(rows, x, y, identity, expression)
        parts.paint_facial_hair(rows, x, y, identity, expression, beard_noise)

    _paint_rows(albedo, face, local, face_parts)
    nose_or_face = np.isin(materials, ("face", "nose"))
    _paint_rows(albedo, nose_or_face, local, lambda rows, x, y: parts.paint_nostrils(rows, x, y, identity))


def _paint_rows(colours: np.ndarray, mask: np.ndarray, local: np.ndarray, paint) -> None:
    """``paint(rows, x, y)`` the rows of ``colours`` in ``mask``, then write them back (a mask copies)."""
    rows = colours[mask]
    paint(rows, local[mask, 0], local[mask, 1])
    colours[mask] = rows


def _light(params: WildFaceParams, albedo, normal, materials) -> np.ndarray:
    """``(M, 3)`` lit colours: ambient plus Lambertian diffuse, plus a Blinn-Phong highlight."""
    light = params.light
    direction = np.asarray(light.direction, dtype=np.float32)
    halfway = direction + np.array([0.0, 0.0, 1.0], dtype=np.float32)
    halfway /= np.linalg.norm(halfway)
    diffuse = np.clip(normal @ direction, 0.0, None)  # (M,)
    specular = light.specular * np.clip(normal @ halfway, 0.0, None) ** light.shininess
    for material, share in MATT.items():
        specular[materials == material] *= share
    tint = np.asarray(light.colour, dtype=np.float32) / 255.0
    lit = albedo * (light.ambient + (1.0 - light.ambient) * diffuse)[:, None] + 255.0 * specular[:, None]
    return np.clip(lit * tint, 0, 255)


def _paint_probes(colours, materials, local, params: WildFaceParams, probes: tuple[int, ...]) -> None:
    """Probe discs (unlit) over the lit colours: the nose tip on the nose, the others on the face."""
    identity = params.identity
    on_face = tuple(i for i in probes if i != NOSE_TIP)
    _paint_rows(colours, materials == "face", local,
                lambda rows, x, y: parts.paint_probes(rows, x, y, identity, on_face))
    if NOSE_TIP in probes:
        _paint_rows(colours, materials == "nose", local,
                    lambda rows, x, y: parts.paint_probes(rows, x, y, identity, (NOSE_TIP,)))


def _paint_glasses(canvas, params: WildFaceParams, head: np.ndarray, xs, ys, depth: np.ndarray) -> None:
    """Lenses, rims and bridge in the head-frame plane ``z = lens_plane_z``, where it is in front."""
    identity = params.identity
    axis_z = head[:, 2]  # the plane's normal in the world
    t = (lens_plane_z(identity) - axis_z[0] * xs - axis_z[1] * ys) / axis_z[2]  # (N, N)
    x = head[0, 0] * xs + head[1, 0] * ys + head[2, 0] * t  # head-frame x on the plane
    y = head[0, 1] * xs + head[1, 1] * ys + head[2, 1] * t
    in_front = t > depth
    rx, ry = RIM[0] * identity.eye_width, RIM[1] * identity.eye_width
    lens = np.zeros(depth.shape, dtype=bool)
    frame = np.zeros(depth.shape, dtype=bool)
    for cx, cy in eye_centres(identity):
        ellipse = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
        lens |= ellipse < 1
        frame |= (ellipse >= 1) & (ellipse < (1 + RIM_WIDTH / ry) ** 2)
    spacing, eye_y = identity.eye_spacing, identity.eye_y
    frame |= (np.abs(x) < spacing - rx + RIM_WIDTH) & (np.abs(y - eye_y + BRIDGE[0]) < BRIDGE[1])
    lens &= in_front
    if identity.dark_lenses:
        canvas[lens] = canvas[lens] * DARK_LENS[0] + DARK_LENS[1]
    else:
        canvas[lens] = canvas[lens] * CLEAR_LENS + (1 - CLEAR_LENS) * 255.0 * (y[lens] < eye_y)[:, None]
    canvas[frame & in_front] = identity.glasses
