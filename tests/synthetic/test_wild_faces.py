"""Wild synthetic faces: exact points (probe colours), left stays left, determinism, videos, CLI, sources."""

from __future__ import annotations

import csv
import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.cli import main
from landmarks.config import DataConfig
from landmarks.data.preloaded import PreloadedImages
from landmarks.data.sources import build_training_dataset, build_validation_dataset
from landmarks.evaluation.annotations import read_annotations
from landmarks.synthetic.wild_face_params import (
    MAX_PITCH,
    MAX_ROLL,
    MAX_YAW,
    Damage,
    Pose,
    sample_wild_face_params,
)
from landmarks.synthetic.wild_face_parts import PROBE_COLOURS
from landmarks.synthetic.wild_face_videos import video_frame_params, wild_face_video_frame
from landmarks.synthetic.wild_faces import (
    WILD_FACE_EYES,
    SyntheticWildFaces,
    render_wild_face,
    wild_face,
    wild_face_points,
    without_occluders,
)

PROBE_SIZE = 128  # probes are about 2.5 px across here
PROBE_TOLERANCE = 40  # grey levels: a probe pixel is its colour up to the anti-aliasing of its edge
ALL_POINTS = (0, 1, 2, 3, 4)


def params_of(index: int, seed: int = 0):
    return sample_wild_face_params(np.random.default_rng([seed, index]))


def extreme_poses():
    """Every corner of the pose ranges: roll, yaw and pitch at their limits."""
    for roll, yaw, pitch in itertools.product(
        (-MAX_ROLL, MAX_ROLL), (-MAX_YAW, MAX_YAW), (-MAX_PITCH, MAX_PITCH)
    ):
        yield Pose(roll=roll, yaw=yaw, pitch=pitch)


def assert_probes_on_points(params) -> None:
    image, points = render_wild_face(without_occluders(params), PROBE_SIZE, probes=ALL_POINTS)
    for index, (x, y) in enumerate(points):
        pixel = image[int(round(y)), int(round(x))].astype(int)
        assert np.abs(pixel - PROBE_COLOURS[index]).max() <= PROBE_TOLERANCE, (index, pixel, params.pose)
        probe = np.all(np.abs(image.astype(int) - PROBE_COLOURS[index]) <= PROBE_TOLERANCE, axis=2)  # (S, S)
        rows, columns = np.nonzero(probe)
        near = np.hypot(columns - x, rows - y) < 4  # this probe's disc, not the same colour elsewhere
        centroid = np.array([columns[near].mean(), rows[near].mean()])
        assert np.linalg.norm(centroid - (x, y)) < 1.0, (index, centroid, (x, y))


def test_same_seed_and_index_give_identical_bytes():
    image_a, points_a = wild_face(3, 7, 64)
    image_b, points_b = wild_face(3, 7, 64)
    assert image_a.tobytes() == image_b.tobytes()
    np.testing.assert_array_equal(points_a, points_b)
    assert image_a.shape == (64, 64, 3) and image_a.dtype == np.uint8
    assert points_a.shape == (5, 2) and points_a.dtype == np.float64


def test_different_index_or_seed_gives_a_different_face():
    image, points = wild_face(3, 7, 48)
    for other_image, other_points in (wild_face(3, 8, 48), wild_face(4, 7, 48)):
        assert np.abs(image.astype(int) - other_image).mean() > 10
        assert not np.allclose(points, other_points)


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match="32 to 256"):
        wild_face(0, 0, 16)


@pytest.mark.parametrize("index", range(6))
def test_probes_of_random_faces_sit_on_the_annotated_points(index):
    assert_probes_on_points(params_of(index))


@pytest.mark.parametrize(
    "pose", list(extreme_poses()), ids=lambda p: f"r{p.roll:+.2f}y{p.yaw:+.2f}p{p.pitch:+.2f}"
)
def test_probes_sit_on_the_points_at_every_extreme_pose(pose):
    assert_probes_on_points(replace(params_of(11), pose=pose))


def test_left_and_right_never_swap():
    """Left eye and mouth corner stay left of the right ones, in the points and in the drawn probes."""
    poses = [params_of(i).pose for i in range(200)] + list(extreme_poses())
    for index, pose in enumerate(poses):
        points = wild_face_points(replace(params_of(index), pose=pose), 64)
        assert points[0, 0] < points[1, 0] and points[3, 0] < points[4, 0], pose
    for pose in extreme_poses():  # the probe colour drawn at each point (above) is that point's own
        image, points = render_wild_face(
            without_occluders(replace(params_of(5), pose=pose)), PROBE_SIZE, probes=(0, 1)
        )
        left, right = (image[int(round(y)), int(round(x))].astype(int) for x, y in points[:2])
        assert np.abs(left - PROBE_COLOURS[0]).max() <= PROBE_TOLERANCE
        assert np.abs(right - PROBE_COLOURS[1]).max() <= PROBE_TOLERANCE


def test_poses_vary_as_much_as_the_issue_asks():
    poses = [params_of(i).pose for i in range(500)]
    roll, yaw, pitch = (np.array([getattr(p, name) for p in poses]) for name in ("roll", "yaw", "pitch"))
    assert np.abs(roll).max() > 0.9 * MAX_ROLL and np.abs(yaw).max() > 0.9 * MAX_YAW
    assert (
        np.abs(roll).max() <= MAX_ROLL and np.abs(yaw).max() <= MAX_YAW and np.abs(pitch).max() <= MAX_PITCH
    )
    centres = np.array([p.centre for p in poses])
    assert np.ptp(centres, axis=0).min() > 0.18  # +-10% of the width
    assert np.ptp([p.scale for p in poses]) / np.mean([p.scale for p in poses]) > 0.35  # +-20%


