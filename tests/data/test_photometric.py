"""Photometric pair augmentation: sampling kept apart from applying, identity at zero, semantic cases."""

import pytest
import torch

from landmarks.config import ExperimentConfig, PhotometricConfig
from landmarks.config_loading import apply_overrides, from_dict, to_dict, validate
from landmarks.data.photometric import apply_photometric, sample_photometric_params
from landmarks.errors import ConfigError
from landmarks.training.module import Pair, photometric_pair


def _images(batch=4, seed=0):
    return torch.rand(batch, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_zero_strengths_are_the_identity():
    images = _images()
    params = sample_photometric_params(4, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(apply_photometric(images, params), images, atol=1e-5)


def test_grey_images_have_equal_channels_and_others_keep_colour():
    images = _images()
    params = sample_photometric_params(4, grey_probability=1.0, generator=torch.Generator().manual_seed(1))
    out = apply_photometric(images, params)
    assert torch.allclose(out[:, 0], out[:, 1], atol=1e-6) and torch.allclose(out[:, 1], out[:, 2], atol=1e-6)


def test_brightness_shifts_every_pixel_by_the_sampled_amount():
    images = torch.full((3, 3, 8, 8), 0.5)
    params = sample_photometric_params(3, brightness=0.3, generator=torch.Generator().manual_seed(2))
    out = apply_photometric(images, params)
    expected = 0.5 + params.brightness.view(3, 1, 1, 1)
    assert torch.allclose(out, expected.expand_as(out), atol=1e-6)
    assert params.brightness.abs().max() <= 0.3


def test_same_params_give_the_same_change_and_the_output_stays_in_range():
    images = _images()
    strong = dict(brightness=0.4, contrast=0.5, saturation=0.8, hue=0.5, grey_probability=0.3,
                  blur_probability=0.5, blur_sigma=1.2)
    params = sample_photometric_params(4, **strong, generator=torch.Generator().manual_seed(3))
    first, second = apply_photometric(images, params), apply_photometric(images.clone(), params)
    assert torch.equal(first, second)
    assert first.min() >= 0 and first.max() <= 1
    assert not torch.allclose(first, images, atol=1e-3)


def test_sampling_is_replayable_from_the_generator():
    a = sample_photometric_params(5, hue=0.2, noise_std=0.1, generator=torch.Generator().manual_seed(7))
    b = sample_photometric_params(5, hue=0.2, noise_std=0.1, generator=torch.Generator().manual_seed(7))
    assert all(torch.equal(x, y) for x, y in zip(vars(a).values(), vars(b).values(), strict=True))


def test_blur_only_touches_the_blurred_images():
    images = _images()
    params = sample_photometric_params(4, blur_probability=0.5, blur_sigma=1.0,
                                       generator=torch.Generator().manual_seed(11))
    out = apply_photometric(images, params)
    for i in range(4):
        changed = not torch.allclose(out[i], images[i], atol=1e-6)
        assert changed == bool(params.blur_sigma[i] > 0)


def test_both_images_of_a_pair_get_the_same_colour_change():
    image = _images(batch=2)
    pair = Pair(image.clone(), image.clone(), None)
    config = PhotometricConfig(brightness=0.3, contrast=0.3, saturation=0.5, hue=0.3, grey_probability=0.5)
    out = photometric_pair(pair, config, torch.Generator().manual_seed(0))
    assert torch.equal(out.source, out.target)
    assert not torch.allclose(out.target, image, atol=1e-3)
    assert photometric_pair(pair, PhotometricConfig(), torch.Generator()) is pair


@pytest.mark.parametrize("override", ["pairs.photometric.contrast=-0.1",
                                      "pairs.photometric.grey_probability=1.5", "pairs.photometric.hue=2"])
def test_bad_strengths_are_refused(override):
    raw = apply_overrides(to_dict(ExperimentConfig()), [override])
    with pytest.raises(ConfigError, match="pairs.photometric"):
        validate(from_dict(ExperimentConfig, raw))
