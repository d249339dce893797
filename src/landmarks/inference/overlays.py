"""Overlay files of ``landmarks detect --overlay DIR``: a PNG per image, an MP4 per video.

Learned landmarks are drawn as filled discs, regressed points (with a regressor) as hollow rings
(:mod:`landmarks.viz.draw`). Overlay files keep the input's relative name with the suffix ``.png`` or
``.mp4``; a name already taken in this run gets ``-1``, ``-2``, ... so nothing is overwritten.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from landmarks.inference.inputs import Frame, InputFile
from landmarks.viz.draw import draw_landmarks

DEFAULT_RATE = Fraction(25)  # frames per second when a video does not say
# H.264 where this FFmpeg has it (PyAV's wheels do), else MPEG-4 part 2, which every FFmpeg has.
VIDEO_CODECS = ("libx264", "mpeg4")


def overlay_image(image: np.ndarray, landmarks: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8 with ``landmarks`` ``(K, 2)`` as discs and ``points`` ``(L, 2)`` as rings."""
    drawn = draw_landmarks(image, landmarks, marker="filled")
    if points is not None:
        drawn = draw_landmarks(drawn, points, marker="hollow")
    return drawn


class OverlayWriter:
    """Writes overlays into ``folder`` as frames come, in input order (a context manager)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.written: list[Path] = []
        self._taken: set[Path] = set()
        self._video: _VideoWriter | None = None
        self._video_source: InputFile | None = None

    def write(self, frame: Frame, landmarks: np.ndarray, points: np.ndarray | None = None) -> None:
        image = overlay_image(frame.image, landmarks, points)
        if frame.index is None:
            self._finish_video()
            path = self._path_for(frame.source, ".png")
            Image.fromarray(image).save(path)
            return
        if frame.source != self._video_source:
            self._finish_video()
            self._video = _VideoWriter(self._path_for(frame.source, ".mp4"), frame.rate or DEFAULT_RATE)
            self._video_source = frame.source
        self._video.write(image)

    def close(self) -> None:
        self._finish_video()

    def _finish_video(self) -> None:
        if self._video is not None:
            self._video.close()
        self._video, self._video_source = None, None

    def _path_for(self, source: InputFile, suffix: str) -> Path:
        base = self.folder / Path(source.name).with_suffix(suffix)
        path, number = base, 0
        while path in self._taken:
            number += 1
            path = base.with_name(f"{base.stem}-{number}{suffix}")
        self._taken.add(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(path)
        return path

    def __enter__(self) -> OverlayWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _VideoWriter:
    """Encodes RGB frames into a video file with PyAV, one frame at a time."""

    def __init__(self, path: Path, rate: Fraction):
        self.path = path
        self.rate = Fraction(rate)
        self._container = None
        self._stream = None

    def write(self, image: np.ndarray) -> None:
        # 4:2:0 video needs even sides: repeat the last row / column where one is odd.
        height, width = image.shape[:2]
        image = np.pad(image, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        if self._stream is None:
            self._open(image.shape[1], image.shape[0])
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        self._container.mux(self._stream.encode(frame))

    def _open(self, width: int, height: int) -> None:
        codec = next(name for name in VIDEO_CODECS if name in av.codecs_available)
        self._container = av.open(str(self.path), mode="w")
        self._stream = self._container.add_stream(codec, rate=self.rate)
        self._stream.width, self._stream.height, self._stream.pix_fmt = width, height, "yuv420p"

    def close(self) -> None:
        if self._container is not None:
            self._container.mux(self._stream.encode())  # flush the encoder
            self._container.close()
            self._container = None
