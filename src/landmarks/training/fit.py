"""``landmarks fit``: a run folder, a Lightning Trainer, and resuming a run where it stopped.

A run folder holds everything about one run::

    runs/<name>-<YYYYmmdd-HHMMSS>/
      config.yaml         the fully resolved config (every field)
      checkpoints/        step-NNNNNNN.ckpt every trainer.checkpoint_every steps, and last.ckpt
      tensorboard/        losses, learning rate, keypoint health, image grids (``tensorboard --logdir runs``;
                          or csv/, wandb/, mlruns/ with trainer.logger: landmarks.training.loggers)
      health.csv          the keypoints' health at every logging step (landmarks.training.health)
      .lock               held while the run trains (landmarks.training.run_folder)

Starting from another run's model (``landmarks fit --init-from MODEL [--restore-optim]``) makes a new
run folder and leaves the source untouched (:mod:`landmarks.training.init_from`).

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
from landmarks.config_loading import (
    apply_overrides,
    from_dict,
    read_config_dict,
    save_config,
    to_dict,
    validate,
)
from landmarks.denormals import flush_denormals
from landmarks.errors import ConfigError
from landmarks.hardware.allocator import keep_freed_memory
from landmarks.hardware.precision import choose_precision, training_device
from landmarks.installed_fallback import usable_config
from landmarks.nn.sync_batch_norm import convert_batch_norms
from landmarks.notices import announce
from landmarks.report.health import HEALTH_FILE
from landmarks.training.callbacks import FinalCheckpoint, ImageGridLogger, ResumedLoggingStep
from landmarks.training.checkpoint_io import (
    LAST,
    AtomicCheckpointIO,
    remove_partial_checkpoints,
    resumable_checkpoint,
)
from landmarks.training.data import LandmarkData, data_image_size
from landmarks.training.health import HealthMonitor
from landmarks.training.init_from import InitSource, write_record
from landmarks.training.loggers import build_logger, check_logger
from landmarks.training.module import LandmarkLearner
from landmarks.training.nonfinite import NonFiniteGuard
from landmarks.training.run_folder import check_run_dir, clear_run_dir, run_lock
from landmarks.training.trainer_check import check_trainer_settings
from landmarks.training.weight_average import weight_average_callback

# Lightning's DDP launcher re-runs the command in child processes; they must find the same run folder.
RUN_DIR_ENV = "LANDMARKS_RUN_DIR"
logger = logging.getLogger("landmarks.training")
PROGRESS_REFRESH = 10  # steps between redraws of the progress bar


def new_run_dir(config: ExperimentConfig) -> Path:
    """A fresh ``output_dir/name-timestamp`` folder (or the one the launching process chose).

    Raises:
        ConfigError: the processes were started by an outside launcher (torchrun, srun), where each
            would name its own folder: they need one given (``--run-dir``).
    """
    inherited = os.environ.get(RUN_DIR_ENV)
    if inherited:
        return Path(inherited)
    if externally_launched():
        raise ConfigError("several processes were launched at once (torchrun or SLURM): give them one run "
                          "folder with --run-dir (docs/scaling.md)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(config.output_dir) / f"{config.name}-{stamp}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = Path(config.output_dir) / f"{config.name}-{stamp}-{suffix}"
    return run_dir


def resolve_resume(path: str | Path) -> tuple[Path, Path]:
    """``(run_dir, checkpoint)`` from a run folder or a checkpoint file inside ``run/checkpoints``.

    A run folder resumes from its ``last.ckpt``; if that is missing or unreadable, from its newest
    readable step checkpoint, with a warning (:func:`~landmarks.training.checkpoint_io.resumable_checkpoint`).
    Reads only: nothing is written.
    """
    path = Path(path)
    if path.is_dir():
        run_dir, checkpoint = path, path / "checkpoints" / LAST
        present = checkpoint.is_file() or any(checkpoint.parent.glob("step-*.ckpt"))
    else:
        run_dir, checkpoint = path.parent.parent, path
        present = checkpoint.is_file()
    if not present:
        raise ConfigError(f"cannot resume: {checkpoint} does not exist")
    if not (run_dir / "config.yaml").is_file():
        raise ConfigError(f"cannot resume: {run_dir / 'config.yaml'} (the run's config) does not exist")
    return run_dir, resumable_checkpoint(checkpoint)


def resume_config(run_dir: Path, overrides: list[str]) -> ExperimentConfig:
    """The run's saved config with ``overrides`` applied.

    Raises:
        ConfigError: if an override changes the model or the loss network: the run's checkpoints hold
            the old ones, so the resumed run could not load them.
    """
    saved = read_config_dict(run_dir / "config.yaml")
    config = from_dict(ExperimentConfig, apply_overrides(saved, overrides))
    validate(config)
    refuse_architecture_change(from_dict(ExperimentConfig, saved), config, run_dir,
                               sections=("model", "loss"))
    return config


def refuse_architecture_change(saved, config, run_dir: Path, sections: tuple[str, ...]) -> None:
    """Raise :class:`ConfigError` naming the first field of ``sections`` that ``config`` changes from
    the run's ``saved`` config (both dataclasses with those sections)."""
    for section in sections:
        old, new = to_dict(getattr(saved, section)), to_dict(getattr(config, section))
        changed = [key for key in old if old[key] != new[key]]
        if changed:
            key = changed[0]
            raise ConfigError(f"cannot resume {run_dir} with '{section}.{key}' changed ({old[key]!r} -> "
                              f"{new[key]!r}): its checkpoints hold the run's own {section}; start a new "
                              f"run (--run-dir) for another one")


