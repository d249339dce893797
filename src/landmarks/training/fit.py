"""``landmarks fit``: a run folder, a Lightning Trainer, and resuming a run where it stopped.

A run folder holds everything about one run::

    runs/<name>-<YYYYmmdd-HHMMSS>/
      config.yaml         the fully resolved config (every field)
      checkpoints/        step-NNNNNNN.ckpt every trainer.checkpoint_every steps, and last.ckpt
      tensorboard/        losses, learning rate, keypoint health, image grids (``tensorboard --logdir runs``;
                          or csv/, wandb/, mlruns/ with trainer.logger: landmarks.training.loggers)
      health.csv          the keypoints' health at every logging step (landmarks.training.health)

Resuming (``landmarks fit --resume RUN``) reads the run's ``config.yaml`` (plus any overrides, e.g. a
larger ``trainer.max_steps``) and continues from ``checkpoints/last.ckpt`` in the same folder.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, TQDMProgressBar

from landmarks.config import ExperimentConfig
from landmarks.config_loading import apply_overrides, from_dict, read_config_dict, save_config, validate
from landmarks.denormals import flush_denormals
from landmarks.errors import ConfigError
from landmarks.hardware.allocator import keep_freed_memory
from landmarks.hardware.precision import choose_precision, training_device
from landmarks.installed_fallback import usable_config
from landmarks.report.health import HEALTH_FILE
from landmarks.training.callbacks import FinalCheckpoint, ImageGridLogger, ResumedLoggingStep
from landmarks.training.data import LandmarkData, data_image_size
from landmarks.training.health import HealthMonitor
from landmarks.training.loggers import build_logger, check_logger
from landmarks.training.module import LandmarkLearner
from landmarks.training.trainer_check import check_trainer_settings

# Lightning's DDP launcher re-runs the command in child processes; they must find the same run folder.
RUN_DIR_ENV = "LANDMARKS_RUN_DIR"
logger = logging.getLogger("landmarks.training")
PROGRESS_REFRESH = 10  # steps between redraws of the progress bar


def new_run_dir(config: ExperimentConfig) -> Path:
    """A fresh ``output_dir/name-timestamp`` folder (or the one the launching process chose)."""
    inherited = os.environ.get(RUN_DIR_ENV)
    if inherited:
        return Path(inherited)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(config.output_dir) / f"{config.name}-{stamp}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = Path(config.output_dir) / f"{config.name}-{stamp}-{suffix}"
    return run_dir


def resolve_resume(path: str | Path) -> tuple[Path, Path]:
    """``(run_dir, checkpoint)`` from a run folder or a checkpoint file inside ``run/checkpoints``."""
    path = Path(path)
    if path.is_dir():
        run_dir, checkpoint = path, path / "checkpoints" / "last.ckpt"
    else:
        run_dir, checkpoint = path.parent.parent, path
    if not checkpoint.is_file():
        raise ConfigError(f"cannot resume: {checkpoint} does not exist")
    if not (run_dir / "config.yaml").is_file():
        raise ConfigError(f"cannot resume: {run_dir / 'config.yaml'} (the run's config) does not exist")
    return run_dir, checkpoint


def resume_config(run_dir: Path, overrides: list[str]) -> ExperimentConfig:
    """The run's saved config with ``overrides`` applied."""
    raw = apply_overrides(read_config_dict(run_dir / "config.yaml"), overrides)
    config = from_dict(ExperimentConfig, raw)
    validate(config)
    return config


def build_trainer(config: ExperimentConfig, run_dir: Path) -> L.Trainer:
    """A Lightning Trainer writing checkpoints and TensorBoard logs into ``run_dir``."""
    t = config.trainer
    checkpoints = ModelCheckpoint(
        dirpath=run_dir / "checkpoints", filename="step-{step:07d}", auto_insert_metric_name=False,
        every_n_train_steps=t.checkpoint_every, save_top_k=-1, save_last=True,
        # last.ckpt is also written by FinalCheckpoint: overwrite it, never add last-v1.ckpt beside it.
        enable_version_counter=False)
    callbacks = [checkpoints, FinalCheckpoint(run_dir / "checkpoints" / "last.ckpt"),
                 LearningRateMonitor(logging_interval="step"), ImageGridLogger(), ResumedLoggingStep(),
                 HealthMonitor(run_dir / HEALTH_FILE)]
    if t.progress_bar:
        # Redrawn every PROGRESS_REFRESH steps, not every step: a small model on a CPU makes 25 steps
        # a second, and redrawing each one cost 2% of the demo's steps.
        callbacks.append(TQDMProgressBar(refresh_rate=PROGRESS_REFRESH))
    return L.Trainer(
        max_steps=t.max_steps, max_epochs=-1,
        max_time=timedelta(minutes=t.max_minutes) if t.max_minutes else None,
        accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes, strategy=t.strategy,
        precision=t.precision,
        logger=build_logger(t.logger, run_dir, config.name),
        callbacks=callbacks,
        log_every_n_steps=t.log_every, val_check_interval=t.val_every, check_val_every_n_epoch=None,
        num_sanity_val_steps=0, enable_progress_bar=t.progress_bar, enable_model_summary=t.progress_bar,
        default_root_dir=run_dir,
    )


