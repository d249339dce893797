"""The colourisation network and its export as a torchvision VGG read by the existing loss-network loader."""

from __future__ import annotations

import pytest
import torch
from safetensors import safe_open
from torch import nn

from landmarks.colourisation.colour import (
    ab_bin_centres,
    downsample_ab,
    grayscale_input,
    rgb_to_lab,
    soft_encode_ab,
)
from landmarks.colourisation.export import save_loss_network, torchvision_state_dict
from landmarks.colourisation.loss import soft_cross_entropy
from landmarks.colourisation.network import ColourisationNet
from landmarks.models.loss_networks import build_loss_network, load_torchvision_vgg
from landmarks.synthetic.faces import SyntheticFaces

NARROW = (4, 8, 8, 16, 16)  # block widths small enough for fast tests (not exportable)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def randomise_batchnorm(net: nn.Module, seed: int) -> None:
    """Running statistics and affine parameters far from the identity, as after training."""
    generator = torch.Generator().manual_seed(seed)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.copy_(torch.rand(c, generator=generator) - 0.5)
            module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            module.bias.data.copy_(torch.rand(c, generator=generator) - 0.5)


def test_shapes_and_every_parameter_gets_a_gradient():
    net = ColourisationNet(layout="vgg16", num_bins=11, block_channels=NARROW, head_width=8)
    output = net(torch.randn(2, 1, 32, 32))
    assert output.logits.shape == (2, 11, 8, 8)
    assert {name: tuple(f.shape) for name, f in output.features.items()} == {
        "conv1_2": (2, 4, 32, 32), "conv2_2": (2, 8, 16, 16), "conv3_3": (2, 8, 8, 8),
        "conv4_3": (2, 16, 4, 4), "conv5_3": (2, 16, 2, 2)}  # fmt: skip
    output.logits.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        net(torch.randn(2, 3, 32, 32))


@pytest.mark.parametrize("layout", ["vgg16", "vgg19"])
def test_saved_network_gives_the_trained_features(tmp_path, layout):
    """Batch norm and gray conversion folded: the loaded VGG on RGB == the trained trunk (eval) on gray."""
    torch.manual_seed(0)
    net = ColourisationNet(layout=layout, num_bins=5, head_width=4)
    randomise_batchnorm(net, seed=1)
    net.eval()
    path = save_loss_network(net, tmp_path / "lossnet.safetensors", {"steps": "7"})
    layers = ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2", f"conv5_{3 if layout == 'vgg16' else 4}")
    loaded = build_loss_network(network=layout, weights=path, random_weights=False, layers=layers)
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    trained = {}
    hooks = [
        net.trunk[name].register_forward_hook(
            lambda module, args, out, name=name: trained.__setitem__(name, out)
        )
        for name in layers
    ]
    with torch.no_grad():
        net(grayscale_input(images))
        features = loaded(images)
    for hook in hooks:
        hook.remove()
    for name in layers:
        scale = trained[name].abs().max()
        assert scale > 0
        torch.testing.assert_close(features[name], trained[name], atol=1e-5 * scale, rtol=1e-4)
    with safe_open(str(path), "pt") as handle:
        assert handle.metadata()["layout"] == layout and handle.metadata()["steps"] == "7"
    state = load_torchvision_vgg(path, layout)
    assert state["features.0.weight"].shape == (64, 3, 3, 3)


def test_only_torchvision_trunks_are_saved(tmp_path):
    with pytest.raises(ValueError, match="not a torchvision vgg16"):
        torchvision_state_dict(ColourisationNet(layout="vgg16", num_bins=3, block_channels=NARROW))
    shallow = ColourisationNet(layout="vgg16", num_bins=3, hypercolumn_blocks=(2, 3), head_width=4)
    with pytest.raises(ValueError, match="must include 5"):
        torchvision_state_dict(shallow)


def test_colourisation_loss_falls_on_a_repeated_batch():
    torch.manual_seed(0)
    faces = SyntheticFaces(8, 32, seed=0)
    images = torch.stack([faces[i]["image"] for i in range(8)])  # (8, 3, 32, 32)
    centres = ab_bin_centres()
    targets = soft_encode_ab(downsample_ab(rgb_to_lab(images)[:, 1:], 8), centres)  # (8, Q, 8, 8)
    net = ColourisationNet(layout="vgg16", num_bins=len(centres), block_channels=NARROW, head_width=32)
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        loss = soft_cross_entropy(net(grayscale_input(images)).logits, targets)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses  # 5.6 -> 4.1 nats (log Q = 5.6: uniform guesses)
