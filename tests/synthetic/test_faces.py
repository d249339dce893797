import csv

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.synthetic.face_params import Appearance, FaceParams, Pose
from landmarks.synthetic.faces import (
    SYNTHETIC_FACE_EYES,
    SYNTHETIC_FACE_POINT_NAMES,
    SyntheticFaces,
    render_face,
    sample_face_params,
    synthetic_face,
    write_synthetic_faces,
)

SIZE = 64
PUPIL_MAX = 60  # the pupil is drawn (12, 10, 10); antialiasing and noise keep it below this


@pytest.fixture(scope="module")
def faces():
    """50 faces of collection 0 at 64 px, with their parameters."""
    params = [sample_face_params(np.random.default_rng([0, i])) for i in range(50)]
    return params, [synthetic_face(0, i, SIZE) for i in range(50)]


def quiet_face(**pose) -> FaceParams:
    """The default face without pixel noise, in the given pose."""
    return FaceParams(pose=Pose(**pose), appearance=Appearance(noise_std=0.0))


def test_same_seed_and_index_give_identical_bytes():
    image_a, points_a = synthetic_face(3, 7, SIZE)
    image_b, points_b = synthetic_face(3, 7, SIZE)
    assert image_a.tobytes() == image_b.tobytes()
    np.testing.assert_array_equal(points_a, points_b)
    assert image_a.shape == (SIZE, SIZE, 3) and image_a.dtype == np.uint8
    assert points_a.shape == (5, 2) and points_a.dtype == np.float64


def test_different_index_or_seed_gives_a_different_face():
    image, points = synthetic_face(3, 7, SIZE)
    for other_image, other_points in (synthetic_face(3, 8, SIZE), synthetic_face(4, 7, SIZE)):
        assert np.abs(image.astype(int) - other_image).mean() > 10
        assert not np.allclose(points, other_points)


def test_faces_vary_in_geometry_and_colour(faces):
    _, rendered = faces
    points = np.stack([p for _, p in rendered])  # (50, 5, 2)
    left, right = points[:, SYNTHETIC_FACE_EYES[0]], points[:, SYNTHETIC_FACE_EYES[1]]
    interocular = np.linalg.norm(right - left, axis=1)
    angle = np.degrees(np.arctan2(right[:, 1] - left[:, 1], right[:, 0] - left[:, 0]))
    assert left.std(axis=0).min() > 0.035 * SIZE  # position
    assert interocular.std() / interocular.mean() > 0.1  # scale, identity and yaw
    assert angle.std() > 8 and angle.min() < -15 and angle.max() > 15  # in-plane rotation
    mean_colours = np.stack([image.reshape(-1, 3).mean(0) for image, _ in rendered])  # (50, 3)
    assert mean_colours.std(axis=0).min() > 10


def test_face_params_vary(faces):
    params, _ = faces
    assert len({p.appearance.hair_style for p in params}) >= 4
    assert len({p.appearance.background for p in params}) >= 4
    assert any(p.geometry.mouth_open > 0 for p in params) and any(p.geometry.mouth_open == 0 for p in params)
    assert np.std([p.geometry.eye_openness for p in params]) > 0.05


def test_keypoints_are_inside_ordered_and_the_face_is_dominant(faces):
    _, rendered = faces
    points = np.stack([p for _, p in rendered])  # (50, 5, 2)
    assert points.min() > 0 and points.max() < SIZE - 1
    assert (points[:, 0, 0] < points[:, 1, 0]).all()  # left eye on the image's left
    assert (points[:, 3, 0] < points[:, 4, 0]).all()  # left mouth corner on the image's left
    assert (points[:, 2, 1] > points[:, :2, 1].mean(1) - 0.1 * SIZE).all()  # nose below the eyes
    eyes_to_mouth = np.linalg.norm(points[:, 3:].mean(1) - points[:, :2].mean(1), axis=1)
    assert 0.15 * SIZE < eyes_to_mouth.mean() < 0.4 * SIZE


@pytest.mark.parametrize("pose", [{}, {"rotation": 22.0, "yaw": 12.0, "centre": (0.45, 0.5)}])
def test_keypoints_sit_on_the_drawn_features(pose):
    params = quiet_face(**pose)
    image, points = render_face(params, 128)
    for eye in points[:2]:
        x, y = np.round(eye).astype(int)
        assert image[y, x].max() < PUPIL_MAX, "the eye point is on the pupil"
    x, y = np.round(points[2]).astype(int)
    tip = np.asarray(params.appearance.skin) * 1.08
    assert np.abs(image[y, x] - tip).max() < 8, "the nose point is on the tip's highlight"
    lips = np.asarray(params.appearance.lips)
    middle = points[3:].mean(0)
    for corner in points[3:]:
        inside = np.round(corner + 2.0 * (middle - corner) / np.linalg.norm(middle - corner)).astype(int)
        assert np.abs(image[inside[1], inside[0]] - lips).max() < 60, "2 px inside a corner is lip"


def test_random_faces_have_their_eye_points_on_the_iris_or_pupil():
    for index in range(20):
        params = sample_face_params(np.random.default_rng([5, index]))
        image, points = render_face(params, 128)
        skin, iris = np.asarray(params.appearance.skin), np.asarray(params.appearance.iris)
        for eye in points[:2]:
            x, y = np.round(eye).astype(int)
            pixel = image[y, x].astype(float)
            to_eye = min(np.linalg.norm(pixel - iris), np.linalg.norm(pixel - (12, 10, 10)))
            assert to_eye < np.linalg.norm(pixel - skin), f"face {index}"


def test_render_face_rejects_sizes_out_of_range():
    with pytest.raises(ValueError, match="32 to 256"):
        render_face(FaceParams(), 16)


def test_point_names_and_eyes():
    assert SYNTHETIC_FACE_POINT_NAMES == ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
    assert [SYNTHETIC_FACE_POINT_NAMES[i] for i in SYNTHETIC_FACE_EYES] == ["left_eye", "right_eye"]


def test_dataset_items_match_the_generator():
    dataset = SyntheticFaces(4, 32, seed=2, start=10)
    assert len(dataset) == 4
    item = dataset[1]
    image, points = synthetic_face(2, 11, 32)
    assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.float32
    assert 0.0 <= item["image"].min() and item["image"].max() <= 1.0
    assert item["keypoints"].shape == (5, 2) and item["keypoints"].dtype == torch.float32
    assert item["index"] == 1
    torch.testing.assert_close(item["image"], torch.from_numpy(image).permute(2, 0, 1).float() / 255)
    torch.testing.assert_close(item["keypoints"], torch.from_numpy(points).float())
    with pytest.raises(IndexError):
        dataset[4]


def test_written_csv_matches_the_images_and_points(tmp_path):
    csv_path = write_synthetic_faces(tmp_path, count=3, size=48, seed=1, split_name="test", start=5)
    assert csv_path == tmp_path / "test.csv"
    with csv_path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["image", "x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"]
    assert len(rows) == 4
    for offset, row in enumerate(rows[1:]):
        image, points = synthetic_face(1, 5 + offset, 48)
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / row[0])), image)
        np.testing.assert_allclose(np.array(row[1:], dtype=float).reshape(5, 2), points, atol=1e-3)
