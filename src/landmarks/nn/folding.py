"""Folding inference-mode batch norm into the preceding convolution.

A conv followed by a batch norm in eval mode is one affine map per output channel, so it equals a
single conv with rescaled weights and a new bias. Frozen loss networks are folded at load time:
fewer ops, and no batch-norm buffers that could drift or be saved in training checkpoints.
"""

from __future__ import annotations

import torch
from torch import nn


def fold_batchnorm(
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    mean: torch.Tensor,
    var: torch.Tensor,
    gamma: torch.Tensor | None,
    beta: torch.Tensor | None,
    eps: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights of the one conv equal to ``conv -> BatchNorm (eval)``.

    ``BN(conv(x)) = gamma * (W * x + b - mean) / sqrt(var + eps) + beta = W' * x + b'`` with
    ``W' = W * s`` and ``b' = (b - mean) * s + beta``, ``s = gamma / sqrt(var + eps)`` per output channel.

    Args:
        weight: ``(C_out, C_in / groups, kH, kW)`` conv kernel.
        bias: ``(C_out,)`` conv bias, or None for a conv without one (zeros).
        mean, var: ``(C_out,)`` the batch norm's running statistics (``var >= 0``).
        gamma, beta: ``(C_out,)`` its scale and shift, or None for a batch norm without them (1 and 0).
        eps: the batch norm's epsilon (PyTorch and Caffe default 1e-5).

    Returns:
        ``(weight', bias')``: ``(C_out, C_in / groups, kH, kW)`` and ``(C_out,)``, in ``weight``'s dtype.
    """
    channels = weight.shape[0]
    for name, value in (("bias", bias), ("mean", mean), ("var", var), ("gamma", gamma), ("beta", beta)):
        if value is not None and value.shape != (channels,):
            raise ValueError(
                f"{name} must have shape ({channels},) for a weight of shape "
                f"{tuple(weight.shape)}, got {tuple(value.shape)}"
            )
    scale = torch.rsqrt(var + eps)  # (C_out,)
    if gamma is not None:
        scale = scale * gamma
    bias = torch.zeros_like(mean) if bias is None else bias
    folded_bias = (bias - mean) * scale
    if beta is not None:
        folded_bias = folded_bias + beta
    folded_weight = weight * scale.view(-1, *([1] * (weight.dim() - 1)))
    return folded_weight.to(weight.dtype), folded_bias.to(weight.dtype)


def fold_conv_batchnorm(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> nn.Conv2d:
    """A new conv (with bias) equal to ``norm(conv(x))`` with ``norm`` in eval mode."""
    weight, bias = fold_batchnorm(
        conv.weight.detach(),
        None if conv.bias is None else conv.bias.detach(),
        norm.running_mean,
        norm.running_var,
        norm.weight.detach() if norm.affine else None,
        norm.bias.detach() if norm.affine else None,
        norm.eps,
    )
    folded = nn.Conv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
        conv.dilation, conv.groups, bias=True, padding_mode=conv.padding_mode,
    )  # fmt: skip
    folded.weight.data.copy_(weight)
    folded.bias.data.copy_(bias)
    return folded.requires_grad_(conv.weight.requires_grad).to(conv.weight.device)


def fold_batchnorms_(module: nn.Module) -> nn.Module:
    """Fold every ``Conv2d`` directly followed by a ``BatchNorm2d`` inside any ``nn.Sequential``, in place.

    The batch norm is replaced by ``nn.Identity`` (so the indices, and the names of the other
    parameters, stay as they were) and the conv by its folded copy, which always has a bias.

    Returns:
        ``module`` itself.
    """
    for sequential in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        children = list(sequential)
        for index, (first, second) in enumerate(zip(children, children[1:], strict=False)):
            if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                sequential[index] = fold_conv_batchnorm(first, second)
                sequential[index + 1] = nn.Identity()
    return module
