"""Running a frozen detector over images and mapping its landmarks back to each image's own pixels.

Kept light (no scikit-learn, no matplotlib): ``landmarks.load`` and ``landmarks detect`` use it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.auto import tqdm

from landmarks.data.images import load_image
from landmarks.data.preprocess import ResizeSpec, fit_to_model
from landmarks.evaluation.errors import EvaluationError
from landmarks.geometry.coordinates import normalized_to_pixels

if TYPE_CHECKING:
    from landmarks.models.checkpoint import TrainedModel
    from landmarks.models.landmark_model import LandmarkModel

KeypointFn = Callable[[torch.Tensor], torch.Tensor]


def resize_spec(trained: TrainedModel) -> ResizeSpec:
    """How the run brought its training images to the model's input size."""
    data = trained.config.data
    return ResizeSpec(trained.config.model.image_size, data.resize, data.resize_to)


def keypoint_function(model: LandmarkModel, device: str | torch.device, *,
                      autocast_dtype: torch.dtype | None = None, channels_last: bool = False) -> KeypointFn:
    """``images (B, 3, S, S) in [0, 1] -> keypoints (B, K, 2) in [-1, 1]`` with the detector alone.

    autocast_dtype: run the convolutions under autocast to this dtype (``torch.bfloat16``: what
    ``trainer.precision: auto`` chooses where it is fast; the soft-argmax stays float32); None: float32.
    channels_last: the network and its inputs in channels-last memory format.
    """
    device = torch.device(device)
    model = model.to(device).eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)

    def keypoints(images: torch.Tensor) -> torch.Tensor:
        images = images.to(device)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            return model.detect(images).keypoints.float()  # (B, K, 2)

    return keypoints


def extract_landmarks(
    keypoint_fn: KeypointFn,
    images: Sequence[str | Path | np.ndarray],
    spec: ResizeSpec,
    *,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
) -> np.ndarray:
    """Learned landmarks of each image, in pixels of that original image.

    Every image is brought to the model's input with :func:`~landmarks.data.preprocess.fit_to_model`
    (as in training), fed alone with no warp, and its landmarks are mapped back with the returned
    :class:`~landmarks.data.preprocess.PixelTransform`. Runs under ``torch.inference_mode``; put a
    network in ``eval()`` mode before passing it.

    Args:
        keypoint_fn: maps ``(B, 3, S, S)`` float RGB in ``[0, 1]`` (S = ``spec.size``) to ``(B, K, 2)``
            landmarks, ``(x, y)`` in ``[-1, 1]`` (:mod:`landmarks.geometry.coordinates`).
        images: N image files, or ``(H, W, 3)`` uint8 RGB arrays.
        spec: how images become model inputs.
        batch_size: images per call of ``keypoint_fn``.
        device: where the batches go.
        progress: show a progress bar; by default only when stderr is a terminal.

    Returns:
        ``(N, K, 2)`` float64 pixel ``(x, y)`` of each original image.
    """
    if len(images) == 0:
        raise EvaluationError("no images to extract landmarks from")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    show = sys.stderr.isatty() if progress is None else progress
    batches = []
    with tqdm(total=len(images), desc="landmarks", unit="image", disable=not show) as bar:
        for start in range(0, len(images), batch_size):
            batches.append(_extract_batch(keypoint_fn, images[start : start + batch_size], spec, device))
            bar.update(len(batches[-1]))
    return np.concatenate(batches)


def _extract_batch(keypoint_fn: KeypointFn, images, spec: ResizeSpec, device) -> np.ndarray:
    fitted = [fit_to_model(_as_array(image), spec) for image in images]
    batch = torch.stack([tensor for tensor, _ in fitted]).to(device)  # (B, 3, S, S)
    with torch.inference_mode():
        keypoints = keypoint_fn(batch)  # (B, K, 2) in [-1, 1]
    if keypoints.ndim != 3 or keypoints.shape[0] != len(batch) or keypoints.shape[-1] != 2:
        raise EvaluationError(f"keypoint_fn must return ({len(batch)}, K, 2), got {tuple(keypoints.shape)}")
    pixels = normalized_to_pixels(keypoints.double(), spec.size, spec.size).cpu().numpy()  # (B, K, 2)
    return np.stack(
        [transform.to_original(points) for (_, transform), points in zip(fitted, pixels, strict=True)]
    )


def _as_array(image: str | Path | np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        return load_image(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
        raise EvaluationError(f"image arrays must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
    return image
