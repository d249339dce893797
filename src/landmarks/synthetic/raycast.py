"""Orthographic ray casting of ellipsoids: the 3-D geometry under the wild synthetic faces.

Convention:
    The world frame is the image's: x right, y down (in head units, see :mod:`landmarks.synthetic.wild_head`),
    z towards the camera. Every pixel casts the ray ``(x, y, t)``, ``t`` running towards the camera, so
    the visible surface is the one with the largest ``t`` (a depth buffer of ``t``). An ellipsoid is
    ``{centre + basis @ q : |q| = 1}`` in world coordinates. Rotations are ``(3, 3)`` matrices taking
    head-frame vectors to the world frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MISS = -np.inf  # the ray parameter of a pixel whose ray misses a surface


@dataclass(frozen=True)
class Ellipsoid:
    """``centre`` ``(3,)`` and ``basis`` ``(3, 3)``: the unit sphere's image, ``centre + basis @ q``."""

    centre: np.ndarray
    basis: np.ndarray

    @classmethod
    def aligned(cls, centre, radii, rotation: np.ndarray | None = None) -> Ellipsoid:
        """An ellipsoid with semi-axes ``radii`` along the columns of ``rotation`` (default: the axes)."""
        rotation = np.eye(3) if rotation is None else rotation
        return cls(
            np.asarray(centre, dtype=np.float64), rotation @ np.diag(np.asarray(radii, dtype=np.float64))
        )

    def moved(self, rotation: np.ndarray, offset: np.ndarray) -> Ellipsoid:
        """The ellipsoid rotated about the origin by ``rotation``, then shifted by ``offset`` ``(3,)``."""
        return Ellipsoid(rotation @ self.centre + offset, rotation @ self.basis)

    def frontmost(self) -> np.ndarray:
        """``(3,)`` the point of largest z: ``centre + B B^T e_z / |B^T e_z|``."""
        row = self.basis[2]  # B^T e_z
        return self.centre + self.basis @ row / np.linalg.norm(row)


def rotation_matrix(roll: float, yaw: float, pitch: float) -> np.ndarray:
    """``(3, 3)`` head-to-world rotation: pitch about x, then yaw about y, then roll about z (radians).

    With y down and z towards the camera, positive roll turns the face clockwise on screen, positive
    yaw turns it towards the image's right, positive pitch tips the chin towards the camera.
    """
    cr, sr, cy, sy, cp, sp = (
        np.cos(roll),
        np.sin(roll),
        np.cos(yaw),
        np.sin(yaw),
        np.cos(pitch),
        np.sin(pitch),
    )
    roll_m = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    yaw_m = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    pitch_m = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    return roll_m @ yaw_m @ pitch_m


def intersect(ellipsoid: Ellipsoid, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ray parameters of the near and far hits of the rays ``(x, y, t)``; :data:`MISS` where they miss.

    Args:
        xs, ys: ``(1, W)`` and ``(H, 1)`` world x and y of the pixel centres.

    Returns:
        ``(H, W)`` ``t`` (the dtype of ``xs``) of the hit nearest the camera (larger ``t``) and of the
        far one.
    """
    inverse = np.linalg.inv(ellipsoid.basis)  # world -> unit-sphere coordinates
    direction = inverse[:, 2]  # q moves by this per unit of t
    start = -inverse @ ellipsoid.centre
    # Python floats keep the pixels' dtype (float32 for images, float64 for exact points).
    qx, qy, qz = (float(m[0]) * xs + float(m[1]) * ys + float(s) for m, s in zip(inverse, start, strict=True))
    a = float(direction @ direction)
    half_b = qx * float(direction[0]) + qy * float(direction[1]) + qz * float(direction[2])  # (H, W)
    c = qx * qx + qy * qy + qz * qz - 1.0
    discriminant = half_b * half_b - a * c
    hit = discriminant >= 0
    root = np.sqrt(np.where(hit, discriminant, 0.0))
    near = np.where(hit, (root - half_b) / a, MISS)
    far = np.where(hit, (-root - half_b) / a, MISS)
    return near, far


def normals(ellipsoid: Ellipsoid, points: np.ndarray) -> np.ndarray:
    """``(N, 3)`` unit outward normals at ``(N, 3)`` world points on the ellipsoid: ``B^-T B^-1 (p - c)``."""
    inverse = np.linalg.inv(ellipsoid.basis)
    gradient = (points - ellipsoid.centre) @ (inverse.T @ inverse).astype(np.float32)  # (N, 3), symmetric
    return gradient / np.linalg.norm(gradient, axis=1, keepdims=True)


def front_z(ellipsoid: Ellipsoid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """World z of the near surface above the points ``(x, y)`` (any equal shapes); -inf off the ellipsoid."""
    near, _ = intersect(ellipsoid, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return near
