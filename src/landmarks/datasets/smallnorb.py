"""smallNORB: 50 toys in 5 categories, photographed from 162 viewpoints under 6 lightings.

Layout (as distributed, the six files gunzipped; NYU binary matrices, see
:mod:`landmarks.datasets.norb_binary`)::

    ROOT/smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat    (24300, 2, 96, 96) uint8 stereo pairs
    ROOT/smallnorb-5x46789x9x18x6x2x96x96-training-cat.mat    (24300,) int32 category 0..4
    ROOT/smallnorb-5x46789x9x18x6x2x96x96-training-info.mat   (24300, 4) int32: instance 0..9,
                                 elevation 0..8, azimuth 0,2..34 (x10 degrees), lighting 0..5
    ROOT/smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat

Training pairs (paper supp. sec. 7): two views of one
:class:`~landmarks.datasets.array_view_pairs.ArrayViewGroup`,
the same instance under the same lighting from different elevation/azimuth. One detector per category:
``smallnorb-car`` etc. (``smallnorb`` takes all five). Images are the left camera of each stereo pair;
training images come from the training file, validation images from the testing file (other instances).
smallNORB has no landmarks: nothing to evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from torch.utils.data import Dataset, Subset

from landmarks.data.pair_sources import VALIDATION_SEED
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing, no_annotations
from landmarks.datasets.array_view_pairs import ArrayViewGroup, ArrayViewPairs
from landmarks.datasets.arrays import ArrayImages
from landmarks.datasets.files import expect_file
from landmarks.datasets.norb_binary import read_binary_matrix
from landmarks.errors import DataError

FILE_STEMS = {
    "training": "smallnorb-5x46789x9x18x6x2x96x96-training",
    "testing": "smallnorb-5x01235x9x18x6x2x96x96-testing",
}
CATEGORIES = ("animal", "human", "airplane", "truck", "car")  # category codes 0..4
AZIMUTH_STEP_DEGREES = 10  # info stores azimuth / 10 degrees (even numbers 0..34)
CAMERA = 0  # the left image of each stereo pair


@dataclass(frozen=True)
class NorbSplit:
    """One smallNORB file set: ``images`` ``(N, 2, 96, 96)`` uint8 (memory-mapped), ``category``
    ``(N,)``, and ``instance``, ``elevation``, ``azimuth`` (degrees), ``lighting``, each ``(N,)``."""

    images: np.ndarray
    category: np.ndarray
    instance: np.ndarray
    elevation: np.ndarray
    azimuth: np.ndarray
    lighting: np.ndarray


def read_norb_split(root: Path, split: str) -> NorbSplit:
    """Read the ``dat``, ``cat`` and ``info`` files of ``training`` or ``testing``, checking they agree."""
    paths = {
        kind: expect_file(root, f"{FILE_STEMS[split]}-{kind}.mat", "smallNORB")
        for kind in ("dat", "cat", "info")
    }
    images, category, info = (read_binary_matrix(paths[kind]) for kind in ("dat", "cat", "info"))
    count = len(images)
    if images.ndim != 4 or images.shape[1] != 2 or images.dtype != np.uint8:
        raise DataError(paths["dat"], f"expected (N, 2, H, W) bytes, got {images.dtype} {images.shape}")
    if category.shape != (count,):
        raise DataError(
            paths["cat"], f"expected ({count},) categories like the dat file, got {category.shape}"
        )
    if info.shape != (count, 4):
        raise DataError(paths["info"], f"expected ({count}, 4) like the dat file, got {info.shape}")
    info = np.asarray(info, dtype=np.int64)
    return NorbSplit(
        images,
        np.asarray(category, dtype=np.int64),
        info[:, 0],
        info[:, 1],
        info[:, 2] * AZIMUTH_STEP_DEGREES,
        info[:, 3],
    )


class SmallNORB:
    """smallNORB, one category or all (module docstring)."""

    preprocessing = Preprocessing("stretch")
    training_kind = "pairs"

    def __init__(self, root: str | Path, category: str | None = None):
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
        self.root = Path(root)
        self.category = category
        self.name = "smallnorb" if category is None else f"smallnorb-{category}"
        for stem in FILE_STEMS.values():
            for kind in ("dat", "cat", "info"):
                expect_file(self.root, f"{stem}-{kind}.mat", "smallNORB")

    @cached_property
    def splits(self) -> dict[str, NorbSplit]:
        return {split: read_norb_split(self.root, split) for split in FILE_STEMS}

    def selected(self, split: str) -> np.ndarray:
        """Indices of the chosen category's items in ``training`` or ``testing``."""
        categories = self.splits[split].category
        if self.category is None:
            return np.arange(len(categories))
        return np.flatnonzero(categories == CATEGORIES.index(self.category))

    def training_images(self, spec: ResizeSpec, validation_count: int = 0) -> Dataset:
        return ArrayImages(self.splits["training"].images[:, CAMERA], spec, indices=self.selected("training"))

    def validation_images(self, spec: ResizeSpec, count: int) -> Dataset | None:
        indices = self.selected("testing")[: max(0, count)]
        return (
            ArrayImages(self.splits["testing"].images[:, CAMERA], spec, indices=indices)
            if len(indices)
            else None
        )

    def view_groups(self, split: str = "training") -> list[ArrayViewGroup]:
        """One group per (category, instance, lighting) of the chosen items; ``indices`` are positions
        in the split's image array (``splits[split].images[:, CAMERA]``)."""
        data, selected = self.splits[split], self.selected(split)
        keys = np.stack([data.category, data.instance, data.lighting], axis=1)[selected]  # (N, 3)
        groups = []
        for key in np.unique(keys, axis=0):
            members = selected[(keys == key).all(axis=1)]
            viewpoints = np.stack([data.elevation[members], data.azimuth[members]], axis=1)  # (V, 2)
            name = f"{CATEGORIES[key[0]]}/instance{key[1]}/lighting{key[2]}"
            groups.append(ArrayViewGroup(name, members, viewpoints))
        return groups

    def training_pairs(
        self,
        spec: ResizeSpec,
        *,
        split: Literal["train", "validation"],
        validation_count: int,
        warp: TpsPairMaker | None = None,
    ) -> Dataset | None:
        """Two views of one group: of the training file, or ``validation_count`` fixed pairs of the
        testing file (other instances)."""
        if split == "train":
            return ArrayViewPairs(
                self.splits["training"].images[:, CAMERA], self.view_groups("training"), spec, warp=warp
            )
        if validation_count <= 0:
            return None
        pairs = ArrayViewPairs(
            self.splits["testing"].images[:, CAMERA],
            self.view_groups("testing"),
            spec,
            warp=warp,
            seed=VALIDATION_SEED,
        )
        count = min(validation_count, len(pairs))
        return Subset(pairs, [int(i * len(pairs) / count) for i in range(count)])

    def evaluation_splits(self) -> EvaluationSplits:
        raise no_annotations(self.name)
