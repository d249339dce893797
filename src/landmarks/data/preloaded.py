"""Training images held in memory, prepared once before training (``data.preload``).

Drawing a synthetic face or decoding and resizing a file costs CPU time at every step; on a machine
with few cores that time is taken from the training step itself (on the 2-core demo machine, 3.6 ms
per 32 px synthetic face, a third of a step). Preloading prepares every image once, in parallel
worker processes, and keeps them as 8-bit RGB (``N x 3 x S x S`` bytes); each is then warped into new
pairs at every epoch as usual.

Convention:
    Items are ``{"image": (3, S, S) float32 in [0, 1], "index": i}``, like the still-image datasets
    they replace. Images are stored rounded to 8 bits: exact for the synthetic faces (drawn as 8-bit
    images), within half a grey level for resized files.
"""

from __future__ import annotations

import logging
import os
import time

import torch
from torch.utils.data import DataLoader, Dataset

from landmarks.errors import DataError

logger = logging.getLogger(__name__)

PRELOAD_BATCH = 64  # images per worker task


class PreloadedImages(Dataset):
    """Every image of a still-image dataset, prepared once and kept in memory as ``uint8``.

    Args:
        dataset: items with ``image`` ``(3, S, S)`` float in ``[0, 1]`` (synthetic faces, image folders,
            named datasets' training splits).
        workers: processes that prepare the images (0: this process).
        name: what the images are, for the progress line and for errors.
    """

    def __init__(self, dataset: Dataset, *, workers: int = 0, name: str = "training images"):
        count = len(dataset)
        if count == 0:
            raise DataError(name, "nothing to preload: the dataset is empty")
        if "image" not in dataset[0]:
            raise DataError(name, "preloading holds still images; this source yields ready pairs")
        started = time.monotonic()
        workers = min(workers, usable_cpus())  # more processes than cores only compete for them
        loader = DataLoader(dataset, batch_size=PRELOAD_BATCH, shuffle=False, num_workers=workers,
                            collate_fn=_images_only)
        self.images = torch.cat(list(loader))  # (N, 3, S, S) uint8
        megabytes = self.images.numel() / 2**20
        logger.info("preloaded %d %s (%.0f MB) in %.1f s with %d process(es)", count, name, megabytes,
                    time.monotonic() - started, max(workers, 1))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.images[index].float().div_(255.0), "index": index}


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one, e.g. under ``taskset``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _images_only(items: list[dict]) -> torch.Tensor:
    """Collates only what is kept: the images, as ``(n, 3, S, S)`` ``uint8``."""
    images = torch.stack([item["image"] for item in items])  # (n, 3, S, S) float in [0, 1]
    return images.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
