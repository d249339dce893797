"""Video pair sources: the cached index, skipped videos, frame folders, boxes, gap ranges."""

import logging

import numpy as np
import pytest
import torch

from landmarks.data import video_index
from landmarks.data.frame_boxes import crop_box, read_boxes
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.video_index import index_videos, natural_key
from landmarks.data.video_pairs import VideoPairs, sample_frame_pair, select_videos
from landmarks.errors import DataError

SPEC = ResizeSpec(16)


def collection(root, videos, lengths=(20, 35, 50)):
    for number, length in enumerate(lengths):
        videos.write_coded(root / f"set{number % 2}" / f"v{number}.mkv", number, length)
    return root


def test_pairs_respect_the_gap_and_never_cross_videos(tmp_path, videos):
    index = index_videos(collection(tmp_path / "videos", videos), "video-files")
    usable, skipped = select_videos(index, (3, 8))
    assert [v.name for v in usable] == ["set0/v0.mkv", "set0/v2.mkv", "set1/v1.mkv"] and not skipped
    pairs = VideoPairs(usable, SPEC, gap=(3, 8))
    assert len(pairs) == 20 + 50 + 35
    gaps, earlier_source = set(), 0
    for i in range(0, len(pairs), 3):
        item = pairs[i]
        (video_s, frame_s), (video_t, frame_t) = videos.decode(item["source"]), videos.decode(item["target"])
        code = {"set0/v0.mkv": 0, "set0/v2.mkv": 2, "set1/v1.mkv": 1}[usable[item["video"]].name]
        assert video_s == video_t == code
        assert [frame_s, frame_t] == item["frames"].tolist()
        assert 3 <= abs(frame_s - frame_t) <= 8
        gaps.add(abs(frame_s - frame_t))
        earlier_source += frame_s < frame_t
    assert len(gaps) > 3 and 0 < earlier_source < len(range(0, len(pairs), 3))  # both orders occur


def test_frame_pair_sampling_covers_the_whole_range_and_nothing_more():
    generator = torch.Generator().manual_seed(0)
    draws = [sample_frame_pair(10, (3, 30), generator) for _ in range(2000)]
    gaps = {abs(a - b) for a, b in draws}
    frames = {f for pair in draws for f in pair}
    assert gaps == set(range(3, 10)) and frames == set(range(10))
    with pytest.raises(ValueError, match="no two frames 3 apart"):
        sample_frame_pair(3, (3, 30), generator)


def test_the_index_is_cached_and_reused_without_decoding(tmp_path, videos, monkeypatch):
    root = collection(tmp_path / "videos", videos)
    first = index_videos(root, "video-files")
    assert (root / ".landmarks-index-video-files.json").is_file()

    def no_decoding(path):
        raise AssertionError(f"re-probed {path}")

    monkeypatch.setattr(video_index, "probe_video", no_decoding)
    assert index_videos(root, "video-files") == first
    videos.write_coded(root / "new.mkv", 5, 12)  # only the new file is probed
    with pytest.raises(AssertionError, match="new.mkv"):
        index_videos(root, "video-files")


def test_bad_and_short_videos_are_reported_and_skipped(tmp_path, videos, caplog):
    root = collection(tmp_path / "videos", videos)
    (root / "noise.mp4").write_bytes(
        np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    )
    cut = videos.write_coded(root / "cut.mkv", 4, 40)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    videos.write_coded(root / "short.mkv", 3, 3)
    from landmarks.data.skipped import report_skipped

    index = index_videos(root, "video-files")
    usable, skipped = select_videos(index, (3, 30))
    with caplog.at_level(logging.WARNING, logger="landmarks.data"):
        report_skipped(root, "videos", index.total, skipped)
    lines = caplog.messages
    assert any("noise.mp4" in line and "cannot open video" in line for line in lines)
    assert any("cut.mkv" in line and "truncated" in line for line in lines)
    assert any("short.mkv" in line and "too short: 3 frame(s)" in line for line in lines)
    assert lines[-1].endswith("skipped 3 of 6 videos") and len(usable) == 3


def test_all_videos_unusable_is_a_data_error(tmp_path, videos):
    root = tmp_path / "videos"
    videos.write_coded(root / "short.mkv", 0, 2)
    (root / "empty.webm").write_bytes(b"")
    from landmarks.data.skipped import report_skipped

    index = index_videos(root, "video-files")
    _, skipped = select_videos(index, (3, 30))
    with pytest.raises(DataError, match="all 2 videos are unusable"):
        report_skipped(root, "videos", index.total, skipped)


