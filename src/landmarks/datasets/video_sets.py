"""Turning a video dataset's own videos into the pair datasets of :mod:`landmarks.data.video_pairs`.

Splits (as :mod:`landmarks.data.pair_sources`): the adapter's training videos in natural name order
(``2`` before ``10``); the last ``ceil(validation_count / 8)`` of them (at most half) are held out
for ``validation_count`` fixed validation pairs and never trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from torch.utils.data import Dataset, Subset

from landmarks.data.frame_boxes import FrameBoxes
from landmarks.data.pair_sources import PAIRS_PER_HELD_OUT_GROUP, VALIDATION_SEED
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.data.video_index import IndexedVideo, natural_key
from landmarks.data.video_pairs import VideoPairs
from landmarks.errors import DataError

ANY_GAP = (1, 1 << 30)  # any two different frames of a video (VoxCeleb, BBC-Pose)


def frame_folder_video(name: str, folder: Path, frame_files: Sequence[str]) -> IndexedVideo:
    """A video whose frames are ``folder / f`` for ``f`` in ``frame_files`` (time order)."""
    return IndexedVideo(name, folder, len(frame_files), frame_files=tuple(frame_files))


def video_pairs(
    videos: Sequence[IndexedVideo],
    spec: ResizeSpec,
    *,
    split: Literal["train", "validation"],
    validation_count: int,
    gap: tuple[int, int] = ANY_GAP,
    boxes: FrameBoxes | None = None,
    warp: TpsPairMaker | None = None,
    root: Path | None = None,
) -> Dataset | None:
    """Training pairs of the kept videos, or ``validation_count`` fixed pairs of the held-out ones."""
    videos = sorted((v for v in videos if v.frame_count >= gap[0] + 1), key=lambda v: natural_key(v.name))
    if not videos:
        raise DataError(root, f"no video has the {gap[0] + 1} frames a pair needs")
    requested = math.ceil(max(validation_count, 0) / PAIRS_PER_HELD_OUT_GROUP)
    held = max(0, min(requested, len(videos) // 2))
    train, held_out = videos[: len(videos) - held], videos[len(videos) - held :]
    if split == "train":
        return VideoPairs(train, spec, gap=gap, boxes=boxes, warp=warp)
    if not held_out or validation_count <= 0:
        return None
    pairs = VideoPairs(held_out, spec, gap=gap, boxes=boxes, warp=warp, seed=VALIDATION_SEED)
    count = min(validation_count, len(pairs))
    return Subset(pairs, [int(i * len(pairs) / count) for i in range(count)])
