"""AFLW, the re-cropped release of Zhang et al. 2018 used by the paper (REFERENCE sec. 4-5).

Layout (as distributed)::

    ROOT/aflw_train_images.txt        10,122 image paths relative to ROOT/output, one a line
    ROOT/aflw_test_images.txt         2,991
    ROOT/aflw_train_keypoints.mat     gt: (N, 5, 2) points as (y, x); hw: (N, 2) image (height, width)
    ROOT/aflw_test_keypoints.mat
    ROOT/output/...                   the face crops

Splits: the regressor is fitted on AFLW-train minus its last 10% (the validation split) and tested on
AFLW-test. Unsupervised fine-tuning trains on the same AFLW-train minus 10%; the validation images
are that 10%. Preprocessing: each crop is resized straight to the model size (``data.resize: stretch``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from landmarks.data.image_folder import ImageFolder
from landmarks.data.preprocess import ResizeSpec
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing
from landmarks.datasets.files import (
    check_files_exist,
    expect_file,
    expect_folder,
    load_mat,
    read_lines,
    validation_tail,
)
from landmarks.errors import DataError
from landmarks.evaluation.annotations import AnnotationSet

IMAGES = "output"
POINT_NAMES = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
SUBSETS = ("train", "test")


def read_aflw_keypoints(path: Path, count: int) -> np.ndarray:
    """``gt`` of an ``aflw_*_keypoints.mat`` as ``(N, 5, 2)`` pixel ``(x, y)``, checked against ``hw``.

    NOTE(released): ``gt`` stores (y, x) per point; the released code swaps it, and so do we. Values
    are used as pixel centres of our convention, as the released code uses them.
    """
    mat = load_mat(path)
    for key in ("gt", "hw"):
        if key not in mat:
            raise DataError(
                path, f"no variable {key!r} (has {sorted(k for k in mat if not k.startswith('__'))})"
            )
    gt, hw = np.asarray(mat["gt"], dtype=np.float64), np.asarray(mat["hw"])
    if gt.shape != (count, len(POINT_NAMES), 2) or hw.shape != (count, 2):
        raise DataError(
            path,
            f"expected gt ({count}, 5, 2) and hw ({count}, 2) for {count} listed images, "
            f"got {gt.shape} and {hw.shape}",
        )
    return gt[:, :, ::-1].copy()  # (N, 5, 2) (y, x) -> (x, y)


class AFLW:
    """The re-cropped AFLW of Zhang et al. 2018 (module docstring)."""

    name = "aflw"
    preprocessing = Preprocessing("stretch")
    training_kind = "images"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.image_dir = expect_folder(self.root, IMAGES, "AFLW")
        self._files = {
            subset: (
                expect_file(self.root, f"aflw_{subset}_images.txt", "AFLW"),
                expect_file(self.root, f"aflw_{subset}_keypoints.mat", "AFLW"),
            )
            for subset in SUBSETS
        }

    @cached_property
    def subsets(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """``train`` and ``test``: image names and ``(N, 5, 2)`` pixel points."""
        result = {}
        for subset, (names_file, mat_file) in self._files.items():
            names = read_lines(names_file)
            result[subset] = names, read_aflw_keypoints(mat_file, len(names))
        return result

    def _train_and_val(self) -> tuple[int, int]:
        count = len(self.subsets["train"][0])
        tail = validation_tail(count)
        return count - tail, count

    def training_images(self, spec: ResizeSpec, validation_count: int = 0) -> Dataset:
        cut, _ = self._train_and_val()
        return self._images(self.subsets["train"][0][:cut], spec)

    def validation_images(self, spec: ResizeSpec, count: int) -> Dataset | None:
        cut, end = self._train_and_val()
        names = self.subsets["train"][0][cut:end][:count]
        return self._images(names, spec) if names and count > 0 else None

    def evaluation_splits(self) -> EvaluationSplits:
        cut, end = self._train_and_val()
        return EvaluationSplits(
            train=self._annotations("train", 0, cut),
            val=self._annotations("train", cut, end),
            test=self._annotations("test", 0, len(self.subsets["test"][0])),
            eye_indices=(0, 1),
            frame="model-input",  # the paper's errors are in the 128 x 128 input
        )

    def _annotations(self, subset: str, start: int, stop: int) -> AnnotationSet:
        names, points = self.subsets[subset]
        names = names[start:stop]
        check_files_exist(self.image_dir, names, f"AFLW {subset} images")
        return AnnotationSet(
            self.image_dir, [Path(n) for n in names], points[start:stop], point_names=POINT_NAMES
        )

    def _images(self, names: list[str], spec: ResizeSpec) -> ImageFolder:
        check_files_exist(self.image_dir, names, "AFLW images")
        return ImageFolder(self.image_dir, spec, paths=[self.image_dir / name for name in names])
