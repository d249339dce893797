"""VGG loss networks: torchvision layout, weight files, freezing."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from landmarks.errors import WeightsError
from landmarks.models.loss_networks import (
    VggFeatures,
    build_loss_network,
    conv_layer_indices,
    expected_shapes,
    load_torchvision_vgg,
)

# Conv indices in torchvision's vgg16().features / vgg19().features, written out by hand.
TORCHVISION_CONV_INDICES = {
    "vgg16": {
        "conv1_1": 0, "conv1_2": 2, "conv2_1": 5, "conv2_2": 7,
        "conv3_1": 10, "conv3_2": 12, "conv3_3": 14,
        "conv4_1": 17, "conv4_2": 19, "conv4_3": 21,
        "conv5_1": 24, "conv5_2": 26, "conv5_3": 28,
    },
    "vgg19": {
        "conv1_1": 0, "conv1_2": 2, "conv2_1": 5, "conv2_2": 7,
        "conv3_1": 10, "conv3_2": 12, "conv3_3": 14, "conv3_4": 16,
        "conv4_1": 19, "conv4_2": 21, "conv4_3": 23, "conv4_4": 25,
        "conv5_1": 28, "conv5_2": 30, "conv5_3": 32, "conv5_4": 34,
    },
}  # fmt: skip
FEATURES_LENGTH = {"vgg16": 31, "vgg19": 37}
LAYERS = ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")


def torchvision_state_dict(layout: str, seed: int) -> dict[str, torch.Tensor]:
    """A random state dict in torchvision's key names, with the classifier keys a real file has."""
    torch.manual_seed(seed)
    state = {key: value.clone() for key, value in VggFeatures(layout, ()).state_dict().items()}
    state["classifier.0.weight"] = torch.randn(8, 4)  # wrong size on purpose: must be ignored
    state["classifier.0.bias"] = torch.randn(8)
    return state


@pytest.fixture(scope="module")
def vgg16_file(tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("weights") / "vgg16.pth"
    state = torchvision_state_dict("vgg16", seed=1)
    torch.save(state, path)
    return path, state


@pytest.fixture(scope="module")
def vgg19_file(tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("weights") / "vgg19.pth"
    state = torchvision_state_dict("vgg19", seed=2)
    torch.save(state, path)
    return path, state


@pytest.mark.parametrize("layout", ["vgg16", "vgg19"])
def test_layer_names_match_torchvision_indices(layout):
    assert conv_layer_indices(layout) == TORCHVISION_CONV_INDICES[layout]
    features = VggFeatures(layout, ()).features
    assert len(features) == FEATURES_LENGTH[layout]
    for name, index in TORCHVISION_CONV_INDICES[layout].items():
        assert isinstance(features[index], nn.Conv2d), name
        assert isinstance(features[index + 1], nn.ReLU), name
    pools = [i for i, module in enumerate(features) if isinstance(module, nn.MaxPool2d)]
    assert len(pools) == 5 and pools[-1] == FEATURES_LENGTH[layout] - 1


@pytest.mark.parametrize("layout", ["vgg16", "vgg19"])
def test_state_dict_keys_are_torchvision_keys(layout):
    state = VggFeatures(layout, ("conv1_1",)).state_dict()
    assert list(state) == list(expected_shapes(layout))
    assert {key: value.shape for key, value in state.items()} == {
        key: shape for key, (_, shape) in expected_shapes(layout).items()
    }


def test_vgg19_conv5_2_is_relu_after_features_30():
    network = VggFeatures("vgg19", ("conv5_2",))
    images = torch.rand(1, 3, 32, 32)
    x = (images - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]
    ).view(1, 3, 1, 1)
    for module in network.features[:32]:  # up to and including features.31, the ReLU of features.30
        x = module(x)
    torch.testing.assert_close(network(images)["conv5_2"], x)


def test_outputs_shapes_post_relu_and_stops_early():
    network = VggFeatures("vgg16", ("conv2_2", "conv1_2"))
    calls = []
    for index, module in enumerate(network.features):
        module.register_forward_hook(lambda *_, index=index: calls.append(index))
    outputs = network(torch.rand(2, 3, 32, 32))
    assert set(outputs) == {"conv1_2", "conv2_2"}
    assert outputs["conv1_2"].shape == (2, 64, 32, 32)
    assert outputs["conv2_2"].shape == (2, 128, 16, 16)
    assert all((value >= 0).all() for value in outputs.values())
    assert max(calls) == TORCHVISION_CONV_INDICES["vgg16"]["conv2_2"] + 1  # nothing after its ReLU


def test_frozen_and_always_eval():
    network = VggFeatures("vgg16", ("conv1_2",))
    assert not any(p.requires_grad for p in network.parameters())
    network.train()
    assert not network.training and not any(m.training for m in network.modules())
    nn.Sequential(network).train()
    assert not network.training


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="conv5_4"):
        VggFeatures("vgg16", ("conv5_4",))
    with pytest.raises(ValueError, match="B, 3, H, W"):
        VggFeatures("vgg16", ("conv1_1",))(torch.rand(1, 1, 8, 8))


