"""Running a network for a look without changing it: batch norms that leave their statistics alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def batch_norm_statistics_frozen(module: nn.Module) -> Iterator[None]:
    """Inside, ``module``'s batch norms normalise as they would (in training mode: with the batch's
    statistics) but leave their running statistics and batch counters alone, so an extra forward pass
    (a health check during training) does not change the model."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    tracking = [norm.track_running_stats for norm in norms]
    for norm in norms:
        norm.track_running_stats = False  # training mode: batch statistics, and no buffer update
    try:
        yield
    finally:
        for norm, track in zip(norms, tracking, strict=True):
            norm.track_running_stats = track
