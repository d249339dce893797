"""Images held in memory (SVHN, smallNORB) as a training source."""

from __future__ import annotations

import numpy as np
from torch.utils.data import Dataset

from landmarks.data.preprocess import ResizeSpec, fit_to_model


class ArrayImages(Dataset):
    """N images of one array, resized for the network like :class:`~landmarks.data.image_folder.ImageFolder`.

    Item ``i``: ``image`` ``(3, S, S)`` float32 RGB in ``[0, 1]`` (``S = spec.size``) and ``index``.

    Args:
        images: ``(N, H, W, 3)`` RGB or ``(N, H, W)`` grayscale, ``uint8``.
        spec: how each image becomes ``S x S``.
        indices: the images of ``images`` this dataset serves (a split), default all.
    """

    def __init__(self, images: np.ndarray, spec: ResizeSpec, indices: np.ndarray | None = None):
        if (
            images.dtype != np.uint8
            or images.ndim not in (3, 4)
            or (images.ndim == 4 and images.shape[-1] != 3)
        ):
            raise ValueError(
                f"images must be uint8 (N, H, W, 3) or (N, H, W), got {images.dtype} {images.shape}"
            )
        self.images = images
        self.spec = spec
        self.indices = np.arange(len(images)) if indices is None else np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self.indices):
            raise IndexError(f"index {index} out of range for {len(self.indices)} images")
        image = self.images[self.indices[index]]
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)  # (H, W) -> (H, W, 3)
        tensor, _ = fit_to_model(image, self.spec)  # (3, S, S)
        return {"image": tensor, "index": int(self.indices[index])}
