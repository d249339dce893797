"""Perceptual loss: masked errors, online normalisation, gradients, building from a config."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from landmarks.config import LossConfig
from landmarks.errors import ConfigError, WeightsError
from landmarks.losses import (
    DEFAULT_LAYERS,
    INITIAL_LAYER_MEANS,
    LOSS_SCALE,
    MEAN_MOMENTUM,
    LossOutput,
    PerceptualLoss,
    PixelLoss,
    build_loss,
    masked_mean_squared_error,
    normalised_loss,
    update_running_means,
)
from landmarks.losses.build import resolve_layers


class PoolNetwork(nn.Module):
    """A stand-in loss network: "half" = 2x2 average pool, "quarter" = 4x4, with one weight."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(2.0), requires_grad=False)

    def forward(self, images):
        return {"half": self.weight * F.avg_pool2d(images, 2), "quarter": F.avg_pool2d(images, 4)}


def make_loss(**overrides) -> PerceptualLoss:
    arguments = dict(
        layers=("input", "half", "quarter"), initial_means=(100.0, 1.0, 2.0), momentum=0.5, scale=10.0
    )
    return PerceptualLoss(PoolNetwork(), **(arguments | overrides))


def test_constants_match_config_defaults():
    config = LossConfig()
    # layers / initial_means null: the VGG-19's standard layers with the released means
    assert resolve_layers(config) == (DEFAULT_LAYERS, INITIAL_LAYER_MEANS)
    assert (config.mean_momentum, config.scale) == (MEAN_MOMENTUM, LOSS_SCALE)


def test_masked_error_hand_values():
    a = torch.zeros(1, 1, 2, 2)
    b = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert masked_mean_squared_error(a, b, None).item() == pytest.approx((1 + 4 + 9 + 16) / 4)
    mask = torch.tensor([[[[1.0, 0.5], [0.0, 0.0]]]])
    assert masked_mean_squared_error(a, b, mask).item() == pytest.approx((1 + 2) / 4)  # over ALL elements


def test_masked_error_zero_and_half_masks():
    a, b = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    zeros = torch.zeros(2, 1, 32, 32)
    assert masked_mean_squared_error(a, b, zeros).item() == 0.0
    left = torch.zeros(2, 1, 32, 32)
    left[..., :16] = 1.0  # resized by area to 8x8: exactly the left 4 columns
    expected = (a - b)[..., :4].square().sum() / a.numel()
    torch.testing.assert_close(masked_mean_squared_error(a, b, left), expected)
    b_right_changed = b.clone()
    b_right_changed[..., 4:] += 5.0  # errors under the zero half do not count
    torch.testing.assert_close(masked_mean_squared_error(a, b_right_changed, left), expected)


def test_mask_shape_checked():
    with pytest.raises(ValueError, match="mask"):
        masked_mean_squared_error(torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4), torch.ones(2, 3, 4, 4))


def test_running_means_two_steps_by_hand():
    means = torch.tensor([100.0, 2.0])
    step1 = update_running_means(means, torch.tensor([200.0, 1.0]), 0.01)
    torch.testing.assert_close(step1, torch.tensor([101.0, 1.99]))
    step2 = update_running_means(step1, torch.tensor([1.0, 2.99]), 0.01)
    torch.testing.assert_close(step2, torch.tensor([101.0 - 1.0, 1.99 + 0.01]))


def test_normalised_loss_by_hand():
    value = normalised_loss(torch.tensor([50.0, 3.0]), torch.tensor([100.0, 2.0]), 1000.0)
    assert value.item() == pytest.approx(1000.0 * (0.5 + 1.5))


def test_loss_hand_computed_on_tiny_images():
    prediction = torch.zeros(1, 3, 4, 4)
    target = torch.full((1, 3, 4, 4), 0.1)
    loss = make_loss().eval()
    output = loss(prediction, target)
    assert isinstance(output, LossOutput)
    expected = {"input": 25.5**2, "half": 0.2**2, "quarter": 0.1**2}  # input at 0-255 scale
    for name, value in expected.items():
        assert output.per_layer[name].item() == pytest.approx(value, rel=1e-5)
    total = 10.0 * (25.5**2 / 100.0 + 0.2**2 / 1.0 + 0.1**2 / 2.0)
    assert output.total.item() == pytest.approx(total, rel=1e-5)


def test_training_uses_updated_means_at_once_for_two_steps():
    prediction, target = torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.1)
    errors = torch.tensor([25.5**2, 0.2**2, 0.1**2])
    means = torch.tensor([100.0, 1.0, 2.0])
    loss = make_loss().train()
    for _ in range(2):
        means = means + 0.5 * (errors - means)
        output = loss(prediction, target)
        torch.testing.assert_close(loss.running_means, means)
        assert output.total.item() == pytest.approx(10.0 * (errors / means).sum().item(), rel=1e-5)


def test_running_means_unchanged_in_eval():
    loss = make_loss().eval()
    before = loss.running_means.clone()
    loss(torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8))
    torch.testing.assert_close(loss.running_means, before)


