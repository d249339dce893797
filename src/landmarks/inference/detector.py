"""A trained detector for images of any size: what ``landmarks.load(path)`` returns.

::

    import landmarks
    model = landmarks.load("runs/cpu-20261124-101500")            # run folder, checkpoint or export
    points = model.detect(["face1.jpg", "face2.png"])              # (2, K, 2) pixels of each image

Convention:
    Landmarks are pixel ``(x, y)`` of each ORIGINAL image (x right, y down, the centre of the top-left
    pixel at ``(0, 0)``; :mod:`landmarks.geometry.coordinates`). Images are brought to the model's input
    exactly as in training and evaluation (:func:`~landmarks.data.preprocess.fit_to_model` with the run's
    ``data.resize``) and the landmarks mapped back by :func:`~landmarks.evaluation.extract.extract_landmarks`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from landmarks.data.preprocess import ResizeSpec
from landmarks.errors import LandmarksError, WeightsError
from landmarks.evaluation.extract import extract_landmarks, keypoint_function, resize_spec
from landmarks.hardware.precision import AUTO, choose_precision
from landmarks.inference.image_input import ImageLike, image_list
from landmarks.models.checkpoint import load_trained_model
from landmarks.notices import announce

if TYPE_CHECKING:  # the regressor brings scikit-learn: imported only when one is loaded
    from landmarks.evaluation.saved_regressor import SavedRegressor

logger = logging.getLogger(__name__)

class LandmarkDetector:
    """The detector Phi of a trained model, with the resize it was trained with.

    Args:
        model: anything with ``detect(images (B, 3, S, S) in [0, 1]) -> Detection`` (a
            :class:`~landmarks.models.LandmarkModel`), put in eval mode on ``device``.
        spec: how images become ``S x S`` inputs (the run's ``data.resize``).
        num_landmarks: K, the landmarks the model finds.
        device: where batches run (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
        regressor: an optional map from the K learned landmarks to L named points
            (``regressor.safetensors`` written by ``landmarks evaluate``).
        precision: ``"auto"`` (bfloat16 autocast where the device computes it natively and fast, as
            ``trainer.precision: auto`` chooses in training: :mod:`landmarks.hardware.precision`),
            ``"32-true"`` or ``"bf16-mixed"``. :attr:`precision` says what was chosen and why.
    """

    def __init__(self, model: nn.Module, spec: ResizeSpec, *, num_landmarks: int,
                 device: str | torch.device = "cpu", regressor: SavedRegressor | None = None,
                 precision: str = AUTO):
        self.device = _check_device(device)
        self.spec = spec
        self.model = model.to(self.device).eval()
        self.regressor = regressor
        self.num_landmarks = num_landmarks
        if regressor is not None and regressor.num_landmarks != num_landmarks:
            raise WeightsError(f"the regressor reads K={regressor.num_landmarks} learned landmarks, "
                               f"the model finds K={num_landmarks}")
        self.precision = choose_precision(precision, self.device, spec.size)
        autocast = self.precision.autocast_dtype
        # Channels-last on a CPU: as fast or faster in every measurement of detect() at 128 px, float32
        # and bfloat16 (1.0-1.5x; benchmarks/results/train_speed-cpu.md); autocast GPUs want it for
        # their tensor cores.
        channels_last = self.device.type == "cpu" or autocast is not None
        self._keypoints = keypoint_function(self.model, self.device, autocast_dtype=autocast,
                                            channels_last=channels_last)

    @property
    def point_names(self) -> tuple[str, ...]:
        """The L names of the regressed points (empty without a regressor)."""
        return () if self.regressor is None else self.regressor.point_names

    def keypoints(self, batch: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S)`` model inputs in ``[0, 1]`` -> ``(B, K, 2)`` ``(x, y)`` in ``[-1, 1]``."""
        return self._keypoints(batch)

    def detect(self, images: ImageLike | Sequence[ImageLike], *, batch_size: int = 32,
               progress: bool = False) -> np.ndarray:
        """The K learned landmarks of each image.

        Args:
            images: one image or a list (paths, PIL images, arrays, tensors: see
                :mod:`landmarks.inference.image_input`); files are read a batch at a time.
            batch_size: images per forward pass.
            progress: show a progress bar.

        Returns:
            ``(N, K, 2)`` float64 pixel ``(x, y)`` of each original image.

        Raises:
            DataError: an image cannot be read or has an unsupported shape or type (naming the file).
        """
        items = image_list(images)
        return extract_landmarks(self._keypoints, items, self.spec, batch_size=batch_size,
                                 device=self.device, progress=progress)

    def regress(self, landmarks: np.ndarray) -> np.ndarray:
        """``(N, K, 2)`` learned landmarks in pixels -> ``(N, L, 2)`` annotated-style points, same pixels."""
        if self.regressor is None:
            raise LandmarksError("no regressor loaded: pass regressor=RUN/evaluation/regressor.safetensors "
                                 "(written by landmarks evaluate)")
        return self.regressor.predict(landmarks)

    def detect_points(self, images: ImageLike | Sequence[ImageLike], *, batch_size: int = 32
                      ) -> np.ndarray:
        """``(N, L, 2)`` annotated-style points of each image: :meth:`regress` of :meth:`detect`."""
        return self.regress(self.detect(images, batch_size=batch_size))


def load_detector(path: str | Path, *, device: str | torch.device = "cpu",
                  regressor: str | Path | None = None, precision: str = AUTO) -> LandmarkDetector:
    """A :class:`LandmarkDetector` from a run folder, a checkpoint, or an export (folder or
    ``model.safetensors``), with the regressor file ``regressor`` if given, computing in ``precision``
    (``"auto"``, ``"32-true"``, ``"bf16-mixed"``)."""
    trained = load_trained_model(path)
    saved = None
    if regressor is not None:
        from landmarks.evaluation.saved_regressor import load_regressor

        saved = load_regressor(regressor)
    detector = LandmarkDetector(trained.model, resize_spec(trained), device=device, regressor=saved,
                                num_landmarks=trained.config.model.num_landmarks, precision=precision)
    announce(logger, "%s", detector.precision.line())  # seen by an API caller too (landmarks.notices)
    return detector


def _check_device(device: str | torch.device) -> torch.device:
    try:
        device = torch.device(device)
    except RuntimeError as error:
        raise LandmarksError(f"unknown device {str(device)!r} ({error})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise LandmarksError(f"device {device} asked for, but CUDA is not available here")
    return device
