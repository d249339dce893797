"""Gradient clipping per parameter tensor, as in the released code.

Written by hand because ``torch.nn.utils.clip_grad_norm_`` bounds the norm of all gradients taken
together (the paper's wording, our ``clip_mode: global``), while the released code calls
``tf.clip_by_norm`` on each parameter's gradient separately.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


@torch.no_grad()
def clip_grad_norm_per_tensor_(parameters: Iterable[torch.nn.Parameter], max_norm: float) -> None:
    """Scale each parameter's gradient in place so that its own l2-norm is at most ``max_norm``."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norms = torch._foreach_norm(grads)  # one scalar per tensor
    scales = [torch.clamp(max_norm / (norm + 1e-6), max=1.0) for norm in norms]
    torch._foreach_mul_(grads, scales)