def test_running_means_are_saved_and_restored():
    loss = make_loss().train()
    loss(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    restored = make_loss()
    restored.load_state_dict(loss.state_dict())
    torch.testing.assert_close(restored.running_means, loss.running_means)


def test_gradient_reaches_prediction_not_network_nor_target():
    loss = make_loss().train()
    prediction = torch.rand(2, 3, 8, 8, requires_grad=True)
    target = torch.rand(2, 3, 8, 8, requires_grad=True)
    output = loss(prediction, target, torch.ones(2, 1, 8, 8))
    output.total.backward()
    assert prediction.grad is not None and prediction.grad.abs().sum() > 0
    assert target.grad is None
    assert loss.loss_network.weight.grad is None
    assert not loss.running_means.requires_grad


def test_backward_after_next_training_step_still_works():
    """The in-place mean update of step 2 must not break the graph of step 1 (gradient accumulation)."""
    loss = make_loss().train()
    prediction = torch.rand(1, 3, 8, 8, requires_grad=True)
    first = loss(prediction, torch.rand(1, 3, 8, 8))
    second = loss(prediction, torch.rand(1, 3, 8, 8))
    (first.total + second.total).backward()
    assert prediction.grad is not None


def test_gradcheck_float64():
    loss = PerceptualLoss(
        PoolNetwork().double(), layers=("input", "half"), initial_means=(100.0, 1.0), momentum=0.5, scale=1.0
    ).eval()
    loss.running_means = loss.running_means.double()
    target = torch.rand(1, 3, 4, 4, dtype=torch.float64)
    mask = torch.rand(1, 1, 4, 4, dtype=torch.float64)
    prediction = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: loss(p, target, mask).total, (prediction,))


def test_identical_images_give_zero():
    images = torch.rand(2, 3, 8, 8)
    assert make_loss().eval()(images, images.clone()).total.item() == 0.0


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="initial mean"):
        make_loss(initial_means=(1.0, 2.0))
    with pytest.raises(ValueError, match="momentum"):
        make_loss(momentum=0.0)
    with pytest.raises(ValueError, match="one shape"):
        make_loss()(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 4, 4))


def test_vgg_loss_from_config_end_to_end():
    config = LossConfig(network="vgg16", random_weights=True)
    with pytest.warns(UserWarning, match="RANDOM"):
        loss = build_loss(config)
    assert isinstance(loss, PerceptualLoss) and loss.layers == DEFAULT_LAYERS
    prediction = torch.rand(2, 3, 32, 32, requires_grad=True)
    output = loss.train()(prediction, torch.rand(2, 3, 32, 32), torch.ones(2, 1, 32, 32))
    assert set(output.per_layer) == set(DEFAULT_LAYERS)
    assert output.total.dim() == 0 and torch.isfinite(output.total)
    output.total.backward()
    assert prediction.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.loss_network.parameters())
    assert not loss.loss_network.training


def test_build_loss_config_errors():
    with pytest.raises(WeightsError, match="loss.random_weights=true"):
        build_loss(LossConfig())
    with pytest.raises(ConfigError, match="conv5_4"):
        build_loss(
            LossConfig(network="vgg16", random_weights=True, layers=("conv5_4",), initial_means=(1.0,))
        )
    with pytest.raises(ConfigError, match="initial_means"):
        build_loss(LossConfig(random_weights=True, initial_means=(1.0,)))
    with pytest.raises(ConfigError, match="not both"):
        build_loss(LossConfig(random_weights=True, weights="vgg19.pth"))


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_build_pixel_loss(kind):
    loss = build_loss(LossConfig(kind=kind))
    assert isinstance(loss, PixelLoss) and loss.kind == kind


def _ddp_worker(rank: int, world_size: int, init_file: str, results: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    loss = make_loss().train()
    target = torch.full((1, 3, 4, 4), 0.1 * (rank + 1))  # a different error on each process
    loss(torch.zeros(1, 3, 4, 4), target)
    torch.save(loss.running_means, f"{results}.{rank}")
    dist.destroy_process_group()


@pytest.mark.slow
def test_running_means_agree_across_ddp_processes(tmp_path):
    import torch.multiprocessing as mp

    results = str(tmp_path / "means")
    mp.spawn(_ddp_worker, args=(2, str(tmp_path / "init"), results), nprocs=2)
    errors = torch.tensor([[25.5**2, 0.2**2, 0.1**2], [51.0**2, 0.4**2, 0.2**2]]).mean(0)  # averaged
    means = torch.tensor([100.0, 1.0, 2.0])
    for rank in range(2):
        torch.testing.assert_close(torch.load(f"{results}.{rank}"), means + 0.5 * (errors - means))


def test_network_input_size_resizes_what_the_network_sees_only():
    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, images):
            seen.append(tuple(images.shape))
            return {"feature": images.mean(dim=1, keepdim=True)}

    loss = PerceptualLoss(Recorder(), layers=("input", "feature"), initial_means=(1.0, 1.0), momentum=0.5,
                          scale=1.0, network_input_size=64)
    prediction, target = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    output = loss(prediction, target)
    assert seen == [(2, 3, 64, 64), (2, 3, 64, 64)]
    pixel_error = float(((prediction - target) * 255).pow(2).mean())
    assert output.per_layer["input"] == pytest.approx(pixel_error, rel=1e-5)
    with pytest.raises(ValueError, match="network_input_size"):
        PerceptualLoss(Recorder(), layers=("input", "feature"), initial_means=(1.0, 1.0), momentum=0.5,
                       scale=1.0, network_input_size=0)