def _first_process() -> bool:
    """Whether this is global rank 0, before Lightning has set up distributed training: from the
    variables of torchrun (RANK), SLURM (SLURM_PROCID) or Lightning's own launcher (LOCAL_RANK, NODE_RANK)."""
    for name in ("RANK", "SLURM_PROCID"):
        if name in os.environ:
            return int(os.environ[name]) == 0
    return int(os.environ.get("LOCAL_RANK", "0")) == 0 and int(os.environ.get("NODE_RANK", "0")) == 0


def start_run(config, run_dir: Path | None) -> Path:
    """Make the run folder (``run_dir``, or a new one from ``config.name`` and ``config.output_dir``),
    save the resolved config there (first process only), and seed; returns the folder.

    ``config`` is any config dataclass with ``name``, ``output_dir`` and ``trainer.seed`` (the landmark
    model's or the loss network's).
    """
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir(config)
    run_dir.mkdir(parents=True, exist_ok=True)
    if _first_process():
        save_config(config, run_dir / "config.yaml")
    if torch.cuda.is_available():
        torch.set_float32_matmul_precision("high")
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    return run_dir


def resolve_precision(config):
    """``config`` with ``trainer.precision: auto`` replaced by this machine's choice
    (:mod:`landmarks.hardware.precision`), which the first process prints in one line.

    ``config`` is any config dataclass with ``model.image_size`` and ``trainer`` (the landmark model's
    or the loss network's); the run folder's ``config.yaml`` keeps ``auto``, so that a run resumed on
    another machine chooses again.
    """
    t = config.trainer
    choice = choose_precision(t.precision, training_device(t.accelerator), config.model.image_size)
    if _first_process():
        logger.info("%s", choice.line())
    return dataclasses.replace(config, trainer=dataclasses.replace(t, precision=choice.precision))


@contextmanager
def run_dir_visible_to_children(run_dir: Path) -> Iterator[None]:
    """Sets ``LANDMARKS_RUN_DIR`` while training, so that DDP children (which inherit it) write into
    the same folder; restored after, so that a later fit() in the same process makes its own."""
    inherited = os.environ.get(RUN_DIR_ENV)
    os.environ[RUN_DIR_ENV] = str(run_dir)
    try:
        yield
    finally:
        if inherited is None:
            os.environ.pop(RUN_DIR_ENV, None)
        else:
            os.environ[RUN_DIR_ENV] = inherited


def fit(config: ExperimentConfig, *, run_dir: Path | None = None,
        resume_from: Path | None = None, data: LandmarkData | None = None) -> Path:
    """Train (or continue training) the model described by ``config``; returns the run folder.

    ``data``: the data module of ``config.data``, already set up (the demo prepares its images before
    it decides how much of its time budget is left for training); built here if None.
    """
    flush_denormals()  # for API callers, before any torch work here (the command line did it already)
    keep_freed_memory()  # likewise: before the first large allocation (landmarks.hardware.allocator)
    if resume_from is None:  # a resumed run keeps the model and loss its checkpoints were made with
        config, replaced = usable_config(config)
        for line in replaced:
            logger.warning("%s", line)
    check_trainer_settings(config)  # accelerator, devices, precision: before anything is written
    check_logger(config.trainer.logger)
    # Bad data (an empty or unreadable folder) fails here, before a run folder is made for it.
    if data is None:
        data = LandmarkData(config.data, data_image_size(config))
    data.setup("fit")
    run_dir = start_run(config, run_dir)
    config = resolve_precision(config)
    learner = LandmarkLearner.from_config(config)
    if config.trainer.compile:
        for network in (learner.model.detector, learner.model.encoder, learner.model.generator):
            network.compile()  # in place: checkpoint keys stay the same
    trainer = build_trainer(config, run_dir)
    with run_dir_visible_to_children(run_dir), warnings.catch_warnings():
        # The frozen perceptual loss network stays in eval mode by design (VggFeatures.train), so
        # Lightning's "Found N module(s) in eval mode at the start of training" is expected.
        warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")
        # No validation set (one video, validation_count 0): LandmarkData.val_dataloader returns [].
        warnings.filterwarnings("ignore", message=r"Total length of `list` across ranks is zero")
        if resume_from is not None:  # the run's own checkpoints are expected there
            warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
        trainer.fit(learner, datamodule=data, ckpt_path=str(resume_from) if resume_from else None)
    return run_dir

