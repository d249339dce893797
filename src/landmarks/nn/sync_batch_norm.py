"""Batch norm whose batch statistics span every process of a data-parallel run, on any device.

With ``trainer.sync_batchnorm`` two processes of batch B normalise as one process of batch 2B would:
each batch norm sums its input per channel, all-reduces the sums (the gradient flows back through
the all-reduce), and normalises with the statistics of the whole global batch.

Written by hand because ``torch.nn.SyncBatchNorm`` (what Lightning's ``sync_batchnorm`` converts to)
refuses CPU tensors ("SyncBatchNorm expected input tensor to be on GPU"), and multi-process training
on CPUs (gloo) is how this library's DDP is tested. On GPUs :func:`synchronise_batch_norms` leaves
the conversion to Lightning (torch's fused kernels).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.nn.functional import all_reduce


def _distributed_world() -> int:
    """Processes of the default group; 1 when not distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


class CrossProcessBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` with batch statistics over all processes in training mode.

    Input and output ``(B, C, H, W)``. Same parameters, buffers and state-dict keys as
    ``nn.BatchNorm2d``, so checkpoints move freely between the two. Outside training mode, or in a
    single process, it is ``nn.BatchNorm2d``. Every process must call it in step (DDP requires that).
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 (torch's name)
        if not self.training or _distributed_world() == 1:
            return super().forward(input)
        # Per-channel count, sum and sum of squares, summed over every process's batch.  # (3, C)
        local = torch.stack([
            torch.full_like(input[0, :, 0, 0], input.numel() / input.shape[1], dtype=torch.float32),
            input.float().sum((0, 2, 3)),
            input.float().square().sum((0, 2, 3)),
        ])
        count, total, squares = all_reduce(local, op=dist.ReduceOp.SUM)  # each (C,)
        mean = total / count
        variance = (squares / count - mean.square()).clamp_min(0)  # biased, as batch norm normalises
        if self.track_running_stats:
            self._update_running_statistics(mean.detach(), variance.detach(), count[0].item())
        scale = torch.rsqrt(variance + self.eps)
        if self.affine:
            shift = self.bias - mean * scale * self.weight
            scale = scale * self.weight
        else:
            shift = -mean * scale
        return (input * scale[None, :, None, None] + shift[None, :, None, None]).to(input.dtype)

    @torch.no_grad()
    def _update_running_statistics(self, mean: torch.Tensor, variance: torch.Tensor, count: float) -> None:
        """As ``nn.BatchNorm2d`` does: exponential averages, the variance unbiased over the global batch."""
        self.num_batches_tracked.add_(1)
        momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        unbiased = variance * count / max(count - 1, 1)
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
        self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)


def convert_batch_norms(module: nn.Module) -> nn.Module:
    """``module`` with every ``nn.BatchNorm2d`` inside replaced by a :class:`CrossProcessBatchNorm2d`
    holding the same parameters and buffers (in place where ``module`` is not itself a batch norm)."""
    if type(module) is nn.BatchNorm2d:
        replacement = CrossProcessBatchNorm2d(
            module.num_features, eps=module.eps, momentum=module.momentum, affine=module.affine,
            track_running_stats=module.track_running_stats,
            device=module.running_mean.device if module.running_mean is not None else None)
        replacement.load_state_dict(module.state_dict())
        replacement.train(module.training)
        if module.affine:
            replacement.weight.requires_grad_(module.weight.requires_grad)
            replacement.bias.requires_grad_(module.bias.requires_grad)
        return replacement
    for name, child in module.named_children():
        setattr(module, name, convert_batch_norms(child))
    return module
