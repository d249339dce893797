import numpy as np
import pytest
import scipy.io
from PIL import Image

from landmarks.datasets import open_dataset
from landmarks.datasets.bbc_pose import JOINT_NAMES
from landmarks.errors import DataError

FIELDS = ("videoName", "type", "source", "train_frames", "train_joints", "test_frames", "test_joints")


def joints_of(video, frames):
    """(2, 7, N) 1-based joints as the toolkit stores them: x = 10 * video + joint, y = frame."""
    joints = np.zeros((2, 7, len(frames)))
    joints[0] = 10 * video + np.arange(7)[:, None]
    joints[1] = np.asarray(frames, dtype=float)[None, :]
    return joints


def write_bbc(root, frames_per_video=4, test_frames=(2, 3)):
    """The toolkit's bbcpose.mat (a 1 x 20 struct array) and one folder of JPEG frames per video."""
    entries = np.zeros((1, 20), dtype=[(f, object) for f in FIELDS])
    for video in range(1, 21):
        kind = "train" if video <= 10 else ("val" if video <= 15 else "test")
        frames = list(range(1, frames_per_video + 1))
        entry = entries[0, video - 1]
        entry["videoName"], entry["type"], entry["source"] = f"video{video}", kind, "tracker"
        entry["train_frames"] = np.array([frames], dtype=float)
        entry["train_joints"] = joints_of(video, frames)
        gt = list(test_frames) if kind != "train" else []
        entry["test_frames"] = np.array([gt], dtype=float).reshape(1, -1)
        entry["test_joints"] = joints_of(video, gt) if gt else np.zeros((0, 0))
        (root / str(video)).mkdir(parents=True)
        for frame in range(1, frames_per_video + 3):  # more frames on disk than annotated
            Image.fromarray(np.full((24, 32, 3), video, np.uint8)).save(root / str(video) / f"{frame}.jpg")
    scipy.io.savemat(root / "bbcpose.mat", {"bbcpose": entries})
    return root


@pytest.fixture
def bbc_root(tmp_path):
    return write_bbc(tmp_path / "bbc")


def test_splits_are_videos_1_10_11_15_16_20(bbc_root):
    splits = open_dataset("bbc-pose", bbc_root).evaluation_splits()
    videos = [{int(p.parts[0]) for p in s.image_paths} for s in (splits.train, splits.val, splits.test)]
    assert videos == [set(range(1, 11)), set(range(11, 16)), set(range(16, 21))]
    assert (len(splits.train), len(splits.val), len(splits.test)) == (40, 10, 10)  # test: manual frames
    assert splits.eye_indices is None
    assert splits.frame == "image"  # the toolkit's frames
    assert splits.test.point_names == JOINT_NAMES


def test_joints_become_0_based_x_y(bbc_root):
    splits = open_dataset("bbc-pose", bbc_root).evaluation_splits()
    assert splits.test.image_paths[1].as_posix() == "16/3.jpg"
    np.testing.assert_array_equal(splits.test.points[1][:, 0], 160 + np.arange(7) - 1)
    np.testing.assert_array_equal(splits.test.points[1][:, 1], 3 - 1)


def test_training_pairs_come_from_one_training_video(bbc_root):
    bbc = open_dataset("bbc-pose", bbc_root)
    spec = bbc.preprocessing.spec(16)
    pairs = bbc.training_pairs(spec, split="train", validation_count=8)
    held_out = bbc.training_pairs(spec, split="validation", validation_count=8)
    assert len(held_out) == 6  # all 6 frames of the one held-out video
    trained = {pairs.videos[i].name for i in range(len(pairs.videos))}
    assert trained == {str(n) for n in range(1, 10)}  # video 10 held out for validation
    item = pairs[0]
    assert item["source"].shape == (3, 16, 16)
    assert abs(float(item["source"].mean()) - float(item["target"].mean())) < 2 / 255  # same video


def test_missing_annotation_file_names_the_expected_path(bbc_root):
    (bbc_root / "bbcpose.mat").unlink()
    with pytest.raises(DataError, match="bbcpose.mat") as error:
        open_dataset("bbc-pose", bbc_root)
    assert error.value.path == bbc_root / "bbcpose.mat"


def test_a_missing_frame_is_named(bbc_root):
    (bbc_root / "17" / "2.jpg").unlink()
    with pytest.raises(DataError, match="17/2.jpg"):
        open_dataset("bbc-pose", bbc_root).evaluation_splits()


def test_pck_at_6_is_6_pixels_of_the_toolkits_half_resolution_frames(bbc_root):
    """The official evaluation halves predictions and ground truth, (p - 1) / 2 + 1, then tests 6 px:
    a joint 10 frame pixels off (5 toolkit pixels) is correct, one 14 off (7) is not."""
    from landmarks.evaluation.scores import score_predictions

    splits = open_dataset("bbc-pose", bbc_root).evaluation_splits()
    assert splits.pck_scale == 0.5
    truth = splits.test.points  # (M, 7, 2)
    one_based = truth + 1
    for offset, correct in ((10.0, 1.0), (14.0, 0.0)):
        predicted = truth + np.array([offset, 0.0])
        halved = ((predicted + 1 - 1) / 2 + 1, (one_based - 1) / 2 + 1)  # the toolkit's arithmetic
        assert np.linalg.norm(halved[0] - halved[1], axis=-1).max() == offset / 2
        scores = score_predictions("regression", predicted, truth, reference_indices=None, pck_distance=6.0,
                                   pck_distances=np.array([6.0]), pck_scale=splits.pck_scale)
        assert scores.mean_pck == correct
        assert scores.pixel_error == offset  # pixel errors stay in the frames' own pixels
