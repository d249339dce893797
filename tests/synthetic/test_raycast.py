"""Ray casting of ellipsoids: hand-built hits, normals, frontmost points and rotation conventions."""

from __future__ import annotations

import numpy as np
import pytest

from landmarks.synthetic.raycast import MISS, Ellipsoid, front_z, intersect, normals, rotation_matrix


def test_a_unit_sphere_is_hit_at_its_poles_and_missed_beside_it():
    sphere = Ellipsoid.aligned((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    near, far = intersect(sphere, np.array([[0.0, 0.6, 2.0]]), np.array([[0.0], [0.8]]))  # (2, 3)
    assert near[0, 0] == pytest.approx(1.0) and far[0, 0] == pytest.approx(-1.0)
    assert near[0, 1] == pytest.approx(0.8) and near[1, 0] == pytest.approx(0.6)
    assert near[1, 1] == pytest.approx(0.0, abs=1e-6)  # grazing: x^2 + y^2 = 1
    assert near[0, 2] == MISS and far[1, 2] == MISS


def test_a_shifted_ellipsoid_has_its_front_at_centre_plus_depth():
    ellipsoid = Ellipsoid.aligned((1.0, -2.0, 0.5), (0.5, 2.0, 3.0))
    assert float(front_z(ellipsoid, 1.0, -2.0)) == pytest.approx(3.5)
    assert float(front_z(ellipsoid, 1.0 + 0.5 * np.sqrt(0.75), -2.0)) == pytest.approx(0.5 + 3.0 * 0.5)


def test_normals_of_a_sphere_point_away_from_its_centre():
    sphere = Ellipsoid.aligned((1.0, 1.0, 1.0), (2.0, 2.0, 2.0))
    directions = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, -1.0]])
    np.testing.assert_allclose(normals(sphere, sphere.centre + 2.0 * directions), directions, atol=1e-6)


def test_frontmost_point_of_a_turned_ellipsoid_matches_a_dense_search():
    ellipsoid = Ellipsoid.aligned((0.2, 0.1, -0.3), (0.4, 1.0, 0.6), rotation_matrix(0.3, -0.5, 0.7))
    theta, phi = np.meshgrid(np.linspace(0, np.pi, 200), np.linspace(0, 2 * np.pi, 400))
    sphere = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], -1)
    surface = ellipsoid.centre + sphere.reshape(-1, 3) @ ellipsoid.basis.T  # (P, 3)
    best = surface[surface[:, 2].argmax()]
    np.testing.assert_allclose(ellipsoid.frontmost(), best, atol=1e-2)


def test_rotations_are_proper_and_turn_the_way_the_docstring_says():
    rotation = rotation_matrix(0.2, -0.4, 0.3)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    nose = np.array([0.0, 0.0, 1.0])  # out of the face, towards the camera
    assert (rotation_matrix(0.0, 0.3, 0.0) @ nose)[0] > 0  # positive yaw: towards the image's right
    assert (rotation_matrix(0.0, 0.0, 0.3) @ np.array([0.0, 1.0, 0.0]))[2] > 0  # positive pitch: chin forward
    assert (rotation_matrix(0.3, 0.0, 0.0) @ np.array([1.0, 0.0, 0.0]))[1] > 0  # positive roll: clockwise
