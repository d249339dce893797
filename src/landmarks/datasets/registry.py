"""Dataset names and the adapters that read them (``landmarks fit --data NAME``, ``evaluate --dataset``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from landmarks.datasets.adapter import DatasetAdapter, Preprocessing
from landmarks.datasets.aflw import AFLW
from landmarks.datasets.bbc_pose import BBCPose
from landmarks.datasets.celeba import CelebA
from landmarks.datasets.human36m import Human36M
from landmarks.datasets.smallnorb import CATEGORIES, SmallNORB
from landmarks.datasets.svhn import SVHN
from landmarks.datasets.voxceleb import VoxCeleb
from landmarks.errors import ConfigError, DataError

DATASETS: dict[str, Callable[[Path], DatasetAdapter]] = {
    "celeba": CelebA,
    "celeba-released": partial(CelebA, released_split=True),
    "aflw": AFLW,
    "svhn": SVHN,
    "smallnorb": SmallNORB,
    **{f"smallnorb-{category}": partial(SmallNORB, category=category) for category in CATEGORIES},
    "bbc-pose": BBCPose,
    "human36m": Human36M,
    "voxceleb": VoxCeleb,
}


def dataset_names() -> list[str]:
    return sorted(DATASETS)


def is_dataset(name: str | None) -> bool:
    return name in DATASETS


def protocol_preprocessing(name: str) -> Preprocessing:
    """How dataset ``name``'s protocol brings images to the model's input (no files needed)."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; known: {', '.join(dataset_names())}")
    factory = DATASETS[name]
    return (factory.func if isinstance(factory, partial) else factory).preprocessing


def open_dataset(name: str, root: str | Path | None) -> DatasetAdapter:
    """The adapter of dataset ``name`` reading ``root``; checks the expected files are there."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; known: {', '.join(dataset_names())}")
    if root is None:
        raise ConfigError(f"dataset {name!r} needs its folder: give --data-root (data.root)")
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, f"dataset folder for {name!r} does not exist")
    return DATASETS[name](root)
