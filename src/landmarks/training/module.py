"""The Lightning module: one training step makes pairs, reconstructs the target, applies the loss."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import lightning as L
import torch

from landmarks.config import ExperimentConfig, PhotometricConfig
from landmarks.config_loading import from_dict, to_dict
from landmarks.data.photometric import apply_photometric, sample_photometric_params
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.evaluation.health import keypoint_health
from landmarks.geometry.coordinates import full_to_reduced, reduced_to_full
from landmarks.geometry.tps import TpsParams, tps_transform_points
from landmarks.losses import build_loss
from landmarks.losses.adversarial import WithAdversary
from landmarks.models import ModelOutput, build_model
from landmarks.nn.batch_norm import batch_norm_statistics_frozen
from landmarks.training.budget_schedule import BudgetClock, anneal_factor, budget_progress, cosine_factor
from landmarks.training.clipping import clip_grad_norm_per_tensor_
from landmarks.training.health import HealthRecord

# Keeps the pair streams of different processes and of validation apart (any large odd number would do).
_RANK_SEED_STRIDE = 1_000_003
_VALIDATION_SEED_OFFSET = 7_777_777
# The plateau schedule watches the raw per-layer errors on the fixed validation pairs, over fixed weights
# (losses.perceptual.reference_weighted_error). Not val/loss: its running means follow the errors down,
# so it stays near scale x layers whatever the model learns, and on that flat noisy signal patience 5
# cut paper-128's rate six times by 44k steps, to about 1e-8.
PLATEAU_METRIC = "val/error"


@dataclass
class Pair:
    """A training pair: the generator sees ``source``'s appearance and must redraw ``target``.

    source, target: ``(B, 3, S, S)`` RGB in ``[0, 1]``; mask: ``(B, 1, S, S)`` loss weights in ``[0, 1]``.
    source_warp, warp_base: the known warp ``s`` of a TPS pair, ``source(p) = base(s(p))``, where the
    base is ``warp_base`` or, when that is None, the target (:class:`~landmarks.data.tps_pairs.TpsPair`);
    ``s`` acts in the frame of the images before ``pairs.supersample``'s reduction. Both None for video
    pairs without a warp.
    """

    source: torch.Tensor
    target: torch.Tensor
    mask: torch.Tensor | None
    source_warp: TpsParams | None = None
    warp_base: torch.Tensor | None = None


@dataclass
class Visuals:
    """Detached tensors of one step for image logging (see :mod:`landmarks.training.callbacks`)."""

    pair: Pair
    output: ModelOutput


class LandmarkLearner(L.LightningModule):
    """Trains detector, encoder and generator jointly on pairs (paper sec. 3).

    Args:
        config: the experiment as a plain mapping (what ``config.yaml`` of a run holds), so that
            Lightning stores it in every checkpoint and ``load_from_checkpoint`` needs nothing else.
    """

    def __init__(self, config: dict[str, Any]):
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.config: ExperimentConfig = from_dict(ExperimentConfig, config)
        self.model = build_model(self.config.model)
        self.loss = build_loss(self.config.loss)
        self.pair_maker = build_pair_maker(self.config.pairs)
        self.pair_generator = torch.Generator()
        self.pair_generator.manual_seed(self.config.trainer.seed)
        self._visuals: Visuals | None = None
        self._health: HealthRecord | None = None
        # The plateau schedule (optim.schedule: plateau), stepped after each validation.
        self.plateau: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None
        self.budget_clock = BudgetClock()  # training time, for the cosine schedule

    @classmethod
    def from_config(cls, config: ExperimentConfig) -> LandmarkLearner:
        return cls(to_dict(config))

    # ---------------------------------------------------------------- pairs and steps
    def setup(self, stage: str) -> None:
        self.pair_generator.manual_seed(self.config.trainer.seed + _RANK_SEED_STRIDE * self.global_rank)
        if self.config.trainer.channels_last:
            # The frozen loss network too: on CPU its convolutions were a third of a demo step, and
            # channels-last made them ~40% faster (benchmarks/results/landmark_accuracy-cpu.md).
            self.model.to(memory_format=torch.channels_last)
            self.loss.to(memory_format=torch.channels_last)

    def make_pair(self, batch: dict[str, torch.Tensor], generator: torch.Generator) -> Pair:
        """A batch of still images becomes TPS pairs. A batch that already holds pairs (video frames,
        views) is used as is, or warped like a still image with ``pairs.warp_video_pairs``.

        With ``pairs.supersample`` k > 1 the batch holds images of k times the model's size: the pair
        is made at that size and then reduced to the model's (:func:`reduce_pair`).
        """
        if "source" in batch:
            if self.config.pairs.warp_video_pairs:
                tps = self.pair_maker.warp_pair(batch["source"], batch["target"], generator=generator)
                pair = Pair(tps.source, tps.target, tps.mask, tps.source_warp, tps.warp_base)
            else:
                pair = Pair(batch["source"], batch["target"], batch.get("mask"))
        else:
            tps = self.pair_maker(batch["image"], generator=generator)  # owns pairs.boundary_mask
            pair = Pair(tps.source, tps.target, tps.mask, tps.source_warp)
        pair = reduce_pair(pair, self.config.pairs.supersample, self.config.model.image_size)
        return photometric_pair(pair, self.config.pairs.photometric, generator)

    def _forward(self, pair: Pair) -> ModelOutput:
        if self.config.trainer.channels_last:
            pair = Pair(pair.source.contiguous(memory_format=torch.channels_last),
                        pair.target.contiguous(memory_format=torch.channels_last), pair.mask)
        return self.model(pair.source, pair.target)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        pair = self.make_pair(batch, self.pair_generator)
        output = self._forward(pair)
        loss = self.loss(output.reconstruction.float(), pair.target, pair.mask)
        if self._logs_this_step():
            batch_size = pair.target.shape[0]
            self.log("train/loss", loss.total, prog_bar=True, batch_size=batch_size)
            for name, error in loss.per_layer.items():
                self.log(f"train/error_{name}", error, batch_size=batch_size)
            self._log_health(pair, output.keypoints)
        if self._wants_visuals():
            self._visuals = Visuals(_detach(pair), _detach(output))
        return loss.total

    def on_validation_epoch_start(self) -> None:
        # The same validation pairs every time, so that validation losses are comparable.
        self._validation_generator = torch.Generator()
        self._validation_generator.manual_seed(self.config.trainer.seed + _VALIDATION_SEED_OFFSET)

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        pair = self.make_pair(batch, self._validation_generator)
        output = self._forward(pair)
        loss = self.loss(output.reconstruction.float(), pair.target, pair.mask)
        batch_size = pair.target.shape[0]
        self.log("val/loss", loss.total, prog_bar=True, sync_dist=True, batch_size=batch_size)
        if loss.reference_error is not None:  # what the plateau schedule watches (PLATEAU_METRIC)
            self.log(PLATEAU_METRIC, loss.reference_error, sync_dist=True, batch_size=batch_size)
        if batch_idx == 0:
            self._validation_visuals = Visuals(_detach(pair), _detach(output))
        return loss.total

    def _logs_this_step(self) -> bool:
        """Whether the logger writes this step's values (Lightning's rule for ``log_every_n_steps``).

        NOTE(lightning): ``self.log`` costs ~0.8 ms per call on a CPU even on steps whose values are
        never written (it moves its running metric to the value's device through a generic
        collection walk); five calls a step were 8% of a demo step. Without gradient accumulation
        Lightning's logging step is the optimiser step (:class:`ResumedLoggingStep` keeps it so).
        """
        if self._trainer is None:  # called outside a Trainer (benchmarks/learning_curves.py): nothing logs
            return False
        every = self.trainer.log_every_n_steps
        return every > 0 and (self.global_step + 1) % every == 0

    @torch.no_grad()
    def _log_health(self, pair: Pair, keypoints: torch.Tensor) -> None:
        """Log the keypoints' health (:mod:`landmarks.evaluation.health`) and keep it for
        :class:`~landmarks.training.health.HealthMonitor`. ``keypoints``: ``(B, K, 2)`` of the target."""
        if keypoints.shape[0] < 2 or self.config.model.bottleneck == "dense":  # one image; a code, not points
            return
        reference, mapped = self._equivariance_pair(pair, keypoints)
        health = keypoint_health(keypoints, reference, mapped)
        self._health = HealthRecord(self.global_step, health)
        batch_size = keypoints.shape[0]
        for name, value in health.as_dict().items():
            if name != "num_keypoints":
                self.log(f"health/{name}", float(value), batch_size=batch_size)
        if reference is not None:
            self.log("equiv", health.equivariance, prog_bar=True, logger=False, batch_size=batch_size)
        self.log("spread", health.spread_median, prog_bar=True, logger=False, batch_size=batch_size)

    def _equivariance_pair(self, pair: Pair, keypoints: torch.Tensor):
        """``(reference, mapped)``: ``(B, K, 2)`` keypoints of the source warp's base, and those of the
        source mapped through the known warp into the base's frame; ``(None, None)`` without a warp.

        One extra detector pass on the source (two for warped video pairs, whose base is not the target),
        with batch-norm running statistics left untouched.
        """
        if pair.source_warp is None:
            return None, None

        def detect(images: torch.Tensor) -> torch.Tensor:  # (B, K, 2)
            if self.config.trainer.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            return self.model.detector(images).keypoints

        with batch_norm_statistics_frozen(self.model.detector):
            source_keypoints = detect(pair.source)  # (B, K, 2)
            reference = keypoints if pair.warp_base is None else detect(pair.warp_base)
        factor, size = self.config.pairs.supersample, self.config.model.image_size
        full = reduced_to_full(source_keypoints.float(), factor, size)  # the pair maker's frame
        mapped = full_to_reduced(tps_transform_points(pair.source_warp, full), factor, size)  # (B, K, 2)
        return reference, mapped

    def pop_health(self) -> HealthRecord | None:
        """The health of the last logging step (then forgotten); None if none since the last call."""
        health, self._health = self._health, None
        return health

    def _wants_visuals(self) -> bool:
        every = self.config.trainer.image_every
        return every > 0 and self.global_step % every == 0 and self.global_rank == 0

    def pop_visuals(self, stage: str = "train") -> Visuals | None:
        """The tensors kept for the image logger at the last image step (then forgotten)."""
        attribute = "_visuals" if stage == "train" else "_validation_visuals"
        visuals = getattr(self, attribute, None)
        setattr(self, attribute, None)
        return visuals

    # ---------------------------------------------------------------- optimisation
    def configure_optimizers(self) -> dict[str, Any]:
        optim = self.config.optim
        # Only the three networks (and an adversarial loss's discriminator) train; the loss network is
        # frozen.
        # foreach: one multi-tensor update instead of a loop over the ~40 tensors; torch picks it by
        # itself only on CUDA, and on a CPU it took a quarter off the demo's optimiser step.
        optimizer = torch.optim.Adam(self.trained_parameters(), lr=optim.lr, betas=optim.adam_betas,
                                     weight_decay=optim.weight_decay, foreach=True)
        if optim.schedule == "constant":
            return {"optimizer": optimizer}
        if optim.schedule in ("cosine", "anneal"):  # over the budget: steps or minutes (budget_schedule)
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: self._budget_factor())
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
        if optim.schedule == "step":
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, optim.step_every, optim.step_gamma)
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
        # NOTE(paper): "lowered by a factor of 10 once the training error stops decreasing"; we watch
        # the raw validation error (PLATEAU_METRIC), after every validation (on_validation_end): the
        # training error is noisy (fresh random pairs each step) and its normalised form flat. Not
        # handed to Lightning: its step-interval schedulers count batches within an epoch, so a plateau
        # scheduler with frequency=val_every would step late, or never when an epoch is shorter than
        # val_every.
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=optim.plateau_factor, patience=optim.plateau_patience)
        return {"optimizer": optimizer}

    def trained_parameters(self) -> list[torch.nn.Parameter]:
        """The three networks' parameters, and the adversarial loss's discriminator's when there is one."""
        extra = self.loss.trainable_parameters() if isinstance(self.loss, WithAdversary) else []
        return [*self.model.parameters(), *extra]

    def _budget_factor(self) -> float:
        """The cosine or anneal schedule's multiplier of ``optim.lr`` at the budget spent so far."""
        optim = self.config.optim
        if optim.schedule == "cosine":
            return cosine_factor(self.budget_progress(), warmup=optim.warmup, floor=optim.lr_floor)
        return anneal_factor(self.budget_progress(), fraction=optim.anneal_fraction, floor=optim.lr_floor)

    def budget_progress(self) -> float:
        """The fraction of the run's budget spent (steps or minutes, whichever is further along)."""
        t = self.config.trainer
        step = self.trainer.global_step if self._trainer is not None else 0
        return budget_progress(step, t.max_steps, self.budget_clock.elapsed(), t.max_minutes)

    def on_validation_end(self) -> None:
        loss = self.trainer.callback_metrics.get(PLATEAU_METRIC)  # averaged over all processes
        if self.plateau is not None and loss is not None and not self.trainer.sanity_checking:
            self.plateau.step(float(loss))

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None,
                                    gradient_clip_algorithm=None) -> None:
        optim = self.config.optim
        if optim.clip_mode == "per-tensor":
            clip_grad_norm_per_tensor_(self.trained_parameters(), optim.clip)
        elif optim.clip_mode == "global":
            self.clip_gradients(optimizer, gradient_clip_val=optim.clip, gradient_clip_algorithm="norm")

    # ---------------------------------------------------------------- checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # The frozen loss network is rebuilt from its own weights file: not stored in every checkpoint.
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith("loss.") and self._is_frozen_loss_key(k)]:
            del state[key]
        checkpoint["pair_generator_state"] = self.pair_generator.get_state()
        checkpoint["budget_clock_state"] = self.budget_clock.state_dict()
        if self.plateau is not None:
            checkpoint["plateau_scheduler_state"] = self.plateau.state_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["state_dict"]
        for key, value in self.state_dict().items():
            if key.startswith("loss.") and self._is_frozen_loss_key(key):
                state.setdefault(key, value)
        if "pair_generator_state" in checkpoint:
            self._pending_generator_state = checkpoint["pair_generator_state"]
        self._pending_plateau_state = checkpoint.get("plateau_scheduler_state")
        if "budget_clock_state" in checkpoint:
            self.budget_clock.load_state_dict(checkpoint["budget_clock_state"])

    def on_train_start(self) -> None:
        self.budget_clock.start()
        # Restored here, after configure_optimizers, whatever order the strategy restores things in.
        plateau_state = getattr(self, "_pending_plateau_state", None)
        if plateau_state is not None and self.plateau is not None:
            self.plateau.load_state_dict(plateau_state)
        pending = getattr(self, "_pending_generator_state", None)
        if pending is not None and self.global_rank == 0:
            self.pair_generator.set_state(pending)
        elif pending is not None:
            # Other processes continue their own streams from a fresh, distinct but reproducible state.
            self.pair_generator.manual_seed(
                self.config.trainer.seed + _RANK_SEED_STRIDE * self.global_rank + self.global_step)

    def _is_frozen_loss_key(self, key: str) -> bool:
        if not hasattr(self, "_frozen_loss_keys"):
            frozen = {f"loss.{name}" for name, p in self.loss.named_parameters() if not p.requires_grad}
            self._frozen_loss_keys = frozen
        return key in self._frozen_loss_keys


