"""The released colourisation VGG-16 from its HDF5 file: layout, batch-norm folding, gray input, errors."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from landmarks.errors import WeightsError
from landmarks.models.colorization_vgg import (
    BATCHNORM_EPS,
    GRAY_MEAN,
    colorization_gray,
    colorization_vgg16,
    load_colorization_vgg16_h5,
)
from landmarks.models.loss_networks import build_loss_network
from landmarks.models.vgg import conv_layer_indices

# VGG-16's convs: (name, in channels, out channels), the first reading one gray channel.
CONVS = [
    ("conv1_1", 1, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128),
    ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256),
    ("conv4_1", 256, 512), ("conv4_2", 512, 512), ("conv4_3", 512, 512),
    ("conv5_1", 512, 512), ("conv5_2", 512, 512), ("conv5_3", 512, 512),
]  # fmt: skip
FACTOR = 0.5  # Caffe's moving-average factor: the stored blobs are mean and variance times this


def caffe_layers(seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Random conv and Caffe BatchNorm blobs in the released file's layout (plus an ignored fc6)."""
    rng = np.random.default_rng(seed)
    groups: dict[str, dict[str, np.ndarray]] = {}
    for name, cin, cout in CONVS:
        std = np.sqrt(2.0 / (9 * cin))
        groups[name] = {
            "0": (rng.standard_normal((cout, cin, 3, 3)) * std).astype(np.float32),
            "1": (rng.standard_normal(cout) * 0.1).astype(np.float32),
        }
        mean, var = rng.standard_normal(cout) * 0.2, rng.uniform(0.5, 2.0, cout)
        groups[f"batch_{name}"] = {
            "0": (mean * FACTOR).astype(np.float32),
            "1": (var * FACTOR).astype(np.float32),
            "2": np.array([FACTOR], dtype=np.float32),
        }
    groups["fc6"] = {"0": np.zeros((4, 8), np.float32), "1": np.zeros(4, np.float32)}
    return groups


def write_h5(path, groups: dict[str, dict[str, np.ndarray]], root: str | None = "data"):
    """One HDF5 group per layer with datasets "0", "1", ... (under /data, as deepdish saves it)."""
    with h5py.File(path, "w") as file:
        parent = file.create_group(root) if root else file
        for name, arrays in groups.items():
            group = parent.create_group(name)
            for key, array in arrays.items():
                group.create_dataset(key, data=array)
    return path


@pytest.fixture(scope="module")
def layers() -> dict[str, dict[str, np.ndarray]]:
    return caffe_layers()


@pytest.fixture(scope="module")
def h5_file(tmp_path_factory, layers):
    return write_h5(tmp_path_factory.mktemp("colorization") / "vgg16.caffemodel.h5", layers)


def reference_block(x: torch.Tensor, layers, names) -> torch.Tensor:
    """conv -> Caffe BatchNorm (mean, var = blobs / factor, eps 1e-5) -> ReLU, unfolded, in float64."""
    for name in names:
        conv, norm = layers[name], layers[f"batch_{name}"]
        weight, bias = (torch.from_numpy(conv[k]).double() for k in ("0", "1"))
        mean, var = (torch.from_numpy(norm[k] / norm["2"]).double().view(1, -1, 1, 1) for k in ("0", "1"))
        x = F.relu((F.conv2d(x, weight, bias, padding=1) - mean) / torch.sqrt(var + BATCHNORM_EPS))
    return x


def test_gray_input_is_centred_channel_mean():
    images = torch.tensor([[0.2, 0.5, 0.8], [114.451 / 255] * 3]).view(2, 3, 1, 1)
    gray = colorization_gray(images)
    assert gray.shape == (2, 1, 1, 1)
    assert gray[0].item() == pytest.approx(0.5 - 114.451 / 255)
    assert gray[1].item() == pytest.approx(0.0, abs=1e-7)  # the released mean gray maps to 0
    assert GRAY_MEAN == pytest.approx(0.44883, abs=1e-5)


