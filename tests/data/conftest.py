"""Fixtures of the data tests: small videos and frame folders written in their real on-disk formats."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image


def coded_frame(video: int, frame: int, height: int = 24, width: int = 32) -> np.ndarray:
    """A uniform ``(H, W, 3)`` frame whose red value encodes ``video`` and green value ``frame``."""
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = 30 * video + 10, 4 * frame, 128
    return pixels


def decode_code(image) -> tuple[int, int]:
    """``(video, frame)`` back from a ``(3, S, S)`` tensor in [0, 1] made of :func:`coded_frame`."""
    red, green = (int(round(float(image[c].mean()) * 255)) for c in (0, 1))
    return (red - 10) // 30, green // 4


def write_video(path: Path, frames: list[np.ndarray], codec: str = "ffv1", rate: int = 25) -> Path:
    """Encode ``(H, W, 3)`` uint8 frames; ffv1 (in .mkv) is lossless, so decoding gives them back exactly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = {"ffv1": "bgr0", "libx264": "yuv420p", "mpeg4": "yuv420p"}[codec]
        for pixels in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    return path


def write_coded_video(path: Path, video: int, frame_count: int, codec: str = "ffv1") -> Path:
    return write_video(path, [coded_frame(video, f) for f in range(frame_count)], codec)


def write_frame_folder(folder: Path, video: int, frame_count: int) -> Path:
    """Frames ``frame1.png .. frameN.png`` (numbered from 1, so natural order matters past 9)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(frame_count):
        Image.fromarray(coded_frame(video, f)).save(folder / f"frame{f + 1}.png")
    return folder


class VideoHelpers:
    coded_frame = staticmethod(coded_frame)
    decode = staticmethod(decode_code)
    write = staticmethod(write_video)
    write_coded = staticmethod(write_coded_video)
    write_frames = staticmethod(write_frame_folder)


@pytest.fixture(scope="session")
def videos() -> VideoHelpers:
    return VideoHelpers()
