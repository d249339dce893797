"""The Lightning data module: training and validation images from the configured source.

The training batches follow :mod:`landmarks.training.data_order`: an order fixed by ``seed`` and the
epoch, split between the processes here (the trainers are built with Lightning's own distributed
sampler off), whose position every checkpoint keeps. ``data.source: shards`` streams instead, with
its own order and saved position (:mod:`landmarks.data.shard_stream`).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from landmarks.config import DataConfig, ExperimentConfig, PairsConfig
from landmarks.data.preloaded import PreloadedImages, usable_cpus
from landmarks.data.sources import build_training_dataset, build_validation_dataset
from landmarks.errors import DataError
from landmarks.training.data_order import ResumableLoader, ResumableOrder

logger = logging.getLogger("landmarks.data")
STREAM_STATE = "shard_stream"  # the checkpoint entry of a shard stream's position


def data_image_size(config: ExperimentConfig) -> int:
    """The side of the images the data module gives: the model's, times ``pairs.supersample``."""
    return config.model.image_size * config.pairs.supersample


class LandmarkData(L.LightningDataModule):
    """Batches of ``{"image": (B, 3, S, S)}`` in ``[0, 1]``; pairs are made on the device by the module.

    Pair sources (videos, views) give ``{"source", "target"}`` batches instead; with
    ``pairs.warp_video_pairs`` the module TPS-warps them on the device, batched (the datasets' own
    ``warp`` option, one pair at a time in the workers, is for use outside this module).

    ``data.source: shards`` streams the shards of ``data.root`` (:mod:`landmarks.data.shard_stream`):
    the shard order of each epoch comes from ``seed``, and the stream's position is saved in every
    checkpoint (:meth:`state_dict`) so that a resumed run continues it.
    """

    def __init__(self, config: DataConfig, image_size: int, *, seed: int = 0):
        super().__init__()
        self.config = config
        self.image_size = image_size
        self.seed = seed  # of the training order (trainer.seed) and of the shard order
        self.pairs: PairsConfig | None = None  # no warping in the workers
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None
        self.shards = None  # (paths, manifest) of data.source shards
        self._restored = None  # the StreamPosition of a resumed run
        self._stream_start: tuple[int, Any] | None = None  # (global step, position) at the stream's start

    def setup(self, stage: str) -> None:
        if self.config.source == "shards":
            return self._setup_shards()
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

    def _setup_shards(self) -> None:
        """Check the shard folder (manifest, each shard's size, the image size); read the validation shard."""
        if self.shards is not None:
            return
        from landmarks.data.shard_format import (
            VALIDATION_SHARD,
            check_shards,
            read_manifest,
            require_webdataset,
        )
        from landmarks.data.shard_stream import ShardItems

        require_webdataset()
        folder = Path(self.config.root)
        manifest = read_manifest(folder)
        paths = check_shards(folder, manifest)
        if manifest.image_size != self.image_size:
            raise DataError(folder, f"the shards hold {manifest.image_size} px images, this config trains on "
                                    f"{self.image_size} px (model.image_size x pairs.supersample): write the "
                                    f"shards with the training config")
        if manifest.items < self.config.batch_size:
            raise DataError(folder, f"only {manifest.items} training items in the shards, fewer than one "
                                    f"batch (data.batch_size={self.config.batch_size})")
        self.shards = (paths, manifest)
        if self.config.validation_count > 0 and manifest.validation:
            self.val_set = ShardItems(folder / VALIDATION_SHARD, manifest)

    def _workers(self) -> int:
        return min(self.config.num_workers, usable_cpus())

    def _loader_options(self, dataset: Dataset) -> dict:
        # Preloaded images need no workers: indexing memory is cheaper than passing batches between
        # processes. Otherwise no more workers than usable cores (torch warns of the excess).
        workers = 0 if isinstance(dataset, PreloadedImages) else self._workers()
        return dict(num_workers=workers, persistent_workers=workers > 0, pin_memory=torch.cuda.is_available())

    def _processes(self) -> tuple[int, int]:
        """``(rank, world_size)`` of this process in the trainer's run (0, 1 outside one)."""
        trainer = getattr(self, "trainer", None)
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def train_dataloader(self) -> DataLoader:
        if self.config.source == "shards":
            return self._stream_loader()
        rank, world_size = self._processes()
        order = ResumableOrder(len(self.train_set), batch_size=self.config.batch_size, seed=self.seed,
                               rank=rank, world_size=world_size)
        if order.batches_per_epoch == 0:  # several processes share too few images
            where = self.config.root or self.config.source
            raise DataError(where, f"{len(self.train_set)} training images give each of {world_size} "
                                   f"processes fewer than one batch (data.batch_size="
                                   f"{self.config.batch_size}); lower the batch size")
        return ResumableLoader(self.train_set, order, **self._loader_options(self.train_set))


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
                          **self._loader_options(self.val_set))

    # ---------------------------------------------------------------- shards
    def _stream_loader(self) -> DataLoader:
        """This process's stream of the shards, continuing a resumed run's where the layout allows."""
        from landmarks.data.shard_stream import ShardStream, StreamPosition

        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
        workers = self._workers()
        position = StreamPosition(0, world, max(workers, 1), self.config.batch_size,
                                  self.config.shuffle_buffer)
        if self._restored is not None and self._restored.continues(position):
            position = self._restored
        elif self._restored is not None and rank == 0:
            logger.warning("the shard stream starts again from its first epoch: the resumed run has another "
                           "layout (processes, workers, batch size or shuffle buffer: %s, now %s)",
                           self._restored, position)
        self._stream_start = (trainer.global_step if trainer is not None else 0, position)
        paths, manifest = self.shards
        stream = ShardStream(paths, manifest, seed=self.seed, buffer=self.config.shuffle_buffer, rank=rank,
                             world_size=world, position=position)
        return DataLoader(stream, batch_size=self.config.batch_size, num_workers=workers,
                          persistent_workers=workers > 0, pin_memory=torch.cuda.is_available())

    def state_dict(self) -> dict:
        """The shard stream's position (batches trained on, and its layout), saved in every checkpoint."""
        if self._stream_start is None:
            return {}
        start_step, position = self._stream_start
        step = self.trainer.global_step if self.trainer is not None else start_step
        batches = position.batches + step - start_step  # one batch per optimiser step
        return {STREAM_STATE: dataclasses.asdict(dataclasses.replace(position, batches=batches))}

    def load_state_dict(self, state: dict) -> None:
        from landmarks.data.shard_stream import StreamPosition

        if STREAM_STATE in state:
            self._restored = StreamPosition(**state[STREAM_STATE])
