"""Choosing the training and validation images from the data config.

Splits:
    ``synthetic-faces``, ``synthetic-wild-faces``: training is faces ``0 .. synthetic_count - 1`` of
    collection ``synthetic_seed``; validation is the next ``validation_count`` faces, so the two never
    overlap.
    ``synthetic-bodies``: ready pairs of synthetic videos, split by whole videos (see
    :mod:`landmarks.synthetic.bodies`).
    ``image-folder``: the images under ``root`` sorted by path; the last ``validation_count`` files
    are held out for validation and never used for training. A small folder gives at most half of
    its files to validation, so training always keeps images.
    ``video-folder``, ``frame-folders``, ``multi-view``: ready pairs, split by whole videos or view
    groups (see :mod:`landmarks.data.pair_sources`).
    ``shards``: the splits of the source the shards were written from; streamed by the data module
    (:mod:`landmarks.training.data`, :mod:`landmarks.data.shard_stream`), not built here.
    A dataset name (``celeba``, ``aflw``, ``bbc-pose``, ...): that dataset's own splits, read as
    distributed from ``root`` (see :mod:`landmarks.datasets`).
"""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import Dataset

from landmarks.config import DataConfig, PairsConfig
from landmarks.data.image_folder import ImageFolder
from landmarks.data.images import list_images
from landmarks.data.pair_sources import PAIR_SOURCES, build_pair_dataset
from landmarks.data.preprocess import ResizeSpec
from landmarks.datasets import is_dataset
from landmarks.datasets.training_source import build_dataset_split
from landmarks.errors import ConfigError
from landmarks.synthetic.bodies import build_synthetic_body_pairs
from landmarks.synthetic.faces import SyntheticFaces
from landmarks.synthetic.wild_faces import SyntheticWildFaces

MAX_VALIDATION_SHARE = 0.5  # of a small folder's files
SYNTHETIC_STILLS = {"synthetic-faces": SyntheticFaces, "synthetic-wild-faces": SyntheticWildFaces}


def build_training_dataset(config: DataConfig, image_size: int, pairs: PairsConfig | None = None) -> Dataset:
    """The training images of ``config.source``: items with ``image`` ``(3, S, S)`` float32 in ``[0, 1]``.

    ``S = image_size``; synthetic faces also carry their ``(5, 2)`` pixel ``keypoints``. Pair sources
    give ``source`` and ``target`` instead (and ``mask`` when ``pairs.warp_video_pairs`` warps them).
    """
    if config.source == "shards":
        raise ConfigError("data.source 'shards' is streamed by `landmarks fit` only (docs/scaling.md)")
    if config.source in PAIR_SOURCES:
        return build_pair_dataset(config, image_size, split="train", pairs=pairs)
    if is_dataset(config.source):
        return build_dataset_split(config, image_size, split="train", pairs=pairs)
    if config.source == "synthetic-bodies":
        return build_synthetic_body_pairs(config, image_size, split="train", pairs=pairs)
    if config.source in SYNTHETIC_STILLS:
        return SYNTHETIC_STILLS[config.source](config.synthetic_count, image_size, seed=config.synthetic_seed)
    train, _ = _folder_split(config)
    return ImageFolder(config.root, _resize_spec(config, image_size), paths=train)


def build_validation_dataset(
    config: DataConfig, image_size: int, pairs: PairsConfig | None = None
) -> Dataset | None:
    """The held-out validation images (see the module's "Splits"), or None if there are none to spare."""
    if config.validation_count <= 0:
        return None
    if config.source in PAIR_SOURCES:
        return build_pair_dataset(config, image_size, split="validation", pairs=pairs)
    if is_dataset(config.source):
        return build_dataset_split(config, image_size, split="validation", pairs=pairs)
    if config.source == "synthetic-bodies":
        return build_synthetic_body_pairs(config, image_size, split="validation", pairs=pairs)
    if config.source in SYNTHETIC_STILLS:
        count, seed = config.validation_count, config.synthetic_seed
        return SYNTHETIC_STILLS[config.source](count, image_size, seed=seed, start=config.synthetic_count)
    _, validation = _folder_split(config)
    if not validation:
        return None
    return ImageFolder(config.root, _resize_spec(config, image_size), paths=validation)


def validation_size(file_count: int, requested: int) -> int:
    """How many of a folder's ``file_count`` files go to validation: ``requested``, capped at half."""
    return max(0, min(requested, int(file_count * MAX_VALIDATION_SHARE)))


def _folder_split(config: DataConfig) -> tuple[list[Path], list[Path]]:
    if config.source != "image-folder":
        raise ConfigError(f"data.source must be 'synthetic-faces', 'synthetic-wild-faces' or 'image-folder', "
                          f"got {config.source!r}")
    if not config.root:
        raise ConfigError("data.root must name a folder of images when data.source is 'image-folder'")
    paths = list_images(config.root)
    held_out = validation_size(len(paths), config.validation_count)
    return paths[: len(paths) - held_out], paths[len(paths) - held_out :]


def _resize_spec(config: DataConfig, image_size: int) -> ResizeSpec:
    return ResizeSpec(image_size, config.resize, config.resize_to)
