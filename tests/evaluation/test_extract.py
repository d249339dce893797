"""Landmarks come back in each original image's pixels, whatever the resize mode."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.data.preprocess import ResizeSpec
from landmarks.evaluation.errors import EvaluationError
from landmarks.evaluation.extract import extract_landmarks

# Normalised (x, y): the model input's top-left pixel centre, its centre, and its bottom-right centre.
FIXED = torch.tensor([[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]])


def _fixed_keypoints(images: torch.Tensor) -> torch.Tensor:
    assert images.shape[1:] == (3, 16, 16) and images.dtype == torch.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and not torch.is_grad_enabled()
    return FIXED.expand(len(images), -1, -1)  # (B, 3, 2)


@pytest.fixture
def image_paths(tmp_path: Path) -> list[Path]:
    paths = []
    for index, (width, height) in enumerate([(32, 16), (20, 40), (16, 16)]):
        path = tmp_path / f"image{index}.png"
        Image.new("RGB", (width, height), (index * 40, 100, 200)).save(path)
        paths.append(path)
    return paths


def test_stretch_maps_model_corners_to_image_corners(image_paths):
    points = extract_landmarks(_fixed_keypoints, image_paths, ResizeSpec(16, "stretch"), batch_size=2)
    assert points.shape == (3, 3, 2) and points.dtype == np.float64
    for index, (width, height) in enumerate([(32, 16), (20, 40), (16, 16)]):
        # Resizing maps pixel areas: the first model pixel covers [0, W/16) so its centre is W/32 - 0.5.
        step_x, step_y = width / 16, height / 16
        expected = [
            [0.5 * step_x - 0.5, 0.5 * step_y - 0.5],
            [(width - 1) / 2, (height - 1) / 2],
            [width - 0.5 * step_x - 0.5, height - 0.5 * step_y - 0.5],
        ]
        np.testing.assert_allclose(points[index], expected, atol=1e-9)


def test_center_crop_maps_the_model_centre_to_the_image_centre(image_paths):
    points = extract_landmarks(_fixed_keypoints, image_paths, ResizeSpec(16, "center-crop"))
    # 32x16: resized to 32x16 (factor 1), centre 16x16 crop starts at x = 8.
    np.testing.assert_allclose(points[0], [[8.0, 0.0], [15.5, 7.5], [23.0, 15.0]], atol=1e-9)
    # 20x40: resized to 16x32 (factor 0.8), crop starts at y = 8 resized pixels = 10 image pixels.
    np.testing.assert_allclose(points[1, 1], [9.5, 19.5], atol=1e-9)
    np.testing.assert_allclose(points[1, 0], [0.125, 10.125], atol=1e-9)


def test_paths_and_arrays_give_the_same_result_and_batching_does_not_matter(image_paths):
    arrays = [np.asarray(Image.open(path).convert("RGB")) for path in image_paths]
    spec = ResizeSpec(16, "center-crop", resize_to=20)
    from_paths = extract_landmarks(_fixed_keypoints, image_paths, spec, batch_size=1)
    from_arrays = extract_landmarks(_fixed_keypoints, arrays, spec, batch_size=32)
    np.testing.assert_array_equal(from_paths, from_arrays)


def test_bad_keypoint_output_and_empty_input_raise(image_paths):
    with pytest.raises(EvaluationError, match="must return"):
        extract_landmarks(lambda images: images.mean((2, 3)), image_paths, ResizeSpec(16))
    with pytest.raises(EvaluationError, match="no images"):
        extract_landmarks(_fixed_keypoints, [], ResizeSpec(16))
