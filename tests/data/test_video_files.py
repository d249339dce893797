"""Probing and decoding single frames of video files (landmarks.data.video_files)."""

import av
import numpy as np
import pytest

from landmarks.data.video_files import FrameTimeline, probe_video, read_video_frames
from landmarks.errors import DataError


def noise_frames(count, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(count)]


def test_lossless_video_decodes_back_frame_exact(tmp_path, videos):
    frames = noise_frames(40)
    path = videos.write(tmp_path / "clip.mkv", frames)
    timeline = probe_video(path)
    assert timeline.count == 40 and timeline.seekable
    wanted = [37, 3, 17, 3, 0, 39]  # any order, a repeat
    decoded = read_video_frames(path, timeline, wanted)
    for index, pixels in zip(wanted, decoded, strict=True):
        assert pixels.dtype == np.uint8 and np.array_equal(pixels, frames[index]), index


@pytest.mark.parametrize(("codec", "suffix"), [("libx264", ".mp4"), ("mpeg4", ".avi")])
def test_lossy_codecs_with_key_frame_gaps_find_the_right_frame(tmp_path, videos, codec, suffix):
    path = videos.write_coded(tmp_path / f"clip{suffix}", video=1, frame_count=60, codec=codec)
    timeline = probe_video(path)
    assert timeline.count == 60
    with av.open(str(path)) as container:  # the slow, obviously correct way: decode everything
        everything = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    wanted = [5, 50, 51, 12]
    for index, pixels in zip(wanted, read_video_frames(path, timeline, wanted), strict=True):
        assert np.array_equal(pixels, everything[index]), index


def test_timeline_of_irregular_and_missing_timestamps():
    regular = FrameTimeline.from_timestamps([80, 0, 40, 120])
    assert (regular.count, regular.start, regular.step, regular.pts) == (4, 0, 40, None)
    assert regular.timestamp(3) == 120
    irregular = FrameTimeline.from_timestamps([0, 40, 100])
    assert irregular.pts == (0, 40, 100) and irregular.timestamp(2) == 100
    assert FrameTimeline.from_json(irregular.to_json()) == irregular
    assert not FrameTimeline.from_timestamps([None, None]).seekable
    with pytest.raises(IndexError):
        regular.timestamp(4)


def test_frames_are_found_by_counting_without_timestamps(tmp_path, videos):
    frames = noise_frames(12)
    path = videos.write(tmp_path / "clip.mkv", frames)
    counted = FrameTimeline(count=12, seekable=False)
    assert np.array_equal(read_video_frames(path, counted, [9])[0], frames[9])


def test_random_bytes_are_a_data_error_naming_the_file(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match="noise.mp4.*cannot open video"):
        probe_video(path)


def test_a_truncated_video_is_a_data_error(tmp_path, videos):
    path = videos.write(tmp_path / "clip.mkv", noise_frames(40))
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 6 // 10])
    with pytest.raises(DataError, match="clip.mkv: truncated"):
        probe_video(path)
