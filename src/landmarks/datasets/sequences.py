"""Descriptions of the image groups that video and multi-view pair sources sample pairs from.

A dataset adapter describes; a pair source (:mod:`landmarks.data`) decodes, crops and samples. A
training pair is two frames of one :class:`FrameSequence` (VoxCeleb, BBC-Pose, Human3.6M: REFERENCE
sec. 1) or two views of one :class:`ViewGroup` (smallNORB: same instance and lighting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class FrameSequence:
    """The frames of one video, in time order, each from an image file or a video file.

    Attributes:
        name: a readable id (``S9/Walking.54138969``, ``id10001/1zcIwhmdeo4``).
        frames: F image files in time order; empty when the frames come from ``videos``.
        videos: video files whose frames, concatenated in this order, form the sequence (VoxCeleb
            utterances of one video); empty when the frames are image files.
        frame_numbers: F frame numbers in the source (time gaps are differences of these); by
            default ``0 .. F-1``. Only frames listed here are part of the sequence.
        boxes: ``(F, 4)`` crop per frame, ``(x0, y0, x1, y1)`` in pixels of the frame (x0, y0 the
            top-left corner of the top-left pixel, i.e. pixel-centre coordinates minus 0.5), or None
            for whole frames. A crop may reach outside the frame: pad with black.
        min_gap, max_gap: frame-number distance allowed between the two frames of a pair
            (Human3.6M: 3 to 30; None: any two frames).
    """

    name: str
    frames: tuple[Path, ...] = ()
    videos: tuple[Path, ...] = ()
    frame_numbers: np.ndarray | None = field(default=None, compare=False)
    boxes: np.ndarray | None = field(default=None, compare=False)
    min_gap: int | None = None
    max_gap: int | None = None

    def __post_init__(self):
        if bool(self.frames) == bool(self.videos):
            raise ValueError(f"{self.name}: give either frames (image files) or videos, not both or neither")
        if self.frames and self.frame_numbers is not None and len(self.frame_numbers) != len(self.frames):
            raise ValueError(
                f"{self.name}: {len(self.frame_numbers)} frame numbers for {len(self.frames)} frames"
            )
        count = (
            len(self.frames)
            if self.frames
            else (None if self.frame_numbers is None else len(self.frame_numbers))
        )
        if self.boxes is not None and (
            self.boxes.ndim != 2
            or self.boxes.shape[1] != 4
            or (count is not None and len(self.boxes) != count)
        ):
            raise ValueError(f"{self.name}: boxes must be (F, 4) with F = {count}, got {self.boxes.shape}")


@dataclass(frozen=True)
class ViewGroup:
    """Images of one object under one lighting from different viewpoints (smallNORB).

    Attributes:
        name: a readable id (``car/instance4/lighting2``).
        indices: positions of the group's images in the adapter's image array.
        viewpoints: ``(V, 2)`` (elevation index, azimuth in degrees) of each image.
    """

    name: str
    indices: np.ndarray = field(compare=False)
    viewpoints: np.ndarray = field(compare=False)
