"""Training pairs from videos: two frames of the same video a few frames apart (REFERENCE sec. 1).

Human3.6M used gaps of 3 to 30 frames; BBC-Pose and VoxCeleb any two frames of one video (a gap
range as long as the videos). Which frame is the source and which the target is random.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import accumulate

import numpy as np
import torch
from torch.utils.data import Dataset

from landmarks.data.frame_boxes import FrameBoxes, crop_box
from landmarks.data.images import load_image
from landmarks.data.pair_items import choose, item_generator, locate, pair_item
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.skipped import Skipped
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.data.video_files import read_video_frames
from landmarks.data.video_index import IndexedVideo, VideoIndex
from landmarks.errors import DataError

logger = logging.getLogger("landmarks.data")


def sample_frame_pair(frame_count: int, gap: tuple[int, int], generator: torch.Generator) -> tuple[int, int]:
    """Two frame numbers ``(source, target)`` of a video of ``frame_count`` frames, ``g`` apart.

    The gap ``g`` is uniform in ``[gap[0], min(gap[1], frame_count - 1)]``, the earlier frame uniform
    among the positions that fit, and the order random.

    Raises:
        ValueError: the video is shorter than ``gap[0] + 1`` frames.
    """
    low, high = gap[0], min(gap[1], frame_count - 1)
    if high < low:
        raise ValueError(f"a video of {frame_count} frames has no two frames {gap[0]} apart")
    g = low + choose(generator, high - low + 1)
    first = choose(generator, frame_count - g)
    pair = (first, first + g)
    return pair if choose(generator, 2) == 0 else pair[::-1]


def read_frames(video: IndexedVideo, indices: Sequence[int]) -> list[np.ndarray]:
    """Frames ``indices`` of an indexed video as ``(H, W, 3)`` ``uint8`` RGB, decoding only those.

    Raises:
        DataError: a frame cannot be read.
    """
    if video.frame_files is not None:
        return [load_image(video.path / video.frame_files[index]) for index in indices]
    return read_video_frames(video.path, video.timeline, indices)


def select_videos(
    index: VideoIndex, gap: tuple[int, int], boxes: FrameBoxes | None = None
) -> tuple[list[IndexedVideo], list[Skipped]]:
    """The videos of ``index`` that can give pairs, and why each other one cannot.

    Unusable: the index's problems (corrupt, truncated, undecodable), videos shorter than
    ``gap[0] + 1`` frames and, with ``boxes``, videos without any box.
    """
    skipped = [Skipped(name, problem) for name, problem in index.problems.items()]
    usable = []
    for video in index.videos:
        if video.frame_count < gap[0] + 1:
            skipped.append(
                Skipped(
                    video.name,
                    f"too short: {video.frame_count} frame(s), a gap of {gap[0]} needs {gap[0] + 1}",
                )
            )
        elif boxes is not None and video.name not in boxes.videos:
            skipped.append(Skipped(video.name, "no boxes for it in the boxes CSV"))
        else:
            usable.append(video)
    return usable, sorted(skipped, key=lambda item: item.name)


class VideoPairs(Dataset):
    """Pairs of frames of one video, ``gap`` frames apart.

    Item ``i`` belongs to video ``v`` where ``i`` falls in ``v``'s frames when all videos' frames are
    laid end to end (longer videos give more pairs); its two frames are drawn by
    :func:`sample_frame_pair`. An item holds ``source`` and ``target`` ``(3, S, S)`` float32 in
    ``[0, 1]`` (``S = spec.size``), ``mask`` ``(1, S, S)`` when ``warp`` is given, ``video`` (position
    in :attr:`videos`) and ``frames`` ``(2,)`` (source and target frame numbers).

    A pair whose frames cannot be read is logged and replaced by a pair of the next video, so a bad
    frame does not stop a long run.

    Args:
        videos: usable videos (see :func:`select_videos`), each at least ``gap[0] + 1`` frames long.
        spec: how each frame (after its box crop) becomes ``S x S``.
        gap: ``(min, max)`` frames between the two frames of a pair.
        boxes: crop each frame to its box first (:mod:`landmarks.data.frame_boxes`).
        warp: TPS-warp each pair as a still image is warped (``pairs.warp_video_pairs``).
        seed: None for fresh pairs every epoch (training); an integer for fixed pairs (validation).
    """

    def __init__(
        self,
        videos: Sequence[IndexedVideo],
        spec: ResizeSpec,
        *,
        gap: tuple[int, int] = (3, 30),
        boxes: FrameBoxes | None = None,
        warp: TpsPairMaker | None = None,
        seed: int | None = None,
    ):
        if not videos:
            raise ValueError("VideoPairs needs at least one video")
        short = [v.name for v in videos if v.frame_count < gap[0] + 1]
        if short:
            raise ValueError(
                f"videos shorter than {gap[0] + 1} frames (filter with select_videos): {short[:5]}"
            )
        self.videos = tuple(videos)
        self.spec, self.gap, self.boxes, self.warp, self.seed = spec, gap, boxes, warp, seed
        self._ends = list(accumulate(v.frame_count for v in self.videos))
        self.read_failures = 0  # pairs that could not be read (this process)

    def __len__(self) -> int:
        return self._ends[-1]

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} video frames")
        generator = item_generator(self.seed, index)
        first_video, _ = locate(self._ends, index)
        for attempt in range(len(self.videos)):
            number = (first_video + attempt) % len(self.videos)
            video = self.videos[number]
            frames = sample_frame_pair(video.frame_count, self.gap, generator)
            try:
                source, target = self._load(video, frames)
            except DataError as error:
                self.read_failures += 1
                logger.warning(
                    "%s -- using a pair of another video instead (%d unreadable so far)",
                    error,
                    self.read_failures,
                )
                continue
            item = pair_item(source, target, self.spec, self.warp, generator)
            return {**item, "video": number, "frames": torch.tensor(frames)}
        raise DataError(
            self.videos[0].path.parent, f"no frame pair of {len(self.videos)} videos could be read"
        )

    def _load(self, video: IndexedVideo, frames: tuple[int, int]) -> list[np.ndarray]:
        images = read_frames(video, frames)
        if self.boxes is None:
            return images
        return [
            crop_box(image, self.boxes.box(video.name, frame))
            for image, frame in zip(images, frames, strict=True)
        ]