def build_trainer(config: ExperimentConfig, run_dir: Path) -> L.Trainer:
    """A Lightning Trainer writing checkpoints and TensorBoard logs into ``run_dir``."""
    t = config.trainer
    checkpoints = ModelCheckpoint(
        dirpath=run_dir / "checkpoints", filename="step-{step:07d}", auto_insert_metric_name=False,
        every_n_train_steps=t.checkpoint_every, save_top_k=-1, save_last=True,
        # last.ckpt is also written by FinalCheckpoint: overwrite it, never add last-v1.ckpt beside it.
        enable_version_counter=False)
    callbacks = [checkpoints, FinalCheckpoint(run_dir / "checkpoints" / LAST),
                 NonFiniteGuard(t.nonfinite_limit),
                 LearningRateMonitor(logging_interval="step"), ImageGridLogger(), ResumedLoggingStep(),
                 HealthMonitor(run_dir / HEALTH_FILE)]
    if t.ema_decay is not None:
        callbacks.append(weight_average_callback(t.ema_decay))
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
        default_root_dir=run_dir, plugins=[AtomicCheckpointIO()],
        use_distributed_sampler=False,  # the data module splits the data (landmarks.training.data_order)
    )


def first_process() -> bool:
    """Whether this is global rank 0, before Lightning has set up distributed training: from the
    variables of torchrun (RANK), SLURM (SLURM_PROCID) or Lightning's own launcher (LOCAL_RANK, NODE_RANK)."""
    for name in ("RANK", "SLURM_PROCID"):
        if name in os.environ:
            return int(os.environ[name]) == 0
    return int(os.environ.get("LOCAL_RANK", "0")) == 0 and int(os.environ.get("NODE_RANK", "0")) == 0


def externally_launched() -> bool:
    """Whether torchrun (WORLD_SIZE) or SLURM's srun (SLURM_PROCID of SLURM_NTASKS) started several
    processes of this command (a plain shell inside an allocation has no SLURM_PROCID)."""
    by_slurm = "SLURM_PROCID" in os.environ and int(os.environ.get("SLURM_NTASKS", "1")) > 1
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 or by_slurm


def seed_run(config) -> None:
    """Seed every generator from ``config.trainer.seed`` (before the networks are built: their
    initial weights come from it); ``config`` is the landmark model's or the loss network's."""
    if torch.cuda.is_available():
        torch.set_float32_matmul_precision("high")
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)


@contextmanager
def owned_run_dir(config, run_dir: Path, *, resume: bool = False, overwrite: bool = False,
                  inputs_inside: tuple[str, ...] = ()) -> Iterator[Path]:
    """Make and lock ``run_dir`` for the duration, and save the resolved config there; yields it.

    Called once every check of the run has passed, so that a run that cannot start leaves no folder
    behind. The first process claims the folder (:mod:`landmarks.training.run_folder`): it refuses a
    folder holding another run (unless ``resume`` or ``overwrite``) or one in use, clears it for
    ``overwrite``, and removes the temporary files of a save that a kill interrupted. Other processes
    of a distributed run write into the folder the first one holds.
    """
    if not first_process():
        yield run_dir
        return
    check_run_dir(run_dir, resume=resume, overwrite=overwrite, inputs_inside=inputs_inside)
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir):
        check_run_dir(run_dir, resume=resume, overwrite=overwrite, inputs_inside=inputs_inside,
                      locked=True)  # again, now that no other process can start in it
        if overwrite and not resume:
            clear_run_dir(run_dir, inputs_inside)
        remove_partial_checkpoints(run_dir / "checkpoints")
        save_config(config, run_dir / "config.yaml")
        yield run_dir