def test_folded_network_equals_conv_then_batchnorm(h5_file, layers):
    network = colorization_vgg16(("conv1_2", "conv2_2"))
    state = load_colorization_vgg16_h5(h5_file)
    assert state["features.0.weight"].shape == (64, 1, 3, 3)
    assert set(state) == set(network.state_dict())  # fc6 and the batch_* groups are not keys
    network.load_state_dict(state)
    images = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    outputs = network(images)
    x = images.double().mean(dim=1, keepdim=True) - 114.451 / 255  # the released input
    conv1_2 = reference_block(x, layers, ("conv1_1", "conv1_2"))
    conv2_2 = reference_block(F.max_pool2d(conv1_2, 2), layers, ("conv2_1", "conv2_2"))
    torch.testing.assert_close(outputs["conv1_2"].double(), conv1_2, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(outputs["conv2_2"].double(), conv2_2, rtol=1e-4, atol=1e-5)


def test_layers_at_the_root_and_without_batchnorm(tmp_path, layers):
    plain = {name: arrays for name, arrays in layers.items() if not name.startswith("batch_")}
    path = write_h5(tmp_path / "plain.h5", plain, root=None)
    state = load_colorization_vgg16_h5(path)
    index = conv_layer_indices("vgg16")["conv3_2"]
    np.testing.assert_array_equal(state[f"features.{index}.weight"].numpy(), layers["conv3_2"]["0"])
    np.testing.assert_array_equal(state[f"features.{index}.bias"].numpy(), layers["conv3_2"]["1"])


def test_build_loss_network_reads_the_h5_file(h5_file):
    network = build_loss_network(
        network="colorization-vgg16-h5", weights=h5_file, random_weights=False, layers=("conv5_2",)
    )
    output = network(torch.rand(1, 3, 32, 32))["conv5_2"]
    assert output.shape == (1, 512, 2, 2) and torch.isfinite(output).all()
    assert not any(p.requires_grad for p in network.parameters())


def test_truncated_file_names_the_file(h5_file, tmp_path):
    truncated = tmp_path / "truncated.h5"
    data = h5_file.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated.h5: cannot read the HDF5 file"):
        load_colorization_vgg16_h5(truncated)


def test_missing_layer_group_is_named(tmp_path, layers):
    path = write_h5(tmp_path / "no_conv3_2.h5", {k: v for k, v in layers.items() if k != "conv3_2"})
    with pytest.raises(WeightsError, match=r"no_conv3_2.h5: layer group\(s\) \['conv3_2'\] missing"):
        load_colorization_vgg16_h5(path)


def test_wrong_shape_names_layer_and_shapes(tmp_path, layers):
    wrong = dict(layers)
    wrong["conv3_1"] = {"0": np.zeros((128, 128, 3, 3), np.float32), "1": np.zeros(256, np.float32)}
    path = write_h5(tmp_path / "wrong.h5", wrong)
    message = r"wrong.h5: conv3_1: expected weight \(256, 128, 3, 3\), got \(128, 128, 3, 3\)"
    with pytest.raises(WeightsError, match=message):
        load_colorization_vgg16_h5(path)


def test_rgb_first_conv_is_rejected(tmp_path, layers):
    rgb = dict(layers)
    rgb["conv1_1"] = {"0": np.zeros((64, 3, 3, 3), np.float32), "1": np.zeros(64, np.float32)}
    with pytest.raises(WeightsError, match=r"conv1_1: expected weight \(64, 1, 3, 3\), got \(64, 3, 3, 3\)"):
        load_colorization_vgg16_h5(write_h5(tmp_path / "rgb.h5", rgb))


def test_missing_array_and_partial_batchnorm_are_named(tmp_path, layers):
    no_bias = dict(layers)
    no_bias["conv2_1"] = {"0": layers["conv2_1"]["0"]}
    with pytest.raises(WeightsError, match=r"no_bias.h5: conv2_1: bias \(128,\) is missing"):
        load_colorization_vgg16_h5(write_h5(tmp_path / "no_bias.h5", no_bias))
    partial = {k: v for k, v in layers.items() if k != "batch_conv4_3"}
    with pytest.raises(WeightsError, match=r"partial.h5: batch-norm group\(s\) \['batch_conv4_3'\] missing"):
        load_colorization_vgg16_h5(write_h5(tmp_path / "partial.h5", partial))


def test_zero_factor_and_nan_are_rejected(tmp_path, layers):
    zero = dict(layers)
    zero["batch_conv1_1"] = dict(layers["batch_conv1_1"], **{"2": np.zeros(1, np.float32)})
    with pytest.raises(WeightsError, match="batch_conv1_1: moving-average factor must be positive"):
        load_colorization_vgg16_h5(write_h5(tmp_path / "zero.h5", zero))
    nan = dict(layers)
    nan["conv1_2"] = {"0": np.full((64, 64, 3, 3), np.nan, np.float32), "1": layers["conv1_2"]["1"]}
    with pytest.raises(WeightsError, match="conv1_2: weight has NaN"):
        load_colorization_vgg16_h5(write_h5(tmp_path / "nan.h5", nan))


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(WeightsError, match=r"nowhere.h5: .*not found"):
        load_colorization_vgg16_h5(tmp_path / "nowhere.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(WeightsError, match="text.h5: cannot read the HDF5 file"):
        load_colorization_vgg16_h5(tmp_path / "text.h5")
