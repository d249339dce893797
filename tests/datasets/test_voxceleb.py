import numpy as np
import pytest
from PIL import Image

from landmarks.datasets import open_dataset
from landmarks.errors import ConfigError, DataError


def write_frames(root, layout):
    """``layout``: identity -> video -> utterances -> frame count; frames are JPEGs."""
    for identity, videos in layout.items():
        for video, utterances in videos.items():
            for utterance, count in utterances.items():
                folder = root / identity / video / utterance
                folder.mkdir(parents=True)
                for frame in range(count):
                    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(folder / f"{frame + 1:04d}.jpg")
    return root


LAYOUT = {
    "id10001": {"vidA": {"00001": 3, "00002": 2}, "vidB": {"00001": 4}},
    "id10002": {"vidC": {"00001": 5}},
    "id10003": {"vidD": {"00001": 5}},
}


def test_a_video_s_utterances_form_one_sequence(tmp_path):
    vox = open_dataset("voxceleb", write_frames(tmp_path / "vox", LAYOUT))
    videos = {video.name: video for video in vox.videos}
    assert sorted(videos) == ["id10001/vidA", "id10001/vidB", "id10002/vidC", "id10003/vidD"]
    assert videos["id10001/vidA"].frame_files == (
        "00001/0001.jpg",
        "00001/0002.jpg",
        "00001/0003.jpg",
        "00002/0001.jpg",
        "00002/0002.jpg",
    )


def test_excluded_identities_are_left_out(tmp_path):
    root = write_frames(tmp_path / "vox", LAYOUT)
    (root / "excluded_identities.txt").write_text("id10002\n")
    vox = open_dataset("voxceleb", root)
    assert vox.kept_identities == ["id10001", "id10003"]
    assert all(not video.name.startswith("id10002") for video in vox.videos)
    pairs = vox.training_pairs(vox.preprocessing.spec(8), split="train", validation_count=8)
    assert [v.name for v in pairs.videos] == ["id10001/vidA", "id10001/vidB"]  # id10003 held out
    assert pairs[0]["source"].shape == (3, 8, 8)
    with pytest.raises(ConfigError):
        vox.evaluation_splits()


def test_an_empty_root_is_an_error(tmp_path):
    (tmp_path / "vox").mkdir()
    with pytest.raises(DataError, match="one folder per VoxCeleb identity"):
        open_dataset("voxceleb", tmp_path / "vox")
    (tmp_path / "vox" / "id1" / "v").mkdir(parents=True)
    with pytest.raises(DataError, match="found neither frames"):
        _ = open_dataset("voxceleb", tmp_path / "vox").videos