def resolve_precision(config):
    """``config`` with ``trainer.precision: auto`` replaced by this machine's choice
    (:mod:`landmarks.hardware.precision`), which the first process prints in one line.

    ``config`` is any config dataclass with ``model.image_size`` and ``trainer`` (the landmark model's
    or the loss network's); the run folder's ``config.yaml`` keeps ``auto``, so that a run resumed on
    another machine chooses again.
    """
    t = config.trainer
    choice = choose_precision(t.precision, training_device(t.accelerator), config.model.image_size)
    if first_process():
        announce(logger, "%s", choice.line())  # seen by an API caller too (landmarks.notices)
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


def fit(config: ExperimentConfig, *, run_dir: Path | None = None, resume_from: Path | None = None,
        data: LandmarkData | None = None, overwrite: bool = False,
        inputs_inside: tuple[str, ...] = (), init_from: InitSource | None = None) -> Path:
    """Train (or continue training) the model described by ``config``; returns the run folder.

    ``run_dir``: a new or empty folder, the resumed run's own (``resume_from``), or with ``overwrite``
    a run folder to replace; ``inputs_inside``: names in it that the caller put there for this run.
    ``init_from``: a new run starts from another run's weights (and, with its ``checkpoint``, its
    optimiser state and step), read and checked beforehand by
    :func:`~landmarks.training.init_from.read_init_source`.
    ``data``: the data module of ``config.data``, already set up (the demo prepares its images before
    it decides how much of its time budget is left for training); built here if None.

    Every check (folder, config, weights, data, trainer values) runs before the run folder is made or
    touched, so a run that cannot start leaves nothing behind.
    """
    flush_denormals()  # for API callers, before any torch work here (the command line did it already)
    keep_freed_memory()  # likewise: before the first large allocation (landmarks.hardware.allocator)
    resume = resume_from is not None
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir(config)
    if first_process():  # fail at once on a folder in use or holding another run, before any work
        check_run_dir(run_dir, resume=resume, overwrite=overwrite, inputs_inside=inputs_inside)
    if not resume:  # a resumed run keeps the model and loss its checkpoints were made with
        config, replaced = usable_config(config)
        for line in replaced:
            logger.warning("%s", line)
    check_trainer_settings(config)  # accelerator, devices, precision: before anything is written
    check_logger(config.trainer.logger)
    # Bad data (an empty or unreadable folder) fails here, before a run folder is made for it.
    if data is None:
        data = LandmarkData(config.data, data_image_size(config), seed=config.trainer.seed)
    data.setup("fit")  # bad data (an empty or unreadable folder) fails here
    seed_run(config)
    saved_config, config = config, resolve_precision(config)  # config.yaml keeps precision: auto
    learner = LandmarkLearner.from_config(config)  # loads the loss network's and detector's weights
    if config.trainer.sync_batchnorm:
        # Ours, not Lightning's sync_batchnorm: torch.nn.SyncBatchNorm refuses CPU tensors.
        convert_batch_norms(learner.model)
    if config.trainer.compile:
        for network in (learner.model.detector, learner.model.encoder, learner.model.generator):
            network.compile()  # in place: checkpoint keys stay the same
    checkpoint = resume_from
    if init_from is not None:
        learner.model.load_state_dict(init_from.weights)  # shapes checked by read_init_source
        if init_from.checkpoint is not None:  # Lightning restores the optimiser, schedule and step
            checkpoint = init_from.checkpoint
    trainer = build_trainer(config, run_dir)  # writes nothing yet; settings checked above
    with owned_run_dir(saved_config, run_dir, resume=resume, overwrite=overwrite,
                       inputs_inside=inputs_inside), \
            run_dir_visible_to_children(run_dir), warnings.catch_warnings():
        if init_from is not None and first_process():
            write_record(init_from, run_dir)
            logger.info("%s", init_from.describe())
        # The frozen perceptual loss network stays in eval mode by design (VggFeatures.train), so
        # Lightning's "Found N module(s) in eval mode at the start of training" is expected.
        warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")
        # No validation set (one video, validation_count 0): LandmarkData.val_dataloader returns [].
        warnings.filterwarnings("ignore", message=r"Total length of `list` across ranks is zero")
        if resume:  # the run's own checkpoints are expected there
            warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
        trainer.fit(learner, datamodule=data, ckpt_path=str(checkpoint) if checkpoint is not None else None)
    return run_dir
