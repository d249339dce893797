"""What every named dataset adapter offers: training images, and evaluation splits where it has labels.

An adapter reads one dataset exactly as it is distributed (its own files, names and splits) from a
root folder, and hands the rest of the library the library's own forms:

- training images: a torch ``Dataset`` whose items hold ``image`` ``(3, S, S)`` float32 in ``[0, 1]``
  (like :class:`~landmarks.data.image_folder.ImageFolder`), brought to size with
  :func:`~landmarks.data.preprocess.fit_to_model`;
- evaluation splits: :class:`~landmarks.evaluation.annotations.AnnotationSet` for train / val / test,
  points in pixels of each original image (:mod:`landmarks.geometry.coordinates`), NaN where missing;
- for video and multi-view datasets, training pairs (two frames of one video, two views of one
  object) in the item form of :mod:`landmarks.data.pair_items`, by :meth:`PairAdapter.training_pairs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from torch.utils.data import Dataset

from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.errors import ConfigError
from landmarks.evaluation.annotations import AnnotationSet


@dataclass(frozen=True)
class EvaluationSplits:
    """The annotated splits of a dataset's evaluation protocol (REFERENCE sec. 4).

    Attributes:
        train: images the linear regressor is fitted on.
        val: held-out images for model selection (ridge strength), or None.
        test: images the error is reported on.
        eye_indices: the two points whose distance normalises errors (faces), or None to report
            pixel errors and PCK (bodies).
        frame: where the protocol measures errors: ``"image"`` (each image's pixels) or ``"model-input"``
            (the model input's, after resize and crop: MAFL and AFLW, errors in the 128 x 128 crop).
        pck_scale: PCK thresholds are pixels of the images scaled by this (BBC-Pose: 0.5, the official
            toolkit's halved frames); 1 for the images as they are.
    """

    train: AnnotationSet
    val: AnnotationSet | None
    test: AnnotationSet
    eye_indices: tuple[int, int] | None = (0, 1)
    frame: str = "image"
    pck_scale: float = 1.0


@dataclass(frozen=True)
class Preprocessing:
    """How a dataset's protocol brings images to the model's input (``data.resize``, ``data.resize_to``).

    ``crop_share``: for the crop modes, the share of the resized image the central crop keeps, so that
    ``resize_to = round(image_size / crop_share)`` (CelebA: 0.8, 160 for 128); None for no crop.
    """

    resize: str = "stretch"
    crop_share: float | None = None

    def resize_to(self, image_size: int) -> int | None:
        return None if self.crop_share is None else round(image_size / self.crop_share)

    def spec(self, image_size: int) -> ResizeSpec:
        return ResizeSpec(image_size, self.resize, self.resize_to(image_size))  # type: ignore[arg-type]

    def overrides(self, image_size: int) -> list[str]:
        """The ``data.*`` config overrides that select this preprocessing."""
        resize_to = self.resize_to(image_size)
        return [f"data.resize={self.resize}", f"data.resize_to={'null' if resize_to is None else resize_to}"]


class DatasetAdapter(Protocol):
    """One named dataset read from ``root`` (see :mod:`landmarks.datasets.registry`).

    ``training_kind`` says what ``landmarks fit`` trains on: ``"images"`` (still images, paired by
    TPS warps: :meth:`training_images`, :meth:`validation_images`) or ``"pairs"`` (two frames of one
    video or two views of one object: :meth:`training_pairs`).
    """

    name: str
    root: Path
    preprocessing: Preprocessing
    training_kind: Literal["images", "pairs"]

    def training_images(self, spec: ResizeSpec, validation_count: int = 0) -> Dataset:
        """The training images, without the ``validation_count`` held out by :meth:`validation_images`."""

    def validation_images(self, spec: ResizeSpec, count: int) -> Dataset | None:
        """Up to ``count`` held-out images for validation losses and image grids (never trained on)."""

    def training_pairs(
        self,
        spec: ResizeSpec,
        *,
        split: Literal["train", "validation"],
        validation_count: int,
        warp: TpsPairMaker | None = None,
    ) -> Dataset | None:
        """Pairs of the ``"train"`` split (fresh each epoch), or ``validation_count`` fixed held-out pairs."""

    def evaluation_splits(self) -> EvaluationSplits:
        """The annotated train / val / test splits; :class:`ConfigError` for a dataset without labels."""


def no_annotations(name: str) -> ConfigError:
    """The error of :meth:`DatasetAdapter.evaluation_splits` for a dataset that has no landmark labels."""
    return ConfigError(f"dataset {name!r} has no landmark annotations to evaluate on")


def take_last(items: Sequence, count: int) -> tuple[list, list]:
    """``items`` split into (all but the last ``count``, the last ``count``); ``count`` may be 0."""
    cut = len(items) - max(0, min(count, len(items) // 2))
    return list(items[:cut]), list(items[cut:])
