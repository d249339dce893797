import av
import numpy as np
import pytest
from cdflib.cdfwrite import CDF

from landmarks.datasets import open_dataset
from landmarks.datasets.human36m import loose_boxes, read_poses
from landmarks.errors import ConfigError, DataError

FRAMES, SIDE = 40, 48


def write_video(path, count):
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=50)
        stream.height = stream.width = SIDE
        stream.pix_fmt = "yuv420p"
        for index in range(count):
            pixels = np.full((SIDE, SIDE, 3), 4 * index, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())


def write_poses(path, poses):
    """A D2_Positions CDF: variable Pose, one record of (F, 64) numbers (x, y of 32 joints)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cdf = CDF(str(path))
    cdf.write_globalattrs({})
    spec = {
        "Variable": "Pose",
        "Data_Type": CDF.CDF_DOUBLE,
        "Num_Elements": 1,
        "Rec_Vary": True,
        "Dim_Sizes": list(poses.reshape(len(poses), 64).shape),
    }
    cdf.write_var(spec, var_data=poses.reshape(len(poses), 64))
    cdf.close()


def joints(count):
    poses = np.zeros((count, 32, 2))
    poses[:, :, 0] = np.linspace(10, 30, 32)  # x from 10 to 30
    poses[:, :, 1] = np.linspace(20, 28, 32) + np.arange(count)[:, None] * 0.1
    return poses


def write_h36m(root, subjects=("S1", "S5", "S6", "S7", "S8", "S9")):
    for subject in subjects:
        for action in ("Walking 1.54138969", "Posing.55011271"):
            write_video(root / subject / "Videos" / f"{action}.mp4", FRAMES)
            write_poses(root / subject / "MyPoseFeatures/D2_Positions" / f"{action}.cdf", joints(FRAMES - 2))
    return root


def test_poses_and_loose_boxes(tmp_path):
    path = tmp_path / "pose.cdf"
    write_poses(path, joints(5))
    poses = read_poses(path)
    assert poses.shape == (5, 32, 2)
    np.testing.assert_allclose(poses[0, -1], [30, 28])
    box = loose_boxes(poses[:1])[0]  # joints span 20 x 8 around (20, 24): a 30 px square
    np.testing.assert_allclose(box, [5, 9, 35, 39])


def test_pairs_are_3_to_30_frames_apart_and_cropped(tmp_path):
    h36m = open_dataset("human36m", write_h36m(tmp_path / "h36m", ("S1", "S5", "S6", "S7", "S8", "S9")))
    pairs = h36m.training_pairs(h36m.preprocessing.spec(16), split="train", validation_count=8)
    assert pairs.gap == (3, 30) and pairs.boxes is not None
    assert all(video.frame_count == FRAMES - 2 for video in pairs.videos)  # capped by the poses
    for index in range(0, len(pairs), 37):
        frames = pairs[index]["frames"].tolist()
        assert 3 <= abs(frames[0] - frames[1]) <= 30
    assert pairs[0]["source"].shape == (3, 16, 16)
    with pytest.raises(ConfigError):
        h36m.evaluation_splits()


def test_a_missing_subject_folder_is_named(tmp_path):
    root = write_h36m(tmp_path / "h36m", ("S1", "S5", "S6", "S7", "S8"))
    with pytest.raises(DataError) as error:
        open_dataset("human36m", root)
    assert error.value.path == root / "S9/Videos"
