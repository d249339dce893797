"""A dataset of images drawn on demand by a deterministic ``draw(seed, index, size)`` function.

Convention:
    ``draw`` returns an ``(S, S, 3)`` uint8 RGB image and ``(L, 2)`` float pixel ``(x, y)`` points;
    item ``i`` is ``{"image": (3, S, S) float32 in [0, 1], "keypoints": (L, 2) float32, "index": i}``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

Draw = Callable[[int, int, int], tuple[np.ndarray, np.ndarray]]


class DrawnImages(Dataset):
    """``count`` images ``draw(seed, start + i, size)``; subclasses set ``draw`` and ``name``.

    Use disjoint ``start`` ranges (or seeds) for disjoint splits.
    """

    draw: Draw
    name = "drawn images"

    def __init__(self, count: int, size: int, seed: int = 0, *, start: int = 0):
        if count < 0 or start < 0:
            raise ValueError(f"count and start must be >= 0, got {count} and {start}")
        self.count, self.size, self.seed, self.start = count, size, seed, start

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < self.count:
            raise IndexError(f"index {index} out of range for {self.count} {self.name}")
        image, keypoints = type(self).draw(self.seed, self.start + index, self.size)
        tensor = torch.from_numpy(image).permute(2, 0, 1).float().div_(255.0)  # (3, S, S)
        return {"image": tensor, "keypoints": torch.from_numpy(keypoints).float(), "index": index}