def test_a_frame_that_fails_later_is_replaced_by_another_video(tmp_path, videos, caplog):
    root = collection(tmp_path / "videos", videos, lengths=(20, 20))
    usable, _ = select_videos(index_videos(root, "video-files"), (3, 5))
    (root / "set0" / "v0.mkv").write_bytes(b"gone bad after indexing")
    pairs = VideoPairs(usable, SPEC, gap=(3, 5))
    with caplog.at_level(logging.WARNING, logger="landmarks.data"):
        item = pairs[0]  # item 0 belongs to v0
    assert usable[item["video"]].name == "set1/v1.mkv" and pairs.read_failures == 1
    assert "v0.mkv" in caplog.messages[0]


def test_frame_folders_in_natural_order(tmp_path, videos):
    root = tmp_path / "frames"
    videos.write_frames(root / "a", 0, 12)
    videos.write_frames(root / "b" / "c", 1, 15)
    index = index_videos(root, "frame-folders")
    assert [(v.name, v.frame_count) for v in index.videos] == [("a", 12), ("b/c", 15)]
    assert index.videos[0].frame_files[:3] == ("frame1.png", "frame2.png", "frame3.png")
    pairs = VideoPairs(index.videos, SPEC, gap=(2, 4))
    for i in range(len(pairs)):
        item = pairs[i]
        (video_s, frame_s), (video_t, frame_t) = videos.decode(item["source"]), videos.decode(item["target"])
        assert video_s == video_t == item["video"] and [frame_s, frame_t] == item["frames"].tolist()
    assert sorted(["x10", "x9", "x1"], key=natural_key) == ["x1", "x9", "x10"]


def test_boxes_crop_in_the_pixel_convention(tmp_path):
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    image[20:52, 10:42] = 255  # rows 20..39 (the image ends), columns 10..41
    crop = crop_box(image, np.array([10.0, 20.0, 41.0, 51.0]))
    assert crop.shape == (32, 32, 3)
    assert crop[:20].min() == 255 and crop[20:].max() == 0  # below the image: black
    assert crop_box(image, np.array([9.6, 19.7, 41.4, 51.2])).shape == (32, 32, 3)  # rounded


def test_boxes_csv_gives_each_frame_its_nearest_box(tmp_path, videos):
    csv_path = tmp_path / "boxes.csv"
    csv_path.write_text("video,frame,x0,y0,x1,y1\nv.mkv,0,0,0,7,7\nv.mkv,10,8,4,23,19\n")
    boxes = read_boxes(csv_path)
    assert boxes.box("v.mkv", 3).tolist() == [0, 0, 7, 7] and boxes.box("v.mkv", 7).tolist() == [8, 4, 23, 19]
    # A video whose left half is red-coded 0 and right half 1: the box of frame >= 5 sees only the right.
    frames = []
    for f in range(12):
        left, right = videos.coded_frame(0, f), videos.coded_frame(1, f)
        frames.append(np.concatenate([left[:, :8], right[:, 8:]], axis=1))
    videos.write(tmp_path / "data" / "v.mkv", frames)
    usable, _ = select_videos(index_videos(tmp_path / "data", "video-files"), (6, 11), boxes)
    pairs = VideoPairs(usable, SPEC, gap=(6, 11), boxes=boxes)
    for i in range(len(pairs)):
        item = pairs[i]
        late = int(np.argmax(item["frames"].numpy()))
        assert videos.decode((item["source"], item["target"])[late])[0] == 1  # cropped to the right half


def test_videos_without_boxes_are_skipped(tmp_path, videos):
    csv_path = tmp_path / "boxes.csv"
    csv_path.write_text("video,frame,x0,y0,x1,y1\nv0.mkv,0,0,0,7,7\n")
    for number in range(2):
        videos.write_coded(tmp_path / "data" / f"v{number}.mkv", number, 8)
    usable, skipped = select_videos(
        index_videos(tmp_path / "data", "video-files"), (3, 5), read_boxes(csv_path)
    )
    assert [v.name for v in usable] == ["v0.mkv"] and skipped[0].name == "v1.mkv"
    assert "no boxes" in skipped[0].problem


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("video,frame,x0,y0,x1\n", "lacks column"),
        ("video,frame,x0,y0,x1,y1\nv,1,5,5,2,9\n", "line 2: need"),
        ("video,frame,x0,y0,x1,y1\nv,one,0,0,1,1\n", "line 2: frame must be an integer"),
    ],
)
def test_bad_boxes_csv_is_a_data_error(tmp_path, text, message):
    (tmp_path / "boxes.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        read_boxes(tmp_path / "boxes.csv")
