"""Synthetic body videos: determinism, joints in the pixel convention, smooth motion, pairs and splits."""

from __future__ import annotations

from dataclasses import replace

import av
import numpy as np
import pytest

from landmarks.config import DataConfig
from landmarks.datasets.bbc_pose import JOINT_NAMES as BBC_POSE_JOINT_NAMES
from landmarks.evaluation.annotations import read_annotations
from landmarks.synthetic.bodies import (
    BODY_JOINT_NAMES,
    SyntheticBodyPairs,
    body_video_params,
    build_synthetic_body_pairs,
    first_unused_video,
    synthetic_body_frame,
)
from landmarks.synthetic.body_drawing import render_body, with_appearance
from landmarks.synthetic.body_kinematics import body_joints, trajectory_value
from landmarks.synthetic.body_params import BodyParams, Framing, Motion, Trajectory
from landmarks.synthetic.body_videos import write_synthetic_body_videos

SHIRT = (40, 90, 200)
SKIN = (230, 180, 140)


def still(angle_deg: float) -> Trajectory:
    """A trajectory that stays at one angle."""
    angle = np.deg2rad(angle_deg)
    return Trajectory(angle, angle)


def symmetric_body(size: int) -> BodyParams:
    """Both arms alike, no drift, flat colours, no noise: the figure is its own mirror image."""
    motion = Motion(
        right_shoulder=still(20), right_elbow=still(60), left_shoulder=still(20), left_elbow=still(60),
        lean=still(0), head_tilt=still(0), shift_x=Trajectory(0, 0), shift_y=Trajectory(0, 0),
        scale=Trajectory(1, 1),
    )
    params = BodyParams(framing=Framing(neck=(0.5, 0.45), unit=0.17), motion=motion)
    return with_appearance(params, skin=SKIN, shirt=SHIRT, jacket=None, sleeves="long", hair_style="bald",
                           background="flat", background_colours=((0, 0, 0), (0, 0, 0)),
                           clothes_texture="plain", light_strength=0.0, noise_std=0.0)


def test_joint_names_are_bbc_poses():
    assert BODY_JOINT_NAMES == BBC_POSE_JOINT_NAMES


def test_same_seed_video_and_frame_give_the_same_bytes():
    image, joints = synthetic_body_frame(3, 5, 7, 64)
    again, joints_again = synthetic_body_frame(3, 5, 7, 64)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8 and joints.shape == (7, 2)
    assert np.array_equal(image, again) and np.array_equal(joints, joints_again)
    for other in [(3, 5, 8), (3, 6, 7), (4, 5, 7)]:
        assert not np.array_equal(image, synthetic_body_frame(*other, 64)[0])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="32 to 256"):
        synthetic_body_frame(0, 0, 0, 16)
    with pytest.raises(ValueError, match=">= 0"):
        synthetic_body_frame(0, -1, 0, 64)


def test_a_symmetric_body_is_drawn_and_annotated_mirror_symmetric():
    # x -> (S - 1) - x mirrors pixel centres: only the right pixel convention keeps image and joints aligned.
    size = 64
    params = symmetric_body(size)
    image, joints = render_body(params, 0, size), body_joints(params, 0, size)
    # PIL rasterises edges on the canvas grid, a little unevenly: compare the drawing's centre of mass
    weight = image.astype(float).sum(-1)  # (S, S), the background is black
    centre_x = (weight * np.arange(size)).sum() / weight.sum()
    assert centre_x == pytest.approx((size - 1) / 2, abs=0.15)
    unlike = np.abs(image.astype(int) - image[:, ::-1].astype(int)).max(-1) > 1
    assert unlike.sum() < 0.06 * (weight > 0).sum()  # only edge pixels differ
    assert joints[0, 0] == pytest.approx((size - 1) / 2)
    for right, left in [(1, 2), (3, 4), (5, 6)]:
        assert joints[right, 0] + joints[left, 0] == pytest.approx(size - 1)
        assert joints[right, 1] == pytest.approx(joints[left, 1])
        assert joints[right, 0] < joints[left, 0]  # the figure's right is on the image's left


def test_joints_lie_on_the_drawn_body():
    size = 128
    params = symmetric_body(size)
    image, joints = render_body(params, 0, size), body_joints(params, 0, size)
    pixel = {name: image[round(y), round(x)] for name, (x, y) in zip(BODY_JOINT_NAMES, joints, strict=True)}
    assert np.array_equal(pixel["head"], SKIN)
    assert np.array_equal(pixel["right_wrist"], SKIN) and np.array_equal(pixel["left_wrist"], SKIN)  # hands
    for name in ("right_elbow", "left_elbow", "right_shoulder", "left_shoulder"):
        assert np.array_equal(pixel[name], SHIRT), name