def test_occluders_and_damage_leave_the_points_where_they_are():
    for index in range(20):
        params = params_of(index)
        np.testing.assert_array_equal(
            render_wild_face(params, 32)[1], render_wild_face(without_occluders(params), 32)[1]
        )


def test_yaw_foreshortens_the_face():
    """Turning the head brings the eyes closer on screen by about cos(yaw) (real 3-D rotation)."""
    params = params_of(2)
    frontal = wild_face_points(replace(params, pose=Pose()), 128)
    turned = wild_face_points(replace(params, pose=Pose(yaw=MAX_YAW)), 128)
    ratio = (turned[1, 0] - turned[0, 0]) / (frontal[1, 0] - frontal[0, 0])
    assert ratio == pytest.approx(np.cos(MAX_YAW), abs=0.02)
    assert turned[2, 0] - turned[:2, 0].mean() > 1.0  # the nose tip stands out of the face: it moves more


def test_some_faces_are_grey_and_some_jpeg_compressed():
    damages = [params_of(i).damage for i in range(200)]
    assert any(d.grey for d in damages) and not all(d.grey for d in damages)
    qualities = [d.jpeg_quality for d in damages if d.jpeg_quality is not None]
    assert min(qualities) >= 20 and max(qualities) <= 90 and len(qualities) > 50
    grey = next(i for i, d in enumerate(damages) if d.grey)
    image = wild_face(0, grey, 32)[0].astype(int)
    assert np.abs(image - image.mean(axis=2, keepdims=True)).max() <= 12  # grey up to JPEG's chroma noise


def test_video_frames_keep_the_identity_and_drift_smoothly():
    frames = [video_frame_params(0, 3, f / 40) for f in range(40)]
    assert all(f.identity == frames[0].identity for f in frames)
    points = np.stack([wild_face_points(f, 64) for f in frames])  # (40, 5, 2)
    steps = np.linalg.norm(np.diff(points, axis=0), axis=2)  # (39, 5)
    assert steps.max() < 3.0 and np.ptp(points[:, 2], axis=0).max() > 3.0  # smooth, and it moves
    assert video_frame_params(0, 4, 0.0).identity != frames[0].identity
    image, frame_points = wild_face_video_frame(0, 3, 5, 40, 32)
    np.testing.assert_allclose(frame_points, wild_face_points(frames[5], 32))


def test_dataset_items_and_the_data_source(tmp_path):
    item = SyntheticWildFaces(3, 32, seed=1, start=5)[2]
    image, points = wild_face(1, 7, 32)
    assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.float32
    assert torch.equal(item["image"], torch.from_numpy(image).permute(2, 0, 1).float() / 255)
    np.testing.assert_allclose(item["keypoints"].numpy(), points, rtol=1e-6)
    config = DataConfig(
        source="synthetic-wild-faces", synthetic_count=6, validation_count=2, synthetic_seed=1
    )
    train, validation = build_training_dataset(config, 32), build_validation_dataset(config, 32)
    assert (
        isinstance(train, SyntheticWildFaces)
        and len(train) == 6
        and (train.start, validation.start) == (0, 6)
    )
    preloaded = PreloadedImages(SyntheticWildFaces(2, 32, seed=1, start=5))
    assert torch.equal(preloaded[1]["image"], SyntheticWildFaces(2, 32, seed=1, start=5)[1]["image"])


def test_cli_writes_train_test_and_video_folders(tmp_path):
    out = tmp_path / "wild"
    status = main(
        [
            "synth",
            "wild-faces",
            "--output",
            str(out),
            "--count",
            "4",
            "--test-count",
            "2",
            "--size",
            "32",
            "--seed",
            "3",
            "--videos",
            "2",
            "--frames",
            "3",
        ]
    )
    assert status == 0
    with (out / "train.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["image", "x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"]
    assert [row[0] for row in rows[1:]] == [f"train/{i:06d}.png" for i in range(4)]
    image, points = wild_face(3, 1, 32)
    assert np.array_equal(np.asarray(Image.open(out / "train/000001.png")), image)
    np.testing.assert_allclose(np.array(rows[2][1:], dtype=float).reshape(5, 2), points)
    test = read_annotations(out / "test.csv", out)  # what landmarks evaluate --test reads
    assert [str(p) for p in test.image_paths] == ["test/000004.png", "test/000005.png"]
    videos = read_annotations(out / "videos.csv", out)
    assert len(videos) == 6 and (out / "videos/id000001/000002.png").is_file()
    folder = build_training_dataset(
        DataConfig(source="image-folder", root=str(out / "train"), validation_count=0), 32
    )
    assert len(folder) == 4  # landmarks fit --data-root DIR/train
    pairs = build_training_dataset(
        DataConfig(source="frame-folders", root=str(out / "videos"), frame_gap=(1, 2), validation_count=0), 32
    )
    assert len(pairs) > 0  # landmarks fit --data frame-folders --data-root DIR/videos


def test_cli_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["synth", "wild-faces", "--output", str(tmp_path), "--count", "-1"]) == 2
    assert main(["synth", "wild-faces", "--output", str(tmp_path), "--size", "16"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 2 and all(line.startswith("landmarks synth: error:") for line in error)


def test_eye_indices_name_the_eyes():
    assert WILD_FACE_EYES == (0, 1)
    assert Damage() == Damage(blur=0.0, noise=0.0, jpeg_quality=None)
