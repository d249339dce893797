"""Where a run's scalars and image grids go: ``trainer.logger`` picks one of Lightning's loggers.

* ``tensorboard``: ``RUN/tensorboard/events.out.tfevents.*``; images by ``add_image``
  (``tensorboard --logdir RUN``);
* ``csv``: ``RUN/csv/metrics.csv`` and ``hparams.yaml``; images as PNGs in ``RUN/csv/images/`` (a CSV
  file holds no images);
* ``wandb``: ``RUN/wandb/``, offline with ``WANDB_MODE=offline`` (``wandb sync RUN/wandb`` later);
  images by ``log_image``;
* ``mlflow``: a local file store ``RUN/mlruns/``; images by ``log_image`` (``mlflow ui
  --backend-store-uri file://.../RUN/mlruns``).

wandb and mlflow are optional extras (``pip install 'landmarks[wandb]'`` / ``'landmarks[mlflow]'``);
:func:`check_logger` refuses a missing one before the run folder is made.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from lightning.pytorch.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger, WandbLogger
from PIL import Image

from landmarks.errors import ConfigError

LOGGERS = ("tensorboard", "csv", "wandb", "mlflow")
_PACKAGES = {"wandb": "wandb", "mlflow": "mlflow"}  # logger -> the module it needs


def check_logger(kind: str) -> None:
    """Raise :class:`ConfigError` if ``trainer.logger`` is unknown or its package is not installed."""
    if kind not in LOGGERS:
        raise ConfigError(f"'trainer.logger' must be one of {', '.join(LOGGERS)}, got {kind!r}")
    package = _PACKAGES.get(kind)
    if package is not None and importlib.util.find_spec(package) is None:
        raise ConfigError(f"trainer.logger={kind} needs the {package} package: "
                          f"pip install 'landmarks[{kind}]'")


def build_logger(kind: str, run_dir: Path, name: str) -> Logger:
    """The Lightning logger ``kind`` writing into ``run_dir`` (see the module's table)."""
    check_logger(kind)
    if kind == "tensorboard":
        return TensorBoardLogger(save_dir=run_dir, name="tensorboard", version="")
    if kind == "csv":
        return CSVLogger(save_dir=run_dir, name="csv", version="")
    if kind == "wandb":
        return WandbLogger(save_dir=str(run_dir), name=run_dir.name, project=name)
    # NOTE: a file store inside the run folder needs no server or database; mlflow >= 3 refuses it
    # unless this opt-out is set (it keeps maintaining it); a user's own setting wins.
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MLFlowLogger(experiment_name=name, run_name=run_dir.name,
                        tracking_uri=(run_dir / "mlruns").resolve().as_uri())


def log_image(logger: Logger, tag: str, image: np.ndarray, step: int) -> None:
    """Log an ``(H, W, 3)`` uint8 image through ``logger``'s own image call (a PNG file for CSV)."""
    step = max(step, 0)
    if isinstance(logger, TensorBoardLogger):
        logger.experiment.add_image(tag, image, step, dataformats="HWC")
    elif isinstance(logger, WandbLogger):
        logger.log_image(key=tag, images=[image], step=step)
    elif isinstance(logger, MLFlowLogger):
        logger.experiment.log_image(logger.run_id, image, artifact_file=f"{tag}/step-{step:07d}.png")
    elif isinstance(logger, CSVLogger):
        path = Path(logger.log_dir) / "images" / f"{tag.replace('/', '-')}-step-{step:07d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)


def logger_hint(kind: str, run_dir: Path) -> str:
    """How to look at the logs of a run, for the command's last line."""
    return {
        "tensorboard": f"tensorboard --logdir {run_dir / 'tensorboard'}",
        "csv": f"metrics in {run_dir / 'csv' / 'metrics.csv'}",
        "wandb": f"wandb sync {run_dir / 'wandb'} (if offline)",
        "mlflow": f"mlflow ui --backend-store-uri {(run_dir / 'mlruns').resolve().as_uri()}",
    }[kind]
