import pytest
import torch

from landmarks.config import ModelConfig
from landmarks.models import build_model
from landmarks.models.encoder import trunk_widths
from landmarks.models.generator import generator_widths


def test_paper_sizes():
    assert trunk_widths(128, 16, 32) == [32, 64, 128, 256]
    assert generator_widths(128, 16, 256, 32) == [256, 128, 64, 32]
    assert generator_widths(256, 16, 256, 32) == [256, 128, 64, 32, 32]


@pytest.mark.parametrize("image_size", [32, 64, 128, 256])
def test_shapes_at_every_size(image_size):
    config = ModelConfig(image_size=image_size, num_landmarks=7, base_width=4, generator_width=16,
                         generator_min_width=4)
    model = build_model(config)
    images = torch.rand(2, 3, image_size, image_size)
    out = model(images, images.flip(-1))
    assert out.reconstruction.shape == (2, 3, image_size, image_size)
    assert out.keypoints.shape == (2, 7, 2)
    assert out.scores.shape == (2, 7, 16, 16)
    assert out.maps.shape == (2, 7, 16, 16)
    assert out.keypoints.abs().max() <= 1


def test_paper_model_parameter_count_is_plausible():
    model = build_model(ModelConfig())
    detector = sum(p.numel() for p in model.detector.parameters())
    # 4 blocks of two convs: 7x7x3x32 + 3x3x32x32 + ... + 3x3x256x256, plus BN and the 1x1 head.
    assert 1_100_000 < detector < 1_300_000


def test_every_parameter_receives_a_gradient():
    model = build_model(ModelConfig(image_size=32, num_landmarks=4, base_width=4, generator_width=8,
                                    generator_min_width=4))
    source, target = torch.rand(2, 2, 3, 32, 32)
    model(source, target).reconstruction.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_target_reaches_the_generator_only_through_the_keypoints():
    model = build_model(ModelConfig(image_size=32, num_landmarks=4, base_width=4, generator_width=8,
                                    generator_min_width=4)).eval()
    source = torch.rand(1, 3, 32, 32)
    target = torch.rand(1, 3, 32, 32, requires_grad=True)
    out = model(source, target)
    (keypoint_grad,) = torch.autograd.grad(out.keypoints.sum(), target, retain_graph=True)
    assert keypoint_grad.abs().sum() > 0
    # Replacing the target by any image with the same keypoints gives the same reconstruction.
    again = model.render(source, out.keypoints)
    torch.testing.assert_close(again, out.reconstruction)


def test_initialisation_follows_init_std():
    model = build_model(ModelConfig(init_std=0.01))
    weight = model.encoder[3][1][0].weight  # a 3x3x256x256 conv
    assert abs(weight.std().item() - 0.01) < 5e-4
