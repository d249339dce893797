"""The Lightning data module: training and validation images from the configured source.

The training batches follow :mod:`landmarks.training.data_order`: an order fixed by ``seed`` and the
epoch, split between the processes here (the trainers are built with Lightning's own distributed
sampler off), whose position every checkpoint keeps.
"""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from landmarks.config import DataConfig, ExperimentConfig, PairsConfig
from landmarks.data.preloaded import PreloadedImages, usable_cpus
from landmarks.data.sources import build_training_dataset, build_validation_dataset
from landmarks.errors import DataError
from landmarks.training.data_order import ResumableLoader, ResumableOrder


def data_image_size(config: ExperimentConfig) -> int:
    """The side of the images the data module gives: the model's, times ``pairs.supersample``."""
    return config.model.image_size * config.pairs.supersample


class LandmarkData(L.LightningDataModule):
    """Batches of ``{"image": (B, 3, S, S)}`` in ``[0, 1]``; pairs are made on the device by the module.

    Pair sources (videos, views) give ``{"source", "target"}`` batches instead; with
    ``pairs.warp_video_pairs`` the module TPS-warps them on the device, batched (the datasets' own
    ``warp`` option, one pair at a time in the workers, is for use outside this module).
    """

    def __init__(self, config: DataConfig, image_size: int, *, seed: int = 0):
        super().__init__()
        self.config = config
        self.image_size = image_size
        self.seed = seed  # of the training order (trainer.seed)
        self.pairs: PairsConfig | None = None  # no warping in the workers
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None

    def setup(self, stage: str) -> None:
        if self.train_set is None:
            self.train_set = build_training_dataset(self.config, self.image_size, self.pairs)
            if self.config.preload:
                source = self.config.root or self.config.source
                self.train_set = PreloadedImages(self.train_set, workers=self.config.num_workers,
                                                 name=f"training images of {source}")
            self.val_set = build_validation_dataset(self.config, self.image_size, self.pairs)
        if len(self.train_set) < self.config.batch_size:
            where = self.config.root or self.config.source
            raise DataError(where, f"only {len(self.train_set)} training images, fewer than one batch "
                                   f"(data.batch_size={self.config.batch_size}); lower the batch size")

    def _workers(self, dataset: Dataset) -> dict:
        # Preloaded images need no workers: indexing memory is cheaper than passing batches between
        # processes. Otherwise no more workers than usable cores (torch warns of the excess).
        workers = 0 if isinstance(dataset, PreloadedImages) else min(self.config.num_workers, usable_cpus())
        return dict(num_workers=workers, persistent_workers=workers > 0, pin_memory=torch.cuda.is_available())

    def _processes(self) -> tuple[int, int]:
        """``(rank, world_size)`` of this process in the trainer's run (0, 1 outside one)."""
        trainer = getattr(self, "trainer", None)
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def train_dataloader(self) -> ResumableLoader:
        rank, world_size = self._processes()
        order = ResumableOrder(len(self.train_set), batch_size=self.config.batch_size, seed=self.seed,
                               rank=rank, world_size=world_size)
        if order.batches_per_epoch == 0:  # several processes share too few images
            where = self.config.root or self.config.source
            raise DataError(where, f"{len(self.train_set)} training images give each of {world_size} "
                                   f"processes fewer than one batch (data.batch_size="
                                   f"{self.config.batch_size}); lower the batch size")
        return ResumableLoader(self.train_set, order, **self._workers(self.train_set))

    def val_dataloader(self) -> DataLoader | list:
        # Nothing held out (a single video, validation_count 0): no validation, rather than a loader
        # over nothing (Lightning runs no validation loop for an empty list).
        if self.val_set is None:
            return []
        rank, world_size = self._processes()
        sampler = None  # each process validates its share, as Lightning's own distributed sampler did
        if world_size > 1:
            sampler = DistributedSampler(self.val_set, num_replicas=world_size, rank=rank, shuffle=False)
        return DataLoader(self.val_set, batch_size=self.config.batch_size, sampler=sampler,
                          **self._workers(self.val_set))
