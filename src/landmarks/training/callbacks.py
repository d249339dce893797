"""Callbacks: image grids in TensorBoard (source / target / reconstruction / landmarks, Fig. 2), and
the final ``last.ckpt``."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from landmarks.geometry.coordinates import normalized_to_pixels
from landmarks.training.loggers import log_image
from landmarks.viz.grids import quadruplet_grid


def visuals_grid(visuals, max_rows: int = 8):
    """``(H', W', 3)`` uint8 quadruplet grid of a :class:`~landmarks.training.module.Visuals`."""
    target = visuals.pair.target
    size = target.shape[-1]
    keypoints = normalized_to_pixels(visuals.output.keypoints.float(), size, size)
    return quadruplet_grid(visuals.pair.source.float().cpu(), target.float().cpu(),
                           visuals.output.reconstruction.float().cpu(), keypoints.cpu(),
                           max_rows=max_rows)


class ImageGridLogger(L.Callback):
    """Logs the quadruplet grid of the last image step (training) and of each validation."""

    @rank_zero_only
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        visuals = pl_module.pop_visuals("train")
        if visuals is not None:
            # global_step already counts this batch's step; scalars of this batch are logged at step - 1.
            self._log(trainer, "train/quadruplets", visuals, trainer.global_step - 1)

    @rank_zero_only
    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        visuals = pl_module.pop_visuals("val")
        if visuals is not None and not trainer.sanity_checking:
            self._log(trainer, "val/quadruplets", visuals, trainer.global_step - 1)  # as val/loss

    @staticmethod
    def _log(trainer, tag: str, visuals, step: int) -> None:
        grid = visuals_grid(visuals)
        for logger in trainer.loggers:
            log_image(logger, tag, grid, step)


class FinalCheckpoint(L.Callback):
    """Writes ``path`` (the run's ``last.ckpt``) when training stops at max_steps or max_minutes.

    Lightning's ``ModelCheckpoint(save_last=True)`` refreshes ``last.ckpt`` only with its periodic
    checkpoints, so a run stopping between two of them would resume up to ``checkpoint_every - 1``
    steps back.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_train_end(self, trainer, pl_module) -> None:
        trainer.save_checkpoint(self.path, weights_only=False)  # every process calls it; rank 0 writes


class ResumedLoggingStep(L.Callback):
    """Keeps the logging step equal to the optimiser step after a resume.

    NOTE(lightning): Lightning's logging step (``_batches_that_stepped``) assumes checkpoints written
    mid-step; resuming our end-of-run ``last.ckpt`` after a validation on its last step logged the first
    resumed step one step late, leaving a gap in every curve. Without gradient accumulation the logging
    step is the optimiser step, so it is set so once, at the first batch (after Lightning's loop reset).
    """

    def __init__(self):
        self._done = False

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if not self._done:
            self._done = True
            loop = trainer.fit_loop.epoch_loop
            if hasattr(loop, "_batches_that_stepped"):
                loop._batches_that_stepped = trainer.global_step
