"""``trainer.ema_decay``: an exponential moving average of the weights, through Lightning's
``EMAWeightAveraging`` (Lightning 2.6 or newer).

Checkpoints hold the average as their ``state_dict`` (what ``landmarks evaluate``, ``detect`` and
``export`` load) and the raw weights as ``current_model_state`` (what ``fit --resume`` continues
training from, with the average restored beside them).
"""

from __future__ import annotations

from landmarks.errors import ConfigError


def weight_average_callback(decay: float):
    """The callback that keeps the average, updated after every optimiser step.

    Raises:
        ConfigError: the installed Lightning has no ``EMAWeightAveraging``.
    """
    try:
        from lightning.pytorch.callbacks import EMAWeightAveraging
    except ImportError as error:
        raise ConfigError("'trainer.ema_decay' needs Lightning 2.6 or newer "
                          "(pip install -U lightning)") from error

    class AveragedAtCheckpoints(EMAWeightAveraging):
        """NOTE(lightning): the stock callback copies the average into the model at ``on_train_end``, and
        ``ModelCheckpoint`` writes ``last.ckpt`` after that, so the run's last checkpoint lost its raw
        weights (``current_model_state`` = the average) and a resumed run would restart from the
        average. Every checkpoint already holds the average as its ``state_dict``; the copy is skipped."""

        def on_train_end(self, trainer, pl_module) -> None:
            pass

    return AveragedAtCheckpoints(decay=decay)
