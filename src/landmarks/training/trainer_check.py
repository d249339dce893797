"""Checking a config's ``trainer`` hardware settings before anything is written.

``trainer.accelerator``, ``devices``, ``num_nodes``, ``strategy`` and ``precision`` go to Lightning's
Trainer, which checks them only when it is built: after the run folder is made, with a long
traceback. :func:`check_trainer_settings` builds a throwaway Trainer with exactly these settings
first (no logger, no checkpoints: it writes nothing) and turns Lightning's complaint into one
:class:`~landmarks.errors.ConfigError` line. Lightning knows best which combinations it accepts
(e.g. ``16-mixed`` is refused on a CPU), so its own checks are reused rather than copied.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import lightning as L

from landmarks.errors import ConfigError
from landmarks.hardware.precision import choose_precision, training_device


def check_trainer_settings(config) -> None:
    """Raise :class:`ConfigError` if Lightning cannot run ``config.trainer``'s hardware settings here.

    ``config`` is any config dataclass with ``trainer`` and ``model.image_size`` (the landmark model's
    or the loss network's). ``precision: auto`` is resolved as the run will resolve it.
    """
    t = config.trainer
    precision = t.precision
    try:
        if precision == "auto":
            precision = choose_precision(precision, training_device(t.accelerator),
                                         config.model.image_size).precision
        with _quiet():
            L.Trainer(accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes,
                      strategy=t.strategy, precision=precision, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False)
    except ConfigError:
        raise
    except Exception as error:  # Lightning raises MisconfigurationException, ValueError, RuntimeError
        raise ConfigError(f"{_one_line(error)} (trainer.accelerator={t.accelerator}, "
                          f"devices={t.devices}, num_nodes={t.num_nodes}, strategy={t.strategy}, "
                          f"precision={t.precision})") from None


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."


@contextmanager
def _quiet() -> Iterator[None]:
    """Lightning's banners ("GPU available: ...") and warnings, silenced for the throwaway Trainer."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [log.level for log in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for log in loggers:
            log.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for log, level in zip(loggers, levels, strict=True):
                log.setLevel(level)
