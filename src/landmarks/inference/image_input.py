"""Images handed to :meth:`LandmarkDetector.detect` in any common form, brought to one in-memory form.

Every image becomes what :func:`landmarks.data.images.load_image` makes of an image file, the form
training and evaluation read: ``(H, W, 3)`` ``uint8`` RGB, alpha dropped, grey repeated to three
channels, 16-bit scaled to 8 bits, floats in ``[0, 1]`` rounded to 8 bits. So an image gives the same
landmarks whether it is passed as a file, a PIL image, an array or a tensor.

Accepted:
    * a file path (``str`` or :class:`~pathlib.Path`), read when its batch is (not all up front);
    * a PIL image of any mode;
    * a NumPy array ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)``: ``uint8``, ``uint16``
      (0-65535), or float in ``[0, 1]``; a 4-D ``(N, H, W, C)`` array is N images;
    * a torch tensor in PyTorch's channel-first layout, ``(C, H, W)`` or ``(N, C, H, W)`` with C in 1, 3,
      4: float in ``[0, 1]`` or ``uint8``;
    * a list or tuple of any of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from landmarks.data.images import pil_to_rgb8
from landmarks.errors import DataError

ImageLike = str | Path | Image.Image | np.ndarray | torch.Tensor
CHANNELS = (1, 3, 4)  # grey, RGB, RGBA


def image_list(images: ImageLike | Sequence[ImageLike]) -> list[str | Path | np.ndarray]:
    """Split ``images`` into single images: paths stay paths, everything else is ``(H, W, 3)`` uint8."""
    if isinstance(images, (str, Path, Image.Image)):
        return [_one(images)]
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu()
        if images.ndim == 3:
            return [_from_tensor(images)]
        if images.ndim == 4:
            return [_from_tensor(image) for image in images]
        raise DataError(None, f"image tensors must be (C, H, W) or (N, C, H, W), got {tuple(images.shape)}")
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            return [to_rgb8(image) for image in images]
        return [to_rgb8(images)]
    if isinstance(images, Sequence):
        return [_one(image) for image in images]
    raise DataError(None, f"cannot read images from a {type(images).__name__}")


def _one(image: ImageLike) -> str | Path | np.ndarray:
    if isinstance(image, (str, Path)):
        return image
    if isinstance(image, torch.Tensor):
        return _from_tensor(image.detach().cpu())
    return to_rgb8(image)


def to_rgb8(image: Image.Image | np.ndarray) -> np.ndarray:
    """One PIL image or NumPy array (forms in the module docstring) as ``(H, W, 3)`` ``uint8`` RGB."""
    if isinstance(image, Image.Image):
        return pil_to_rgb8(image)
    if not isinstance(image, np.ndarray):
        raise DataError(None, f"expected an image, got a {type(image).__name__}")
    array = image[..., None] if image.ndim == 2 else image  # (H, W, C)
    if array.ndim != 3 or array.shape[-1] not in CHANNELS or min(array.shape[:2]) < 1:
        raise DataError(None, f"image arrays must be (H, W) or (H, W, C) with C in {CHANNELS}, "
                              f"got shape {image.shape}")
    array = _to_uint8(array)
    if array.shape[-1] == 1:
        return np.repeat(array, 3, axis=-1)
    return np.ascontiguousarray(array[..., :3])


def _from_tensor(image: torch.Tensor) -> np.ndarray:
    if image.ndim != 3 or image.shape[0] not in CHANNELS:
        raise DataError(None, f"image tensors must be channel-first (C, H, W) with C in {CHANNELS}, "
                              f"got shape {tuple(image.shape)}")
    if image.is_floating_point():
        image = image.double()
    return to_rgb8(image.permute(1, 2, 0).numpy())  # (H, W, C)


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """``uint8`` as is, ``uint16`` scaled as 16-bit image files are, floats in ``[0, 1]`` rounded."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return np.round(array.astype(np.float64) / 65535.0 * 255.0).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise DataError(None, "float images must hold finite values in [0, 1], got values in "
                                  f"[{np.nanmin(array):g}, {np.nanmax(array):g}]")
        return np.round(array.astype(np.float64) * 255.0).astype(np.uint8)
    raise DataError(None, f"image arrays must be uint8, uint16 or float in [0, 1], got {array.dtype}")
