"""A guard against NaN and Inf: a step whose gradients are not all finite is skipped and counted.

A non-finite loss (a spike that overflows, a NaN from a bad batch) gives non-finite gradients; one
such optimiser step would write NaN into every weight, and every checkpoint after it would be
worthless. The guard runs after the backward pass and before clipping and the optimiser: it drops
the step's gradients (Adam leaves a parameter without a gradient untouched, weight decay included),
logs ``train/nonfinite_steps`` (the count so far), and after ``limit`` such steps in a row stops the
run with :class:`NonFiniteTraining`, before anything non-finite reaches the weights or a checkpoint;
the run's last good checkpoint stays as it was. The perceptual loss's running means skip non-finite
errors by themselves (:func:`landmarks.losses.perceptual.update_running_means`).

With ``16-mixed`` precision the gradient scaler already skips non-finite steps (and expects a few
while it calibrates its scale), so the guard only counts there, and stops nothing.
"""

from __future__ import annotations

import lightning as L
import torch

from landmarks.errors import LandmarksError


class NonFiniteTraining(LandmarksError):
    """Training gave non-finite gradients ``trainer.nonfinite_limit`` steps in a row."""


def gradients_finite(parameters) -> bool:
    """Whether every gradient of ``parameters`` is finite (parameters without a gradient count as finite).

    One device-to-host synchronisation per call, for any number of tensors.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return True
    norms = torch._foreach_norm(grads)  # (one scalar per tensor); NaN or Inf wherever any entry is
    return bool(torch.stack(norms).isfinite().all())


class NonFiniteGuard(L.Callback):
    """Skips steps with non-finite gradients; stops after ``limit`` in a row (see module)."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self.skipped = 0  # in the whole run (this process)
        self.in_a_row = 0

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        parameters = [p for group in optimizer.param_groups for p in group["params"]]
        if gradients_finite(parameters):
            self.in_a_row = 0
            return
        self.skipped += 1
        self.in_a_row += 1
        pl_module.log("train/nonfinite_steps", float(self.skipped), batch_size=1)
        if str(trainer.precision) == "16-mixed":  # the scaler skips this step and lowers its scale
            return
        for parameter in parameters:
            parameter.grad = None
        if self.in_a_row >= self.limit:
            raise NonFiniteTraining(
                f"training stopped at step {trainer.global_step}: the loss or its gradients were NaN or "
                f"Inf {self.in_a_row} steps in a row ({self.skipped} skipped in all); the weights were "
                f"never updated with them, and the run's last checkpoint is the last good one. Lower "
                f"optim.lr, check the data, or raise trainer.nonfinite_limit")
