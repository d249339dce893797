"""``landmarks pretrain-lossnet``: train a VGG loss network by colourisation, save it as a torchvision VGG.

A run folder, as for ``landmarks fit``::

    runs/<name>-<YYYYmmdd-HHMMSS>/
      config.yaml           the fully resolved LossnetConfig
      checkpoints/          step-NNNNNNN.ckpt every trainer.checkpoint_every steps, and last.ckpt
      tensorboard/          train/loss, val/loss, learning rate, gray | prediction | truth images
      lossnet.safetensors   the trunk, batch norm and gray conversion folded in (config.output_file)

Resuming (``--resume RUN``) reads ``RUN/config.yaml`` plus overrides and continues from
``RUN/checkpoints/last.ckpt``; the weights file is written again at the end.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint

from landmarks.colourisation.config import LossnetConfig, lossnet_config_from_dict
from landmarks.colourisation.export import save_loss_network
from landmarks.config_loading import apply_overrides, read_config_dict
from landmarks.errors import ConfigError
from landmarks.training.callbacks import FinalCheckpoint
from landmarks.training.checkpoint_io import LAST, AtomicCheckpointIO
from landmarks.training.data import LandmarkData
from landmarks.training.fit import (
    first_process,
    new_run_dir,
    owned_run_dir,
    refuse_architecture_change,
    resolve_precision,
    run_dir_visible_to_children,
    seed_run,
)
from landmarks.training.loggers import build_logger, check_logger
from landmarks.training.lossnet_module import ColourisationLearner, ColourisationSampleLogger
from landmarks.training.nonfinite import NonFiniteGuard
from landmarks.training.run_folder import check_run_dir
from landmarks.training.trainer_check import check_trainer_settings


def resume_lossnet_config(run_dir: Path, overrides: list[str]) -> LossnetConfig:
    """The run's saved config with ``overrides`` applied; refused if they change the network."""
    saved = read_config_dict(run_dir / "config.yaml")
    config = lossnet_config_from_dict(apply_overrides(saved, overrides))
    refuse_architecture_change(lossnet_config_from_dict(saved), config, run_dir, sections=("model",))
    return config


def build_lossnet_trainer(config: LossnetConfig, run_dir: Path) -> L.Trainer:
    """A Lightning Trainer writing checkpoints, TensorBoard logs and sample images into ``run_dir``."""
    t = config.trainer
    checkpoints = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="step-{step:07d}",
        auto_insert_metric_name=False,
        every_n_train_steps=t.checkpoint_every,
        save_top_k=-1,
        save_last=True,
        enable_version_counter=False,  # last.ckpt is also written by FinalCheckpoint: overwrite it
    )
    return L.Trainer(
        max_steps=t.max_steps, max_epochs=-1,
        max_time=timedelta(minutes=t.max_minutes) if t.max_minutes else None,
        accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes, strategy=t.strategy,
        precision=t.precision,
        logger=build_logger(t.logger, run_dir, config.name),
        callbacks=[checkpoints, FinalCheckpoint(run_dir / "checkpoints" / LAST),
                   NonFiniteGuard(t.nonfinite_limit), LearningRateMonitor(logging_interval="step"),
                   ColourisationSampleLogger()],
        log_every_n_steps=t.log_every, val_check_interval=t.val_every, check_val_every_n_epoch=None,
        num_sanity_val_steps=0, enable_progress_bar=t.progress_bar, enable_model_summary=t.progress_bar,
        default_root_dir=run_dir, plugins=[AtomicCheckpointIO()],
        use_distributed_sampler=False,  # the data module splits the data (landmarks.training.data_order)
    )  # fmt: skip


def pretrain_lossnet(
    config: LossnetConfig, *, run_dir: Path | None = None, resume_from: Path | None = None,
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Train (or continue) the colourisation network; returns ``(run folder, saved weights file)``.

    The weights file is ``run_dir / config.output_file``, a torchvision ``features.*`` state dict of
    ``config.model.network``: use it as ``loss.weights`` with ``loss.network`` set to that layout.
    ``run_dir`` and ``overwrite`` as for :func:`landmarks.training.fit.fit`: every check runs before
    the folder is made or touched.
    """
    check_trainer_settings(config)  # accelerator, devices, precision: before anything is written
    check_logger(config.trainer.logger)
    resume = resume_from is not None
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir(config)
    if first_process():  # fail at once on a folder in use or holding another run, before any work
        check_run_dir(run_dir, resume=resume, overwrite=overwrite)
    data = LandmarkData(config.data, config.model.image_size, seed=config.trainer.seed)
    data.setup("fit")  # bad data (an empty or unreadable folder) fails here
    if "image" not in data.train_set[0]:
        raise ConfigError(f"data.source {config.data.source!r} does not give still images to colourise")
    seed_run(config)
    saved_config, config = config, resolve_precision(config)
    learner = ColourisationLearner.from_config(config)
    if config.trainer.compile:
        learner.net.compile()  # in place: checkpoint keys stay the same
    trainer = build_lossnet_trainer(config, run_dir)  # settings checked above
    with owned_run_dir(saved_config, run_dir, resume=resume, overwrite=overwrite), \
            run_dir_visible_to_children(run_dir), warnings.catch_warnings():
        if resume:  # the run's own checkpoints are expected there
            warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
        trainer.fit(learner, datamodule=data, ckpt_path=str(resume_from) if resume else None)
        weights = run_dir / config.output_file
        if trainer.is_global_zero:
            metadata = {
                "trained_by": "landmarks pretrain-lossnet",
                "steps": str(trainer.global_step),
                "input": "RGB in [0, 1], ImageNet-normalised (VggFeatures); sees only its BT.601 gray",
            }
            save_loss_network(learner.net, weights, metadata)
    return run_dir, weights
