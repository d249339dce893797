"""Batch norm folded into the preceding conv gives the same outputs as conv then batch norm (eval)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from landmarks.nn.folding import fold_batchnorm, fold_batchnorms_, fold_conv_batchnorm


def _trained_batchnorm(channels: int, generator: torch.Generator, affine: bool = True) -> nn.BatchNorm2d:
    norm = nn.BatchNorm2d(channels, eps=1e-3, affine=affine).double()
    norm.running_mean.copy_(torch.randn(channels, generator=generator, dtype=torch.float64))
    norm.running_var.copy_(torch.rand(channels, generator=generator, dtype=torch.float64) * 3 + 0.01)
    if affine:
        norm.weight.data.copy_(torch.randn(channels, generator=generator, dtype=torch.float64))
        norm.bias.data.copy_(torch.randn(channels, generator=generator, dtype=torch.float64))
    return norm.eval()


@pytest.mark.parametrize("conv_bias", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("groups", [1, 4])
def test_folded_conv_equals_conv_then_batchnorm(conv_bias, affine, groups):
    generator = torch.Generator().manual_seed(0)
    conv = nn.Conv2d(8, 12, 3, stride=2, padding=1, groups=groups, bias=conv_bias).double()
    norm = _trained_batchnorm(12, generator, affine)
    x = torch.randn(2, 8, 9, 9, generator=generator, dtype=torch.float64)
    weight, bias = fold_batchnorm(
        conv.weight,
        conv.bias,
        norm.running_mean,
        norm.running_var,
        norm.weight if affine else None,
        norm.bias if affine else None,
        norm.eps,
    )
    folded = nn.functional.conv2d(x, weight, bias, stride=2, padding=1, groups=groups)
    torch.testing.assert_close(folded, norm(conv(x)), rtol=1e-12, atol=1e-12)


def test_hand_values():
    weight = torch.full((1, 1, 1, 1), 2.0)
    bias = torch.tensor([1.0])
    # BN: (y - 3) / sqrt(4) * 5 + 7 with y = 2x + 1  ->  5x + (1 - 3) * 2.5 + 7 = 5x + 2
    folded = fold_batchnorm(weight, bias, torch.tensor([3.0]), torch.tensor([4.0]), torch.tensor([5.0]),
                            torch.tensor([7.0]), eps=0.0)  # fmt: skip
    assert folded[0].item() == pytest.approx(5.0) and folded[1].item() == pytest.approx(2.0)


def test_wrong_statistics_shape_raises():
    with pytest.raises(ValueError, match=r"var must have shape \(4,\)"):
        fold_batchnorm(torch.zeros(4, 2, 3, 3), None, torch.zeros(4), torch.ones(5), None, None, 1e-5)


def test_fold_batchnorms_in_sequentials_keeps_outputs_and_indices():
    generator = torch.Generator().manual_seed(1)
    inner = nn.Sequential(
        nn.Conv2d(4, 6, 1, bias=False), _trained_batchnorm(6, generator).float(), nn.ReLU6()
    )
    network = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), _trained_batchnorm(4, generator).float(), inner)
    network.eval()
    x = torch.randn(2, 3, 8, 8, generator=generator)
    expected = network(x)
    fold_batchnorms_(network)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in network.modules())
    assert isinstance(network[1], nn.Identity) and isinstance(inner[1], nn.Identity)
    assert set(network.state_dict()) == {"0.weight", "0.bias", "2.0.weight", "2.0.bias"}
    torch.testing.assert_close(network(x), expected, rtol=1e-5, atol=1e-5)


def test_fold_conv_batchnorm_keeps_frozen_state():
    conv = nn.Conv2d(2, 3, 3, padding=1).requires_grad_(False)
    folded = fold_conv_batchnorm(conv, nn.BatchNorm2d(3).eval())
    assert not folded.weight.requires_grad and folded.bias is not None
