"""Reading single frames of a video file with PyAV, without decoding the whole video.

A video is probed once (:func:`probe_video`): its packets are demuxed, not decoded, to count the
frames and record their presentation timestamps as a :class:`FrameTimeline`; the first and last
frames are decoded to prove that the codec works and the file is complete. Later,
:func:`read_video_frames` seeks to the key frame before the first wanted frame and decodes forward
only as far as the last wanted one. Frames are numbered ``0 .. N - 1`` in presentation order.

Every failure is a :class:`~landmarks.errors.DataError` naming the file and the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from landmarks.errors import DataError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
# Decoding forward is cheaper than a new seek (which decodes from a key frame anyway) for frames this
# close; farther apart, each wanted frame gets its own seek.
MAX_DECODE_AHEAD = 64
# A file whose demuxed frames end this many frame durations (or 1% of its length, if more) before
# the duration its header declares is reported as truncated.
TRUNCATION_TOLERANCE_FRAMES = 2


@dataclass(frozen=True)
class FrameTimeline:
    """Where each frame of a video stream lies in time, in the stream's own time-base units.

    Attributes:
        count: frames ``N``.
        start, step: presentation timestamp of frame ``i`` is ``start + i * step`` (constant frame rate).
        pts: the timestamps themselves, sorted, when they are not evenly spaced (else None).
        seekable: False when the container gives no timestamps: frames are then found by decoding
            from the start and counting.
    """

    count: int
    start: int = 0
    step: int = 1
    pts: tuple[int, ...] | None = None
    seekable: bool = True

    @classmethod
    def from_timestamps(cls, timestamps: Sequence[int | None]) -> FrameTimeline:
        """The timeline of a stream whose packets carry ``timestamps`` (in any order; None if absent)."""
        if not timestamps or any(t is None for t in timestamps):
            return cls(count=len(timestamps), seekable=False)
        ordered = sorted(timestamps)
        if len(ordered) == 1:
            return cls(count=1, start=ordered[0])
        step = ordered[1] - ordered[0]
        regular = step > 0 and all(b - a == step for a, b in zip(ordered, ordered[1:], strict=False))
        if regular:
            return cls(count=len(ordered), start=ordered[0], step=step)
        return cls(count=len(ordered), start=ordered[0], pts=tuple(ordered))

    def timestamp(self, index: int) -> int:
        """Presentation timestamp of frame ``index`` (``0 <= index < count``)."""
        if not 0 <= index < self.count:
            raise IndexError(f"frame {index} out of range for a video of {self.count} frames")
        return self.pts[index] if self.pts is not None else self.start + index * self.step

    def to_json(self) -> dict:
        return {
            "count": self.count,
            "start": self.start,
            "step": self.step,
            "pts": None if self.pts is None else list(self.pts),
            "seekable": self.seekable,
        }

    @classmethod
    def from_json(cls, data: dict) -> FrameTimeline:
        pts = data.get("pts")
        return cls(
            count=data["count"],
            start=data["start"],
            step=data["step"],
            pts=None if pts is None else tuple(pts),
            seekable=data["seekable"],
        )


def probe_video(path: str | Path) -> FrameTimeline:
    """Count the frames of a video file and check that it is complete and decodable.

    Demuxes every packet (cheap: nothing is decoded) and decodes only the first and the last frame.

    Raises:
        DataError: the file cannot be opened, has no video stream or no frames, ends before the
            duration or frame count its header declares (a truncated download), or its first or
            last frame cannot be decoded.
    """
    path = Path(path)
    with _open(path) as container:
        stream = _video_stream(container, path)
        try:
            packets = [
                (p.pts if p.pts is not None else p.dts, p.duration) for p in container.demux(stream) if p.size
            ]
        except (av.FFmpegError, OSError) as error:
            raise DataError(path, f"video data is corrupt after the header ({_describe(error)})") from None
        declared_frames = stream.frames
        declared_seconds = _declared_seconds(container, stream)
        time_base = stream.time_base
    if not packets:
        raise DataError(path, "video stream holds no frames")
    timeline = FrameTimeline.from_timestamps([pts for pts, _ in packets])
    if declared_frames and timeline.count < declared_frames:
        raise DataError(
            path, f"truncated: {timeline.count} frames of the {declared_frames} its header declares"
        )
    if timeline.seekable and declared_seconds and time_base:
        _check_duration(path, timeline, packets, float(time_base), declared_seconds)
    read_video_frames(path, timeline, sorted({0, timeline.count - 1}))
    return timeline


def read_video_frames(path: str | Path, timeline: FrameTimeline, indices: Sequence[int]) -> list[np.ndarray]:
    """Decode the frames ``indices`` of a video file.

    Args:
        path: the video file.
        timeline: its :func:`probe_video` result.
        indices: frame numbers in ``[0, timeline.count)``, any order, repeats allowed.

    Returns:
        One ``(H, W, 3)`` ``uint8`` RGB array per entry of ``indices``, in that order.

    Raises:
        DataError: the file cannot be opened or a wanted frame cannot be decoded.
    """
    path = Path(path)
    wanted = sorted(set(indices))
    for index in wanted:
        timeline.timestamp(index)  # IndexError on a frame out of range
    with _open(path) as container:
        stream = _video_stream(container, path)
        try:
            if timeline.seekable:
                frames = _decode_by_timestamp(container, stream, timeline, wanted)
            else:
                frames = _decode_by_counting(container, stream, wanted)
        except (av.FFmpegError, OSError) as error:
            raise DataError(path, f"cannot decode frames {wanted} ({_describe(error)})") from None
    missing = [index for index in wanted if index not in frames]
    if missing:
        raise DataError(
            path,
            f"frame(s) {missing} of {timeline.count} could not be decoded (the stream ended or skipped them)",
        )
    return [frames[index] for index in indices]


def _decode_by_timestamp(container, stream, timeline: FrameTimeline, wanted: list[int]) -> dict:
    frames: dict[int, np.ndarray] = {}
    decoder, previous = None, None
    for index in wanted:
        target = timeline.timestamp(index)
        if decoder is None or index - previous > MAX_DECODE_AHEAD:
            container.seek(target, stream=stream, backward=True, any_frame=False)
            decoder = container.decode(stream)
        previous = index
        for frame in decoder:
            if frame.pts is not None and frame.pts >= target:
                if frame.pts == target:  # else the frame is missing: reported by the caller
                    frames[index] = frame.to_ndarray(format="rgb24")
                break
    return frames


def _decode_by_counting(container, stream, wanted: list[int]) -> dict:
    frames: dict[int, np.ndarray] = {}
    remaining = set(wanted)
    for number, frame in enumerate(container.decode(stream)):
        if number in remaining:
            frames[number] = frame.to_ndarray(format="rgb24")
            remaining.discard(number)
        if not remaining:
            break
    return frames


def _open(path: Path):
    if not path.is_file():
        raise DataError(path, "video file does not exist")
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as error:
        raise DataError(path, f"cannot open video ({_describe(error)})") from None


def _video_stream(container, path: Path):
    if not container.streams.video:
        raise DataError(path, "file holds no video stream")
    return container.streams.video[0]


def _declared_seconds(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _check_duration(path: Path, timeline: FrameTimeline, packets, time_base: float, declared: float) -> None:
    last_duration = packets[-1][1] or (timeline.step if timeline.pts is None else 0)
    end = timeline.timestamp(timeline.count - 1) + (last_duration or 0)
    span = (end - timeline.start) * time_base
    frame_seconds = span / timeline.count
    tolerance = max(TRUNCATION_TOLERANCE_FRAMES * frame_seconds, 0.01 * declared)
    if span + tolerance < declared:
        raise DataError(
            path, f"truncated: the frames end at {span:.2f} s of the {declared:.2f} s its header declares"
        )


def _describe(error: Exception) -> str:
    return f"{error.__class__.__name__}: {error}"
