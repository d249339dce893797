"""What ``landmarks detect`` reads: image files, folders of images and videos, and video files.

Inputs are expanded into a list of :class:`InputFile` (folders recursively, sorted), then read one
:class:`Frame` at a time: an image file is one frame, a video is decoded with PyAV frame by frame
(never held in memory as a whole). A file that cannot be read raises
:class:`~landmarks.errors.DataError` naming it; a video that breaks part-way raises after yielding the
frames decoded before the break, or ends before the length its header declares (truncated).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from landmarks.data.images import IMAGE_SUFFIXES, load_image
from landmarks.data.video_files import VIDEO_SUFFIXES
from landmarks.errors import DataError

# A video whose decoded frames end this many frame durations (or 1% of its length, if more) before
# the duration its header declares is reported as truncated (as data/video_files.py does for training).
TRUNCATION_TOLERANCE_FRAMES = 2


@dataclass(frozen=True)
class InputFile:
    """One file to detect on.

    path: the file. name: its path relative to the folder it was found in (or its file name), used
    to name overlay files. is_video: decoded as a video rather than read as an image.
    """

    path: Path
    name: str
    is_video: bool


@dataclass
class Frame:
    """One image to detect on: a still image (``index`` None) or frame ``index`` of a video.

    image: ``(H, W, 3)`` ``uint8`` RGB. rate: the video's frames per second (None for still images).
    """

    source: InputFile
    index: int | None
    image: np.ndarray
    rate: Fraction | None = None


def expand_inputs(paths: Sequence[str | Path]) -> tuple[list[InputFile], list[DataError]]:
    """The files named by ``paths`` (folders searched recursively for images and videos, sorted).

    Returns the files and one :class:`DataError` per path that does not exist or is a folder with
    nothing to read. A file given by name is kept whatever its suffix (reading it says if it is no image).
    """
    files: list[InputFile] = []
    problems: list[DataError] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _suffix_kind(p) is not None)
            if not found:
                problems.append(DataError(path, "folder holds no image or video files"))
            files += [InputFile(p, p.relative_to(path).as_posix(), _suffix_kind(p) == "video") for p in found]
        elif path.is_file():
            files.append(InputFile(path, path.name, _suffix_kind(path) == "video"))
        else:
            problems.append(DataError(path, "does not exist"))
    return files, problems


def _suffix_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None


def read_frames(source: InputFile) -> Iterator[Frame]:
    """Every frame of ``source``, in order (one for an image).

    Raises:
        DataError: the file cannot be read, or a video cannot be decoded past some frame (the message
            says which; frames before it have been yielded).
    """
    if not source.is_video:
        yield Frame(source, None, load_image(source.path))
        return
    yield from _video_frames(source)


def _video_frames(source: InputFile) -> Iterator[Frame]:
    path, index = source.path, 0
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as error:
        raise DataError(path, f"cannot open video ({error.__class__.__name__}: {error})") from None
    with container:
        if not container.streams.video:
            raise DataError(path, "file holds no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        times: list[float | None] = [None, None]  # first and last frame time, seconds
        try:
            for frame in container.decode(stream):
                yield Frame(source, index, frame.to_ndarray(format="rgb24"), rate)
                times = [times[0] if index else frame.time, frame.time]
                index += 1
        except (av.FFmpegError, OSError) as error:
            raise DataError(path, f"video cannot be decoded after frame {index} "
                                  f"({error.__class__.__name__}: {error})") from None
        if index == 0:
            raise DataError(path, "video stream holds no frames")
        _check_complete(path, container, stream, index, *times)


def _check_complete(path: Path, container, stream, count: int, first: float | None, last: float | None
                    ) -> None:
    """Raise if fewer frames were decoded than the header declares: FFmpeg stops silently at the end
    of the data of a truncated file (a broken download, a copy cut short)."""
    if stream.frames and count < stream.frames:
        raise DataError(path, f"truncated: decoded {count} of the {stream.frames} frames its header declares")
    declared = (float(stream.duration * stream.time_base) if stream.duration and stream.time_base
                else container.duration / av.time_base if container.duration else None)
    rate = float(stream.average_rate or stream.guessed_rate or 0)
    if declared is None or first is None or last is None or rate <= 0:
        return
    decoded = last - first + 1 / rate
    if decoded + max(TRUNCATION_TOLERANCE_FRAMES / rate, 0.01 * declared) < declared:
        raise DataError(path, f"truncated: the frames end at {decoded:.2f} s of the {declared:.2f} s its "
                              f"header declares")


def count_frames(files: Sequence[InputFile]) -> int | None:
    """Frames the files hold by their headers (one per image, none for a video that does not open),
    or None if a video does not say. For the progress bar only."""
    total = 0
    for source in files:
        if not source.is_video:
            total += 1
            continue
        try:
            with av.open(str(source.path)) as container:
                frames = container.streams.video[0].frames if container.streams.video else 0
        except (av.FFmpegError, OSError, ValueError):
            continue  # unreadable: no frames, and reported when it is read
        if frames <= 0:
            return None
        total += frames
    return total
