"""The Lightning module of ``landmarks pretrain-lossnet``: colourise gray images (Zhang et al. 2016 targets,
Larsson et al. 2017 hypercolumns), and the callback showing gray | prediction | truth in TensorBoard."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_only

from landmarks.colourisation.colour import (
    ab_bin_centres,
    annealed_mean_ab,
    colourise,
    downsample_ab,
    grayscale_input,
    rgb_to_lab,
    soft_encode_ab,
)
from landmarks.colourisation.config import LossnetConfig, lossnet_config_from_dict
from landmarks.colourisation.loss import soft_cross_entropy
from landmarks.colourisation.network import OUTPUT_STRIDE, ColourisationNet
from landmarks.colourisation.rebalance import nearest_bin_counts, rebalancing_weights, smoothed_prior
from landmarks.config_loading import to_dict
from landmarks.training.loggers import log_image
from landmarks.viz.grids import image_grid, tensor_to_uint8

SAMPLE_ROWS = 8  # images shown in each TensorBoard sample grid
PRIOR_CHUNK = 64  # images converted at once while estimating the colour distribution


@dataclass
class ColourisationSamples:
    """Detached tensors of one step for the sample images: images ``(B, 3, H, W)`` RGB in ``[0, 1]``,
    logits ``(B, Q, H / 4, W / 4)``."""

    images: torch.Tensor
    logits: torch.Tensor


class ColourisationLearner(L.LightningModule):
    """Trains :class:`~landmarks.colourisation.network.ColourisationNet` by soft cross-entropy over ab bins.

    Args:
        config: a :class:`~landmarks.colourisation.config.LossnetConfig` as a plain mapping (what a
            run's ``config.yaml`` holds), stored in every checkpoint.
    """

    def __init__(self, config: dict[str, Any]):
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.config: LossnetConfig = lossnet_config_from_dict(config)
        target = self.config.target
        self.register_buffer("bin_centres", ab_bin_centres(target.grid), persistent=False)  # (Q, 2)
        # Class-rebalancing weights (target.rebalance), estimated in setup; saved with checkpoints.
        self.register_buffer("bin_weights", torch.ones(self.bin_centres.shape[0]))  # (Q,)
        model = self.config.model
        self.net = ColourisationNet(
            layout=model.network, num_bins=self.bin_centres.shape[0],
            hypercolumn_blocks=model.hypercolumn_blocks, head_width=model.head_width,
            batchnorm_momentum=model.batchnorm_momentum,
        )  # fmt: skip
        self._samples: dict[str, ColourisationSamples | None] = {"train": None, "val": None}

    @classmethod
    def from_config(cls, config: LossnetConfig) -> ColourisationLearner:
        return cls(to_dict(config))

    def setup(self, stage: str) -> None:
        if self.config.trainer.channels_last:
            self.net.to(memory_format=torch.channels_last)
        if stage == "fit" and self.config.target.rebalance is not None:
            # Every process computes the same weights (same images); a resumed run then loads its own.
            self.bin_weights.copy_(self.estimate_bin_weights(self.trainer.datamodule.train_set))

    def estimate_bin_weights(self, dataset) -> torch.Tensor:
        """``(Q,)`` rebalancing weights from ``target.prior_images`` images spread evenly over ``dataset``."""
        target = self.config.target
        count = min(target.prior_images, len(dataset))
        indices = torch.linspace(0, len(dataset) - 1, count).round().long().tolist()
        counts = torch.zeros(self.bin_centres.shape[0])
        for start in range(0, count, PRIOR_CHUNK):
            images = torch.stack([dataset[i]["image"] for i in indices[start : start + PRIOR_CHUNK]])
            ab = downsample_ab(rgb_to_lab(images)[:, 1:], images.shape[-1] // OUTPUT_STRIDE)  # as targets
            counts += nearest_bin_counts(ab, self.bin_centres.cpu())
        prior = smoothed_prior(counts, self.bin_centres.cpu())
        return rebalancing_weights(prior, target.rebalance).to(self.bin_weights)

    # ---------------------------------------------------------------- steps
    def colour_targets(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB in ``[0, 1]`` -> ``(B, Q, H / 4, W / 4)`` soft targets (float32 always)."""
        target = self.config.target
        with torch.autocast(device_type=images.device.type, enabled=False):
            ab = rgb_to_lab(images.float())[:, 1:]  # (B, 2, H, W)
            ab = downsample_ab(ab, images.shape[-1] // OUTPUT_STRIDE)  # (B, 2, H/4, W/4)
            return soft_encode_ab(ab, self.bin_centres, target.neighbours, target.sigma)

    def _loss(self, images: torch.Tensor, stage: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The (rebalanced, if configured) loss and the ``(B, Q, H/4, W/4)`` logits; logs ``stage/...``."""
        gray = grayscale_input(images)  # (B, 1, H, W)
        if self.config.trainer.channels_last:
            gray = gray.contiguous(memory_format=torch.channels_last)
        logits = self.net(gray).logits  # (B, Q, H/4, W/4)
        targets = self.colour_targets(images)
        batch_size, sync = images.shape[0], stage == "val"
        if self.config.target.rebalance is None:
            loss = soft_cross_entropy(logits, targets)
        else:
            loss = soft_cross_entropy(logits, targets, self.bin_weights)
            plain = soft_cross_entropy(logits.detach(), targets)  # comparable with unbalanced runs
            self.log(f"{stage}/cross_entropy", plain, sync_dist=sync, batch_size=batch_size)
        self.log(f"{stage}/loss", loss, prog_bar=True, sync_dist=sync, batch_size=batch_size)
        return loss, logits

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        images = batch["image"]
        loss, logits = self._loss(images, "train")
        every = self.config.trainer.image_every
        if every > 0 and self.global_step % every == 0 and self.global_rank == 0:
            self._samples["train"] = _detached(images, logits)
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        images = batch["image"]
        loss, logits = self._loss(images, "val")
        if batch_idx == 0:
            self._samples["val"] = _detached(images, logits)
        return loss

    def pop_samples(self, stage: str) -> ColourisationSamples | None:
        """The tensors kept at the last image step of ``stage`` ("train" or "val"), then forgotten."""
        samples, self._samples[stage] = self._samples[stage], None
        return samples

    # ---------------------------------------------------------------- optimisation
    def configure_optimizers(self) -> dict[str, Any]:
        optim, max_steps = self.config.optim, self.config.trainer.max_steps
        optimizer = torch.optim.Adam(
            self.net.parameters(), lr=optim.lr, betas=optim.adam_betas, weight_decay=optim.weight_decay
        )
        if optim.schedule == "constant":
            return {"optimizer": optimizer}
        # NOTE: over trainer.max_steps as set when the run (or its resumption) starts; a max_minutes
        # budget that ends the run earlier leaves the rate where it got to.
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step / max(max_steps, 1), 1.0)))
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def _detached(images: torch.Tensor, logits: torch.Tensor) -> ColourisationSamples:
    return ColourisationSamples(images[:SAMPLE_ROWS].detach().float(), logits[:SAMPLE_ROWS].detach().float())


def colourisation_grid(
    samples: ColourisationSamples, centres: torch.Tensor, temperature: float
) -> np.ndarray:
    """``(H', W', 3)`` uint8 grid, one row per image: gray input | prediction | truth.

    The prediction joins the true lightness with the annealed-mean ab of the predicted distribution.
    """
    images = samples.images.cpu()
    lightness = rgb_to_lab(images)[:, :1]  # (B, 1, H, W)
    gray = colourise(lightness, torch.zeros_like(images[:, :2]))
    predicted = colourise(lightness, annealed_mean_ab(samples.logits.cpu(), centres.cpu(), temperature))
    columns = [tensor_to_uint8(batch) for batch in (gray, predicted, images)]  # 3 x (B, H, W, 3)
    return image_grid([list(row) for row in zip(*columns, strict=True)])


class ColourisationSampleLogger(L.Callback):
    """Logs the sample grid of the last image step (``train/colourisation``) and of each validation."""

    @rank_zero_only
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._log(trainer, pl_module, "train", trainer.global_step - 1)  # the step of this batch's scalars

    @rank_zero_only
    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        if not trainer.sanity_checking:
            self._log(trainer, pl_module, "val", trainer.global_step - 1)

    @staticmethod
    def _log(trainer, pl_module: ColourisationLearner, stage: str, step: int) -> None:
        samples = pl_module.pop_samples(stage)
        if samples is None:
            return
        grid = colourisation_grid(samples, pl_module.bin_centres, pl_module.config.target.temperature)
        for logger in trainer.loggers:
            log_image(logger, f"{stage}/colourisation", grid, step)
