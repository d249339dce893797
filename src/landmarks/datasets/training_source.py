"""The training and validation sets of a named dataset for ``landmarks fit --data NAME``.

A dataset whose ``training_kind`` is ``"images"`` gives still images (paired by TPS warps in
training); one of kind ``"pairs"`` gives ready pairs, TPS-warped too when ``pairs.warp_video_pairs``.
Images are brought to size as ``data.resize``/``data.resize_to`` say (what ``landmarks evaluate``
repeats); ``landmarks fit --data NAME`` sets them to the dataset's protocol, and a config that
differs from it gets a warning.
"""

from __future__ import annotations

import warnings
from typing import Literal

from torch.utils.data import Dataset

from landmarks.config import DataConfig, PairsConfig
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.datasets.registry import open_dataset


def build_dataset_split(
    config: DataConfig,
    image_size: int,
    *,
    split: Literal["train", "validation"],
    pairs: PairsConfig | None = None,
) -> Dataset | None:
    """The ``"train"`` set of dataset ``config.source`` under ``config.root``, or its validation set
    (None when ``config.validation_count`` is 0 or nothing is held out)."""
    adapter = open_dataset(config.source, config.root)
    spec = ResizeSpec(image_size, config.resize, config.resize_to)
    protocol = adapter.preprocessing.spec(image_size)
    if split == "train" and spec != protocol:
        warnings.warn(
            f"data.resize={spec.mode}, resize_to={spec.resize_to} differs from the {adapter.name} "
            f"protocol ({protocol.mode}, resize_to={protocol.resize_to})",
            stacklevel=2,
        )
    if adapter.training_kind == "pairs":
        warp = build_pair_maker(pairs) if pairs is not None and pairs.warp_video_pairs else None
        return adapter.training_pairs(spec, split=split, validation_count=config.validation_count, warp=warp)
    if split == "train":
        return adapter.training_images(spec, config.validation_count)
    return adapter.validation_images(spec, config.validation_count)
