"""SVHN, format 2 (cropped 32x32 digits), for appearance/geometry transfer (paper supp. sec. 8).

Layout (as distributed)::

    ROOT/train_32x32.mat     X: (32, 32, 3, N) uint8 RGB, y: (N, 1) labels 1..10 (10 is the digit 0)
    ROOT/test_32x32.mat

Splits: training images are ``train_32x32.mat``; validation images the first ``validation_count`` of
``test_32x32.mat`` (``extra_32x32.mat`` is not used). SVHN has no landmarks: nothing to evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from landmarks.data.preprocess import ResizeSpec
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing, no_annotations
from landmarks.datasets.arrays import ArrayImages
from landmarks.datasets.files import expect_file, load_mat
from landmarks.errors import DataError

ZERO_LABEL = 10  # format 2 labels the digit 0 as 10


@dataclass(frozen=True)
class SVHNSplit:
    """``images``: ``(N, 32, 32, 3)`` uint8 RGB; ``digits``: ``(N,)`` int64 in 0..9."""

    images: np.ndarray
    digits: np.ndarray


def read_svhn(path: Path) -> SVHNSplit:
    """One format-2 ``.mat`` file (MATLAB v5, read by scipy)."""
    mat = load_mat(path)
    if "X" not in mat or "y" not in mat:
        raise DataError(path, "expected variables 'X' (32, 32, 3, N) and 'y' (N, 1)")
    images, labels = np.asarray(mat["X"]), np.asarray(mat["y"]).reshape(-1)
    if images.ndim != 4 or images.shape[2] != 3 or images.shape[3] != len(labels):
        raise DataError(path, f"X must be (H, W, 3, N) with N = {len(labels)} labels, got {images.shape}")
    if labels.size and (labels.min() < 1 or labels.max() > ZERO_LABEL):
        raise DataError(path, f"labels must be 1..10, got {labels.min()}..{labels.max()}")
    images = np.ascontiguousarray(images.transpose(3, 0, 1, 2)).astype(np.uint8)  # (N, H, W, 3)
    return SVHNSplit(images, (labels % ZERO_LABEL).astype(np.int64))


class SVHN:
    """SVHN format 2 (module docstring)."""

    name = "svhn"
    preprocessing = Preprocessing("stretch")
    training_kind = "images"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.train_file = expect_file(self.root, "train_32x32.mat", "SVHN")
        self.test_file = expect_file(self.root, "test_32x32.mat", "SVHN")

    def training_images(self, spec: ResizeSpec, validation_count: int = 0) -> Dataset:
        return ArrayImages(read_svhn(self.train_file).images, spec)

    def validation_images(self, spec: ResizeSpec, count: int) -> Dataset | None:
        if count <= 0:
            return None
        images = read_svhn(self.test_file).images
        return ArrayImages(images, spec, indices=np.arange(min(count, len(images))))

    def evaluation_splits(self) -> EvaluationSplits:
        raise no_annotations(self.name)