def test_pth_and_safetensors_load_to_identical_outputs(vgg19_file, tmp_path):
    path, state = vgg19_file
    features = {key: value for key, value in state.items() if key.startswith("features.")}
    safetensors_path = tmp_path / "vgg19.safetensors"
    save_file(features, str(safetensors_path))
    reference = VggFeatures("vgg19", LAYERS)
    reference.load_state_dict(features)
    images = torch.rand(2, 3, 32, 32)
    expected = reference(images)
    for file in (path, safetensors_path):
        loaded = load_torchvision_vgg(file, "vgg19")
        assert set(loaded) == set(features)  # classifier keys dropped
        network = build_loss_network(network="vgg19", weights=file, random_weights=False, layers=LAYERS)
        outputs = network(images)
        for name in LAYERS:
            torch.testing.assert_close(outputs[name], expected[name], rtol=0, atol=0)


def test_vgg16_file_for_vgg19_names_layer(vgg16_file):
    path, _ = vgg16_file
    with pytest.raises(WeightsError, match=r"conv3_4 \(features\.16\.weight\).*looks like a vgg16") as info:
        load_torchvision_vgg(path, "vgg19")
    assert str(path) in str(info.value)


def test_truncated_file_raises(vgg16_file, tmp_path):
    path, _ = vgg16_file
    truncated = tmp_path / "truncated.pth"
    data = path.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated.pth: cannot read"):
        load_torchvision_vgg(truncated, "vgg16")


def test_truncated_safetensors_raises(tmp_path):
    path = tmp_path / "small.safetensors"
    save_file({"features.0.weight": torch.zeros(64, 3, 3, 3)}, str(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="small.safetensors: cannot read"):
        load_torchvision_vgg(path, "vgg16")


def test_missing_layer_raises(vgg16_file, tmp_path):
    _, state = vgg16_file
    incomplete = {key: value for key, value in state.items() if key != "features.12.bias"}
    path = tmp_path / "incomplete.pth"
    torch.save(incomplete, path)
    with pytest.raises(
        WeightsError, match=r"incomplete.pth: layer conv3_2 \(features\.12\.bias\) is missing"
    ):
        load_torchvision_vgg(path, "vgg16")


def test_missing_file_and_not_a_state_dict_raise(tmp_path):
    with pytest.raises(WeightsError, match="nowhere.pth: .*not found"):
        load_torchvision_vgg(tmp_path / "nowhere.pth", "vgg19")
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(WeightsError, match="list.pth: expected a state dict"):
        load_torchvision_vgg(path, "vgg19")


def test_random_weights_warn():
    with pytest.warns(UserWarning, match="RANDOM weights"):
        network = build_loss_network(network="vgg16", weights=None, random_weights=True, layers=("conv1_2",))
    assert network.layers == ("conv1_2",)


def test_missing_weights_without_random_weights_raise():
    with pytest.raises(WeightsError, match=r"vgg19-dcbb9e9d\.pth.*loss\.random_weights=true"):
        build_loss_network(network="vgg19", weights=None, random_weights=False, layers=("conv1_2",))


def test_weights_and_random_weights_together_raise(vgg16_file):
    with pytest.raises(ValueError, match="not both"):
        build_loss_network(network="vgg16", weights=vgg16_file[0], random_weights=True, layers=())
