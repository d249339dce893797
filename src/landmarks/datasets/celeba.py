"""CelebA (aligned) with the MAFL splits: the paper's face training set and the MAFL protocol.

Layout (as distributed; the MAFL lists placed in ``MAFL/`` as the released code expects)::

    ROOT/Img/img_align_celeba/000001.jpg ...       202,599 aligned 178x218 JPEGs (or the authors'
                                                   release's Img/img_align_celeba_hq, same names)
    ROOT/Anno/list_landmarks_align_celeba.txt      count line, header line, then name and 5 (x, y)
    ROOT/Eval/list_eval_partition.txt              name and 0 (train) / 1 (val) / 2 (test)
    ROOT/MAFL/training.txt                         19,000 names
    ROOT/MAFL/testing.txt                          1,000 names

Splits (REFERENCE sec. 4-5; every list keeps CelebA's file order):
    ``celeba`` (paper): training images are all of CelebA minus MAFL-test; the last
    ``validation_count`` of them are held out for validation losses and never trained on.
    ``celeba-released``: training images are CelebA's own train partition minus MAFL-test and the
    MAFL validation tail (as the released code); validation images come from CelebA's val partition,
    without those images too.
    Evaluation (both): the regressor is fitted on MAFL-train minus its last 10% (in CelebA order),
    that 10% is the validation split, and MAFL-test (1,000 images) is the test split.

Preprocessing: each 178x218 image is resized to 160x160 ignoring aspect, then the central 128 crop
(``data.resize: stretch-crop``, ``data.resize_to: 160``; scaled with ``model.image_size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from landmarks.data.image_folder import ImageFolder
from landmarks.data.preprocess import ResizeSpec
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing, take_last
from landmarks.datasets.files import (
    check_files_exist,
    expect_file,
    expect_folder,
    read_lines,
    validation_tail,
)
from landmarks.errors import DataError
from landmarks.evaluation.annotations import AnnotationSet

IMAGES = "Img/img_align_celeba"
# The authors' own release of the data (the released code's download) names the same aligned images,
# saved at a higher JPEG quality, Img/img_align_celeba_hq; used when the CUHK folder is absent.
IMAGES_HQ = "Img/img_align_celeba_hq"
LANDMARKS = "Anno/list_landmarks_align_celeba.txt"
PARTITION = "Eval/list_eval_partition.txt"
MAFL_TRAIN = "MAFL/training.txt"
MAFL_TEST = "MAFL/testing.txt"
POINT_NAMES = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
PARTITION_TRAIN, PARTITION_VAL = 0, 1
# released: resize to round(128 / 0.8) = 160 square ignoring aspect, keep the central 128
PREPROCESSING = Preprocessing("stretch-crop", crop_share=0.8)


@dataclass(frozen=True)
class CelebALandmarks:
    """``list_landmarks_align_celeba.txt``: N file names and ``(N, 5, 2)`` pixel ``(x, y)``.

    NOTE: the file does not state its origin; its integers are used as pixel centres of our
    convention (x right, y down, the top-left pixel's centre at (0, 0)), as the released code uses them.
    """

    names: list[str]
    points: np.ndarray


def read_celeba_landmarks(path: Path) -> CelebALandmarks:
    lines = read_lines(path)
    if len(lines) < 2 or not lines[0].isdigit():
        raise DataError(path, "line 1: expected the image count, then a header line")
    header = lines[1].split()
    if len(header) != 2 * len(POINT_NAMES):
        raise DataError(path, f"line 2: expected {2 * len(POINT_NAMES)} column names, got {len(header)}")
    names, rows = [], []
    for number, line in enumerate(lines[2:], start=3):
        cells = line.split()
        if len(cells) != 1 + len(header):
            raise DataError(path, f"line {number}: expected a name and {len(header)} numbers")
        try:
            rows.append([float(cell) for cell in cells[1:]])
        except ValueError:
            raise DataError(path, f"line {number}: coordinates must be numbers") from None
        names.append(cells[0])
    if len(names) != int(lines[0]):
        raise DataError(path, f"line 1 announces {lines[0]} images, the file lists {len(names)}")
    return CelebALandmarks(names, np.asarray(rows, dtype=np.float64).reshape(-1, len(POINT_NAMES), 2))


def read_partition(path: Path) -> dict[str, int]:
    """``list_eval_partition.txt``: image name -> 0 (train), 1 (val) or 2 (test)."""
    partition = {}
    for number, line in enumerate(read_lines(path), start=1):
        cells = line.split()
        if len(cells) != 2 or cells[1] not in ("0", "1", "2"):
            raise DataError(path, f"line {number}: expected '<name> <0|1|2>', got {line!r}")
        partition[cells[0]] = int(cells[1])
    return partition


class CelebA:
    """CelebA aligned faces with the MAFL evaluation splits (module docstring)."""

    preprocessing = PREPROCESSING
    training_kind = "images"

    def __init__(self, root: str | Path, *, released_split: bool = False):
        self.root = Path(root)
        self.name = "celeba-released" if released_split else "celeba"
        self.released_split = released_split
        hq = self.root / IMAGES_HQ
        self.image_dir = hq if hq.is_dir() and not (self.root / IMAGES).is_dir() else expect_folder(
            self.root, IMAGES, "CelebA")
        self._landmarks_file = expect_file(self.root, LANDMARKS, "CelebA")
        self._mafl_files = (
            expect_file(self.root, MAFL_TRAIN, "MAFL"),
            expect_file(self.root, MAFL_TEST, "MAFL"),
        )
        self._partition_file = expect_file(self.root, PARTITION, "CelebA") if released_split else None

    @cached_property
    def landmarks(self) -> CelebALandmarks:
        return read_celeba_landmarks(self._landmarks_file)

    @cached_property
    def mafl_indices(self) -> tuple[list[int], list[int], list[int]]:
        """Indices (in CelebA order) of MAFL-train minus its tail, the 10% tail, and MAFL-test."""
        train, test = (self._mafl_members(path) for path in self._mafl_files)
        tail = validation_tail(len(train))
        return train[: len(train) - tail], train[len(train) - tail :], test

    def _mafl_members(self, path: Path) -> list[int]:
        listed = read_lines(path)
        index = {name: i for i, name in enumerate(self.landmarks.names)}
        unknown = [name for name in listed if name not in index]
        if unknown:
            raise DataError(path, f"{len(unknown)} names not in {LANDMARKS}, e.g. {unknown[0]!r}")
        return sorted(index[name] for name in set(listed))

    def training_names(self) -> list[str]:
        """Every image trained on, before any validation hold-out (module docstring, "Splits")."""
        return self._partition_names(PARTITION_TRAIN) if self.released_split else self._partition_names(None)

    def _partition_names(self, partition: int | None) -> list[str]:
        """Names in CelebA partition ``partition`` (None: all) without MAFL-test, and without the
        MAFL validation tail for the released split (the released code's labels 4 and 5)."""
        _, mafl_val, mafl_test = self.mafl_indices
        excluded = set(mafl_test) | (set(mafl_val) if self.released_split else set())
        names = self.landmarks.names
        partitions = read_partition(self._partition_file) if partition is not None else {}
        return [
            name
            for i, name in enumerate(names)
            if i not in excluded and (partition is None or partitions.get(name) == partition)
        ]

    def training_images(self, spec: ResizeSpec, validation_count: int = 0) -> Dataset:
        names = self.training_names()
        if not self.released_split:
            names, _ = take_last(names, validation_count)
        return self._images(names, spec)

    def validation_images(self, spec: ResizeSpec, count: int) -> Dataset | None:
        if count <= 0:
            return None
        if self.released_split:
            names = self._partition_names(PARTITION_VAL)[:count]
        else:
            _, names = take_last(self.training_names(), count)
        return self._images(names, spec) if names else None

    def evaluation_splits(self) -> EvaluationSplits:
        train, val, test = (self._annotations(indices) for indices in self.mafl_indices)
        # The paper's errors are in the 128 x 128 crop, not the 178 x 218 aligned image.
        return EvaluationSplits(train, val, test, eye_indices=(0, 1), frame="model-input")

    def _annotations(self, indices: list[int]) -> AnnotationSet:
        names = [self.landmarks.names[i] for i in indices]
        check_files_exist(self.image_dir, names, "MAFL images")
        points = self.landmarks.points[indices]  # (N, 5, 2)
        return AnnotationSet(self.image_dir, [Path(n) for n in names], points, point_names=POINT_NAMES)

    def _images(self, names: list[str], spec: ResizeSpec) -> ImageFolder:
        check_files_exist(self.image_dir, names, "CelebA images")
        return ImageFolder(self.image_dir, spec, paths=[self.image_dir / name for name in names])
