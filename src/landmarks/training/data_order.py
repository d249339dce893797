"""The order of the training data, and the place in it that every checkpoint keeps.

Epoch ``e`` visits the training set in the order of ``torch.randperm`` seeded with ``seed + e`` (the
same order on every process, whatever came before: no other generator is involved). With several
processes, process ``rank`` takes every ``world_size``-th index of that order from ``rank`` on, the
end padded from the start so that every process gets as many (as torch's ``DistributedSampler``).
Each process's share is cut to whole batches (``drop_last``).

:class:`ResumableLoader` counts the batches it has handed out in the current epoch. Lightning saves
that :class:`DataPosition` in every checkpoint (the loader's ``state_dict``) and gives it back on
``--resume`` (``load_state_dict``), so that a resumed run draws the same batches, in the same order,
as a run that was never stopped. Each ``iter()`` continues from the position, and moves on to the
next epoch once the current one has handed out all its batches.

Convention: ``DataPosition.batch`` counts this process's batches of epoch ``epoch`` already handed
out, in ``[0, batches_per_epoch]``; a loader is handed a batch out when the training loop asks for it
(Lightning fetches batches of a loader of known length one at a time, without prefetching), so a
checkpoint written after a training step counts that step's batch.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

logger = logging.getLogger("landmarks.training")


@dataclasses.dataclass
class DataPosition:
    """Where a process stands in the training data: ``batch`` batches of epoch ``epoch`` handed out."""

    epoch: int = 0
    batch: int = 0


def epoch_order(count: int, seed: int, epoch: int) -> torch.Tensor:
    """``(count,)`` int64: the permutation of ``range(count)`` that epoch ``epoch`` visits."""
    generator = torch.Generator()
    generator.manual_seed(seed + epoch)
    return torch.randperm(count, generator=generator)


def process_share(order: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """``(ceil(N / world_size),)``: process ``rank``'s indices of an epoch's ``order`` ``(N,)``, the end
    padded with the order's first indices so that every process gets as many (as DistributedSampler)."""
    per_process = -(-len(order) // world_size)
    padding = per_process * world_size - len(order)
    padded = torch.cat([order, order.repeat(padding // len(order) + 1)[:padding]])
    return padded[rank::world_size]  # (per_process,)


class ResumableOrder(Sampler[int]):
    """This process's share of each epoch's order (:func:`epoch_order`), from ``position`` on.

    Its length is a whole epoch's share (cut to whole batches), wherever the position stands, so that
    the loader's length (Lightning's batches per epoch) does not change on resume.
    """

    def __init__(self, count: int, *, batch_size: int, seed: int, rank: int = 0, world_size: int = 1):
        super().__init__()
        if count < 1 or batch_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need count, batch_size >= 1 and 0 <= rank < world_size, got {count}, "
                             f"{batch_size}, {rank}, {world_size}")
        self.count, self.batch_size, self.seed = count, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.position = DataPosition()

    @property
    def batches_per_epoch(self) -> int:
        return -(-self.count // self.world_size) // self.batch_size

    def __len__(self) -> int:
        return self.batches_per_epoch * self.batch_size

    def __iter__(self) -> Iterator[int]:
        share = process_share(epoch_order(self.count, self.seed, self.position.epoch), self.rank,
                              self.world_size)[: len(self)]
        return iter(share[self.position.batch * self.batch_size:].tolist())


class ResumableLoader(DataLoader):
    """Batches of whole ``batch_size`` in :class:`ResumableOrder`, saving and restoring its position.

    Lightning recognises the ``state_dict`` / ``load_state_dict`` pair: it stores the state in every
    checkpoint (``loops.fit_loop.state_dict.combined_loader``) and loads it before a resumed run's
    first batch.
    """

    def __init__(self, dataset: Dataset, order: ResumableOrder, **kwargs: Any):
        super().__init__(dataset, batch_size=order.batch_size, sampler=order, drop_last=True, **kwargs)
        self.order = order

    def __iter__(self) -> Iterator[Any]:
        position = self.order.position
        if position.batch >= self.order.batches_per_epoch:  # the epoch was handed out whole
            self.order.position = DataPosition(position.epoch + 1, 0)
        return self._counted(super().__iter__())

    def _counted(self, batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            self.order.position.batch += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        """The position, and what it is a position in (the data set's length, the processes)."""
        return {**dataclasses.asdict(self.order.position), "count": self.order.count,
                "world_size": self.order.world_size}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from a checkpoint's position; one of other data, or of another number of
        processes, is ignored with a warning (the order then starts at that epoch's beginning)."""
        same = (state.get("count"), state.get("world_size")) == (self.order.count, self.order.world_size)
        if not same:
            logger.warning("the checkpoint's place in the data is for %s training items on %s "
                           "process(es), and this run has %d on %d: epoch %d starts from its beginning",
                           state.get("count"), state.get("world_size"), self.order.count,
                           self.order.world_size, state.get("epoch", 0))
        self.order.position = DataPosition(int(state.get("epoch", 0)), int(state["batch"]) if same else 0)
