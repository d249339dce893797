"""The pair sources of the data config: ``video-folder``, ``frame-folders`` and ``multi-view``.

Each gives datasets of ready pairs (:mod:`landmarks.data.pair_items`) instead of still images.

Splits: the videos (or view groups) sorted by name; the last ``ceil(validation_count / 8)`` of them
(:data:`PAIRS_PER_HELD_OUT_GROUP`), at most half, are held out and never trained on. Validation is
``validation_count`` fixed pairs spread evenly over the held-out frames or images, the same pairs at
every validation. Unusable videos and groups are reported when the training set is built.
"""

from __future__ import annotations

import math
from typing import Literal

from torch.utils.data import Dataset, Subset

from landmarks.config import DataConfig, PairsConfig
from landmarks.data.frame_boxes import read_boxes
from landmarks.data.multi_view import MultiViewPairs, find_view_groups
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.skipped import report_skipped
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.data.video_files import VIDEO_SUFFIXES
from landmarks.data.video_index import index_videos
from landmarks.data.video_pairs import VideoPairs, select_videos
from landmarks.errors import ConfigError, DataError

PAIR_SOURCES = ("video-folder", "frame-folders", "multi-view")
VIDEO_LAYOUTS = {"video-folder": "video-files", "frame-folders": "frame-folders"}
# Validation pairs per held-out video or group: enough videos for variety, few enough to leave most
# of a collection for training (64 validation pairs hold out 8 videos).
PAIRS_PER_HELD_OUT_GROUP = 8
VALIDATION_SEED = 12_345  # fixed validation pairs


def build_pair_dataset(
    config: DataConfig,
    image_size: int,
    *,
    split: Literal["train", "validation"],
    pairs: PairsConfig | None = None,
) -> Dataset | None:
    """The training or validation pairs of a pair source (see the module's "Splits").

    Args:
        config: ``config.source`` is one of :data:`PAIR_SOURCES`.
        image_size: ``S``, the side of every image of an item.
        split: ``"train"`` (fresh random pairs every epoch) or ``"validation"`` (None if none is held out).
        pairs: the TPS warps, applied to both images when ``pairs.warp_video_pairs`` is true.

    Raises:
        ConfigError: the source needs ``data.root``. DataError: the data is missing or wholly unusable.
    """
    if config.source not in PAIR_SOURCES:
        raise ConfigError(f"data.source {config.source!r} is not a pair source ({', '.join(PAIR_SOURCES)})")
    if not config.root:
        raise ConfigError(f"'data.root' must name the data when data.source is '{config.source}'")
    spec = ResizeSpec(image_size, config.resize, config.resize_to)
    warp = build_pair_maker(pairs) if pairs is not None and pairs.warp_video_pairs else None
    report = split == "train"
    if config.source == "multi-view":
        groups = find_view_groups(config.root, report=report)
        train, held_out = _split(groups, config.validation_count)
        if split == "train":
            return MultiViewPairs(train, spec, warp=warp)
        if not held_out or config.validation_count <= 0:
            return None
        return _validation(MultiViewPairs(held_out, spec, warp=warp, seed=VALIDATION_SEED), config)
    videos, boxes = _usable_videos(config, report=report)
    train, held_out = _split(videos, config.validation_count)
    options = {"gap": tuple(config.frame_gap), "boxes": boxes, "warp": warp}
    if split == "train":
        return VideoPairs(train, spec, **options)
    if not held_out or config.validation_count <= 0:
        return None
    return _validation(VideoPairs(held_out, spec, **options, seed=VALIDATION_SEED), config)


def _usable_videos(config: DataConfig, *, report: bool):
    index = index_videos(config.root, VIDEO_LAYOUTS[config.source])
    if index.total == 0:
        looked_for = (
            f"video files ({', '.join(VIDEO_SUFFIXES)})"
            if config.source == "video-folder"
            else "folders holding image files"
        )
        raise DataError(
            config.root, f"found no {looked_for} under this folder (data.source '{config.source}')"
        )
    boxes = read_boxes(config.boxes) if config.boxes else None
    videos, skipped = select_videos(index, tuple(config.frame_gap), boxes)
    if report:
        report_skipped(config.root, "videos", index.total, skipped)
    return videos, boxes


def _split(groups: list, validation_count: int) -> tuple[list, list]:
    requested = math.ceil(max(validation_count, 0) / PAIRS_PER_HELD_OUT_GROUP)
    held = max(0, min(requested, len(groups) // 2))
    return groups[: len(groups) - held], groups[len(groups) - held :]


def _validation(dataset: Dataset, config: DataConfig) -> Dataset:
    """``validation_count`` items spread evenly over ``dataset``."""
    count = min(config.validation_count, len(dataset))
    step = len(dataset) / count
    return Subset(dataset, [int(i * step) for i in range(count)])