def reduce_pair(pair: Pair, factor: int, size: int) -> Pair:
    """Average each ``factor x factor`` block of a pair's images and mask: ``(B, C, kS, kS) -> (B, C, S, S)``.

    ``size`` is the model's ``S``. Written out because it is the whole of ``pairs.supersample``: TPS
    pairs made at k times the model's size and then area-reduced keep features of one or two model
    pixels sharp, where bilinear resampling at the model's own size (twice for the source) would blur
    them (benchmarks/results/landmark_accuracy-cpu.md).

    Raises:
        ValueError: if the images are not ``factor * size`` pixels on each side.
    """
    if pair.target.shape[-2:] != (factor * size, factor * size):
        raise ValueError(f"pairs.supersample={factor} with model.image_size={size} needs "
                         f"{factor * size} x {factor * size} images, got {tuple(pair.target.shape[-2:])}")
    if factor == 1:
        return pair

    def reduce(images: torch.Tensor | None) -> torch.Tensor | None:
        return None if images is None else torch.nn.functional.avg_pool2d(images, factor)

    return Pair(reduce(pair.source), reduce(pair.target), reduce(pair.mask), pair.source_warp,
                reduce(pair.warp_base))


def photometric_pair(pair: Pair, config: PhotometricConfig, generator: torch.Generator) -> Pair:
    """The same random photometric change on both images of each pair (``pairs.photometric``); the
    pair itself when every strength is zero (the paper's setting). Noise pixels differ between the
    two images, as a camera's would."""
    if config.is_identity:
        return pair
    params = sample_photometric_params(pair.target.shape[0], **vars(config), generator=generator)
    # The noise is drawn from the pair generator on a CPU, from the device's own generator elsewhere.
    noise = generator if pair.target.device.type == "cpu" else None

    def change(images: torch.Tensor | None) -> torch.Tensor | None:
        return None if images is None else apply_photometric(images, params, noise)

    # The warp base (the health check's reference image) is one of the pair's images too.
    return dataclasses.replace(pair, source=change(pair.source), target=change(pair.target),
                               warp_base=change(pair.warp_base))


def _detach(value):
    """A copy of a Pair or ModelOutput with every tensor detached."""
    fields = {k: (v.detach() if isinstance(v, torch.Tensor) else v) for k, v in vars(value).items()}
    return type(value)(**fields)
