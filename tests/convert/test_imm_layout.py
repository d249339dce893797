"""The released variables -> our parameters, on arrays in the released layout (no TensorFlow needed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from landmarks.convert.imm import convert_variables
from landmarks.convert.imm_layout import hwio_to_oihw, released_parameters
from landmarks.errors import WeightsError
from landmarks.models.landmark_model import build_model
from landmarks.nn.tf_compat import TFSameConv2d, upsample2x_tf1

from .released_fixture import SCOPE, released_graph_numpy, released_variables


def test_every_parameter_of_the_released_graph_model_has_one_released_source():
    variables = released_variables(extras=False)
    trained = convert_variables(variables, source="fixture")
    ours = trained.model.state_dict()
    mapped = {p.key for p in released_parameters(4)}
    assert mapped == {k for k in ours if not k.endswith("num_batches_tracked")}
    used = {SCOPE + name for p in released_parameters(4) for name in p.sources}
    assert used == set(variables)  # every network variable of the checkpoint is used


def test_config_is_released_128_with_the_checkpoints_sizes():
    trained = convert_variables(released_variables(30, extras=True), source="fixture", name="imm-x")
    model = trained.config.model
    assert (model.num_landmarks, model.base_width, model.generator_width) == (30, 32, 256)
    assert model.released_graph and trained.config.loss.network == "vgg16"
    assert trained.config.name == "imm-x" and trained.step == 1234
    assert not trained.model.training


def test_values_are_transposed_scaled_and_folded():
    variables = released_variables(extras=False)
    state = convert_variables(variables, source="fixture").model.state_dict()
    conv = f"{SCOPE}pose_encoder/encoder/conv_1"
    np.testing.assert_allclose(state["detector.trunk.0.0.0.weight"].numpy(),
                               variables[f"{conv}/conv_1/w"].transpose(3, 2, 0, 1) * 255, rtol=1e-6)
    np.testing.assert_allclose(state["detector.trunk.0.0.1.running_mean"].numpy(),
                               variables[f"{conv}/batch_normalization/moving_mean"]
                               - variables[f"{conv}/conv_1/b"], rtol=1e-6)
    rgb = f"{SCOPE}renderer/conv_8/conv_8"
    assert state["generator.to_rgb.weight"].shape == (3, 32, 3, 3)
    np.testing.assert_allclose(state["generator.to_rgb.bias"].numpy(), variables[f"{rgb}/b"][:3] / 255,
                               rtol=1e-6)
    second = variables[f"{SCOPE}image_encoder/encoder/conv_2/conv_2/w"]  # not scaled
    np.testing.assert_allclose(state["encoder.0.1.0.weight"].numpy(), hwio_to_oihw(second))


def test_a_wrong_shape_is_refused_in_one_line_naming_the_variable():
    variables = released_variables(extras=False)
    name = f"{SCOPE}image_encoder/encoder/conv_4/conv_4/w"
    variables[name] = np.zeros((3, 3, 64, 32), np.float32)
    with pytest.raises(WeightsError) as error:
        convert_variables(variables, source="ckpt")
    message = str(error.value)
    assert "\n" not in message and name in message
    assert "expected shape (3, 3, 64, 64)" in message and "got (3, 3, 64, 32)" in message


def test_a_missing_variable_is_refused():
    variables = released_variables(extras=False)
    del variables[f"{SCOPE}renderer/conv_5/batch_normalization/gamma"]
    with pytest.raises(WeightsError, match="no variable model/renderer/conv_5/batch_normalization/gamma"):
        convert_variables(variables, source="ckpt")


def test_an_unknown_network_variable_is_refused_and_other_variables_are_left_out():
    variables = released_variables(extras=True)
    assert convert_variables(variables, source="ckpt")  # Adam slots, loss network, step: left out
    variables[f"{SCOPE}renderer/conv_9/conv_9/w"] = np.zeros((3, 3, 9, 3), np.float32)
    with pytest.raises(WeightsError, match="conv_9/w: a variable the released networks do not have"):
        convert_variables(variables, source="ckpt")


def test_not_a_released_checkpoint():
    with pytest.raises(WeightsError, match="not a checkpoint of the released networks"):
        convert_variables({"dense/kernel": np.zeros((2, 2), np.float32)}, source="ckpt")


def test_another_top_scope_is_found():
    variables = {name.replace(SCOPE, "tower/model/", 1) if name.startswith(SCOPE) else name: value
                 for name, value in released_variables(10).items()}
    assert convert_variables(variables, source="ckpt").config.model.num_landmarks == 10


def test_tf_same_padding_of_a_strided_conv_is_after_the_image():
    conv = TFSameConv2d(1, 1, 3, bias=False)
    conv.weight.data.zero_()
    conv.weight.data[0, 0, 0, 0] = 1.0  # picks the top-left tap: input (2i - pad_before, 2j - pad_before)
    image = torch.arange(16.0).view(1, 1, 4, 4)
    assert torch.equal(conv(image)[0, 0], image[0, 0, ::2, ::2])  # no padding before: taps at 0, 2
    conv.weight.data.zero_()
    conv.weight.data[0, 0, 2, 2] = 1.0  # bottom-right tap: input (2i + 2, 2j + 2), zeros past the image
    assert torch.equal(conv(image)[0, 0], torch.tensor([[10.0, 0.0], [0.0, 0.0]]))


def test_tf1_upsampling_keeps_pixels_and_averages_neighbours():
    row = torch.tensor([[[[0.0, 2.0, 6.0]]]])  # (1, 1, 1, 3)
    assert upsample2x_tf1(row)[0, 0, 0].tolist() == [0.0, 1.0, 2.0, 4.0, 6.0, 6.0]
    image = torch.rand(2, 3, 4, 5)
    doubled = upsample2x_tf1(image)
    assert doubled.shape == (2, 3, 8, 10) and torch.equal(doubled[..., ::2, ::2], image)


def test_released_graph_networks_differ_only_in_the_last_generator_block():
    from landmarks.config import ModelConfig

    ours = build_model(ModelConfig(), pretrained=False).state_dict()
    released = build_model(ModelConfig(released_graph=True), pretrained=False).state_dict()
    assert set(ours) - set(released) == {k for k in ours if k.startswith("generator.blocks.3.convs.1.")}
    assert set(released) <= set(ours)


def test_a_converted_export_is_a_fine_tuning_source_for_released_128_with_released_graph(tmp_path):
    from landmarks.config_loading import load_config
    from landmarks.errors import ConfigError
    from landmarks.models.export import save_safetensors
    from landmarks.training.init_from import read_init_source

    save_safetensors(convert_variables(released_variables(10), source="fixture"), tmp_path / "imm")
    with pytest.raises(ConfigError, match="model.released_graph: True there, False here"):
        read_init_source(tmp_path / "imm", load_config("released-128", []), restore_optim=False)
    source = read_init_source(tmp_path / "imm", load_config("released-128", ["model.released_graph=true"]),
                              restore_optim=False)
    assert source.step == 1234 and "generator.to_rgb.weight" in source.weights


def test_converted_model_reproduces_the_released_graph_computed_with_numpy():
    variables = released_variables(10, seed=1, extras=False)
    trained = convert_variables(variables, source="fixture")
    rng = np.random.default_rng(0)
    source, target = (rng.uniform(0, 255, (1, 128, 128, 3)).astype(np.float32) for _ in range(2))
    keypoints_yx, reconstruction = released_graph_numpy(variables, source, target)
    to_ours = lambda images: torch.from_numpy(images / np.float32(255)).permute(0, 3, 1, 2)  # noqa: E731
    with torch.no_grad():
        output = trained.model(to_ours(source), to_ours(target))
    key_error = np.abs(output.keypoints.numpy()[..., ::-1] - keypoints_yx).max()  # ours (x, y)
    image_error = np.abs(output.reconstruction.permute(0, 2, 3, 1).numpy() * 255 - reconstruction).max()
    print(f"converted vs released graph (numpy): keypoints max |difference| {key_error:.2e} (in [-1, 1]), "
          f"reconstruction {image_error:.2e} (of 0-255, range {np.ptp(reconstruction):.0f})")
    assert np.ptp(keypoints_yx) > 0.2 and key_error < 1e-4
    assert image_error < 1e-3 * np.ptp(reconstruction)
