"""Data roots built of symbolic links to folders elsewhere (as clusters set them up)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from landmarks.data import header_scan, video_index
from landmarks.data.file_walk import files_under
from landmarks.data.images import list_images
from landmarks.data.video_index import index_videos


def _frames(folder, count: int) -> None:
    folder.mkdir(parents=True)
    for number in range(count):
        Image.fromarray(np.full((8, 8, 3), 40 * number, np.uint8)).save(folder / f"frame{number}.png")


def test_a_root_of_linked_video_folders_is_indexed(tmp_path):
    disk = tmp_path / "other-disk"
    _frames(disk / "clip-a", 3)
    _frames(disk / "nested" / "clip-b", 4)
    root = tmp_path / "root"
    root.mkdir()
    (root / "a").symlink_to(disk / "clip-a", target_is_directory=True)
    (root / "more").symlink_to(disk / "nested", target_is_directory=True)
    (root / "more-again").symlink_to(root, target_is_directory=True)  # a loop: must not recurse forever
    index = index_videos(root, "frame-folders", cache_file=tmp_path / "index.json")
    names = sorted(video.name for video in index.videos)
    assert names[:2] == ["a", "more/clip-b"]
    assert {video.frame_count for video in index.videos if video.name in names[:2]} == {3, 4}
    assert all(video.path.is_relative_to(root) for video in index.videos)  # named under the root
    assert len(list_images(root)) >= 7


def test_hidden_files_and_folders_are_left_out(tmp_path):
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.png").write_bytes(b"")
    (tmp_path / ".y.png").write_bytes(b"")
    (tmp_path / "z.png").write_bytes(b"")
    assert [path.name for path in files_under(tmp_path)] == ["z.png"]


@pytest.mark.slow
def test_probing_in_several_processes_gives_the_serial_index(tmp_path, monkeypatch):
    for number in range(6):
        _frames(tmp_path / "videos" / f"clip{number}", number + 2)
    videos = tmp_path / "videos"
    serial = index_videos(videos, "frame-folders", cache_file=tmp_path / "serial.json", workers=1)
    monkeypatch.setattr(video_index, "SERIAL_BELOW", 2)  # 6 videos: three processes
    parallel = index_videos(tmp_path / "videos", "frame-folders", cache_file=tmp_path / "parallel.json",
                            workers=3)
    assert parallel == serial
    assert (tmp_path / "parallel.json").read_text() == (tmp_path / "serial.json").read_text()


def test_header_checks_are_cached_and_redone_for_changed_files(tmp_path, monkeypatch):
    _frames(tmp_path / "images", 3)
    (tmp_path / "images" / "broken.png").write_bytes(b"not an image")
    paths = sorted((tmp_path / "images").iterdir())
    assert header_scan.unreadable_images(tmp_path / "images", paths) == [tmp_path / "images" / "broken.png"]
    checked = []
    monkeypatch.setattr(header_scan, "readable_header", lambda path: checked.append(path.name) or True)
    (tmp_path / "images" / "frame1.png").write_bytes(b"changed, and now broken too")
    header_scan.unreadable_images(tmp_path / "images", paths)
    assert checked == ["frame1.png"]  # only the changed file is read again