def test_the_head_joint_is_the_centre_of_the_face():
    size = 128
    params = symmetric_body(size)
    image, joints = render_body(params, 0, size), body_joints(params, 0, size)
    ys, xs = np.nonzero(np.all(image == SKIN, axis=-1) & (np.arange(size)[:, None] < joints[5, 1]))
    # the face ellipse less its eyes and mouth (symmetric in x, slightly below the centre in y)
    assert xs.mean() == pytest.approx(joints[0, 0], abs=0.1)
    assert ys.mean() == pytest.approx(joints[0, 1], abs=1.0)


def test_motion_is_smooth_and_not_still():
    size = 64
    for video in range(5):
        params = body_video_params(0, video)
        joints = np.stack([body_joints(params, t, size) for t in range(100)])  # (T, 7, 2)
        steps = np.linalg.norm(np.diff(joints, axis=0), axis=-1)  # (T - 1, 7)
        assert steps.max() < 0.05 * size  # at most ~3 px per frame at 64 px
        assert np.linalg.norm(joints[30] - joints[0], axis=-1).max() > 0.5


def test_trajectories_stay_within_their_limits():
    params = body_video_params(1, 2)
    for trajectory in vars(params.motion).values():
        values = [trajectory_value(trajectory, t) for t in range(0, 2000, 7)]
        assert trajectory.low - 1e-9 <= min(values) and max(values) <= trajectory.high + 1e-9


def test_pairs_respect_the_gap_and_stay_in_one_video():
    pairs = SyntheticBodyPairs(3, 20, 32, collection=2, start=10, gap=(2, 5))
    assert len(pairs) == 60
    for index in (0, 19, 20, 41, 59):
        item = pairs[index]
        assert item["video"] == 10 + index // 20
        source, target = item["frames"].tolist()
        assert 2 <= abs(source - target) <= 5 and 0 <= min(source, target) and max(source, target) < 20
        for key, joints, frame in zip(("source", "target"), item["keypoints"], (source, target), strict=True):
            expected, expected_joints = synthetic_body_frame(2, item["video"], frame, 32)
            assert np.allclose(item[key].permute(1, 2, 0).numpy() * 255, expected, atol=0.5)
            assert np.allclose(joints.numpy(), expected_joints, atol=1e-4)


def test_validation_videos_are_never_trained_on():
    config = DataConfig(source="synthetic-bodies", synthetic_videos=5, synthetic_video_frames=12,
                        validation_count=12, frame_gap=(2, 6))
    train = build_synthetic_body_pairs(config, 32, split="train")
    validation = build_synthetic_body_pairs(config, 32, split="validation")
    assert len(validation) == 12
    trained_videos = {train[i]["video"] for i in range(0, len(train), 6)}
    held_out = {item["video"] for item in validation}
    assert trained_videos == set(range(5)) and held_out == {5, 6}
    assert first_unused_video(config) == 7
    assert np.array_equal(validation[3]["source"], validation[3]["source"])  # fixed pairs
    assert build_synthetic_body_pairs(replace(config, validation_count=0), 32, split="validation") is None


def test_the_evaluation_writer_makes_a_csv_that_read_annotations_accepts(tmp_path):
    csv_path = write_synthetic_body_videos(tmp_path, [7, 8], frames=6, size=64, seed=1, every=2, mp4=True)
    annotations = read_annotations(csv_path, tmp_path)
    assert annotations.point_names == BODY_JOINT_NAMES
    assert len(annotations) == 6 and annotations.points.shape == (6, 7, 2)
    assert annotations.image_paths[1].as_posix() == "test/v000007/f0002.png"
    expected = synthetic_body_frame(1, 7, 2, 64)[1]
    assert np.allclose(annotations.points[1], expected)
    with av.open(str(tmp_path / "test" / "v000008.mp4")) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 3 and frames[0].shape == (64, 64, 3)


def test_synth_bodies_writes_held_out_regression_and_test_videos(tmp_path, capsys):
    from landmarks.cli import main

    out = tmp_path / "bodies"
    arguments = ["synth", "bodies", "--output", str(out), "--videos", "1", "--train-videos", "2",
                 "--frames", "4", "--every", "2", "data.synthetic_videos=10", "data.validation_count=16"]
    assert main(arguments) == 0
    train, test = (read_annotations(out / f"{name}.csv", out) for name in ("train", "test"))
    assert len(train) == 4 and len(test) == 2
    # after the 10 training and 2 validation videos of that config
    assert {path.parts[1] for path in train.image_paths} == {"v000012", "v000013"}
    assert test.image_paths[0].as_posix() == "test/v000014/f0000.png"
    assert (out / "test" / "v000014.mp4").is_file() and not (out / "train" / "v000012.mp4").exists()
    assert main(["synth", "bodies", "--output", str(out), "--frames", "0"]) == 2
    assert "--frames" in capsys.readouterr().err
