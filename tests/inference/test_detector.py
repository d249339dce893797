"""`landmarks.load(...).detect(images)`: landmarks in each original image's pixels, from any image form."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import landmarks
from landmarks.data.images import load_image
from landmarks.data.preprocess import ResizeSpec
from landmarks.errors import DataError, LandmarksError
from landmarks.evaluation.extract import extract_landmarks, keypoint_function
from landmarks.inference import LandmarkDetector
from landmarks.models.checkpoint import load_trained_model

# The known detector's landmarks are intensity centroids: exact up to the resize's border effects and
# the 1e-6 floor of its log-scores (a few hundredths of a pixel).
CENTROID_ATOL = 0.1


def _dots(width: int, height: int, points) -> np.ndarray:
    """A black ``(H, W, 3)`` uint8 image with one bright pixel per channel at ``points`` ``(3, 2)``."""
    image = np.zeros((height, width, 3), np.uint8)
    for channel, (x, y) in enumerate(points):
        image[y, x, channel] = 255
    return image


@pytest.mark.parametrize("mode", ["stretch", "center-crop"])
@pytest.mark.parametrize("width, height", [(37, 53), (53, 37), (5, 7), (7, 5), (64, 64), (90, 41)])
def test_known_detector_finds_the_dots_in_original_pixels(centroids, mode, width, height):
    cx, cy, dx, dy = width // 2, height // 2, min(width, height) // 5, min(width, height) // 6
    points = np.array([[cx, cy], [cx - dx, cy + dy], [cx + dx, cy - dy]])  # inside any centre crop
    found = centroids(mode).detect(_dots(width, height, points))
    assert found.shape == (1, 3, 2) and found.dtype == np.float64
    np.testing.assert_allclose(found[0], points, atol=CENTROID_ATOL)


def test_padding_scaling_and_flipping_move_the_landmarks_accordingly(centroids):
    points = np.array([[10, 30], [25, 8], [31, 47]])
    image = _dots(37, 53, points)
    padded = np.pad(image, ((4, 9), (11, 2), (0, 0)))  # 4 rows on top, 11 columns on the left
    scaled = image.repeat(2, axis=0).repeat(2, axis=1)  # each pixel a 2x2 block
    flipped = image[:, ::-1]
    found = centroids().detect([image, padded, scaled, flipped])
    np.testing.assert_allclose(found[0], points, atol=CENTROID_ATOL)
    np.testing.assert_allclose(found[1], points + [11, 4], atol=CENTROID_ATOL)
    # A 2x2 block's centre lies half a pixel past its top-left pixel: x' = 2 x + 0.5.
    np.testing.assert_allclose(found[2], 2 * points + 0.5, atol=2 * CENTROID_ATOL)
    np.testing.assert_allclose(found[3], np.c_[36 - points[:, 0], points[:, 1]], atol=CENTROID_ATOL)


def _write_forms(folder: Path, rgb: np.ndarray) -> dict[str, Path]:
    """The same picture as an RGB, an RGBA (opaque, so alpha changes nothing) and a JPEG-free RGB PNG."""
    paths = {"rgb": folder / "rgb.png", "rgba": folder / "rgba.png"}
    Image.fromarray(rgb).save(paths["rgb"])
    alpha = np.full(rgb.shape[:2] + (1,), 255, np.uint8)
    Image.fromarray(np.concatenate([rgb, alpha], axis=-1)).save(paths["rgba"])
    return paths


@pytest.fixture(scope="module")
def trained(checkpoint) -> LandmarkDetector:
    return landmarks.load(checkpoint.parent.parent)  # the run folder


def test_every_colour_image_form_gives_the_same_landmarks(trained, tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (53, 37, 3), dtype=np.uint8)
    paths = _write_forms(tmp_path, rgb)
    forms = [
        paths["rgb"], str(paths["rgba"]), Image.open(paths["rgba"]), rgb,
        np.concatenate([rgb, np.zeros(rgb.shape[:2] + (1,), np.uint8)], axis=-1),  # RGBA, alpha ignored
        rgb.astype(np.uint16) * 257,  # 16 bits: 255 * 257 = 65535
        rgb.astype(np.float32) / 255, torch.tensor(rgb).permute(2, 0, 1).float() / 255,
        torch.tensor(rgb).permute(2, 0, 1),  # uint8 tensor
    ]
    found = trained.detect(forms, batch_size=4)
    assert found.shape == (len(forms), 3, 2)
    for row in found[1:]:
        np.testing.assert_allclose(row, found[0], atol=1e-9)


def test_every_grey_image_form_gives_the_same_landmarks(trained, tmp_path):
    grey = np.random.default_rng(1).integers(0, 256, (7, 5), dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "grey16.png")  # a 16-bit PNG
    assert Image.open(tmp_path / "grey16.png").mode.startswith("I")
    forms = [np.repeat(grey[..., None], 3, -1), grey, grey[..., None], tmp_path / "grey.png",
             tmp_path / "grey16.png", torch.tensor(grey)[None].float() / 255]
    found = trained.detect(forms)
    for row in found[1:]:
        np.testing.assert_allclose(row, found[0], atol=1e-9)


def test_a_batch_tensor_is_n_images_and_batching_does_not_matter(trained):
    batch = torch.rand(5, 3, 20, 30)
    one_by_one = np.concatenate([trained.detect(image) for image in batch])
    np.testing.assert_allclose(trained.detect(batch, batch_size=2), one_by_one, atol=1e-6)


def test_the_same_as_the_evaluation_extraction(trained, checkpoint, tmp_path):
    paths = []
    for index, (width, height) in enumerate([(37, 53), (5, 7), (80, 20)]):
        paths.append(tmp_path / f"{index}.png")
        Image.fromarray(np.random.default_rng(index).integers(0, 256, (height, width, 3), np.uint8)).save(
            paths[-1])
    model = load_trained_model(checkpoint).model
    expected = extract_landmarks(keypoint_function(model, "cpu"), [load_image(p) for p in paths],
                                 ResizeSpec(32), batch_size=2)
    float32 = landmarks.load(checkpoint, precision="32-true")
    np.testing.assert_allclose(float32.detect(paths), expected, atol=1e-6)  # channels-last: 1e-9 before
    assert not np.allclose(expected[0], expected[1])  # a model whose landmarks depend on the image
    # auto: bfloat16 where this CPU computes it fast; within a tenth of a pixel of the 32 px input here
    np.testing.assert_allclose(trained.detect(paths) / np.array([[37, 53]]), expected / [[37, 53]],
                               atol=0.1 / 32)


def test_precision_is_chosen_and_explicit_wins(checkpoint):
    assert landmarks.load(checkpoint, precision="32-true").precision.precision == "32-true"
    assert landmarks.load(checkpoint, precision="bf16-mixed").precision.autocast_dtype == torch.bfloat16
    assert landmarks.load(checkpoint).precision.precision in ("32-true", "bf16-mixed")


def test_center_crop_runs_detect_in_their_own_frame(make_checkpoint, tmp_path):
    path = make_checkpoint(tmp_path / "crop.ckpt", resize="center-crop")
    detector = landmarks.load(path)
    assert detector.spec == ResizeSpec(32, "center-crop")
    image = np.random.default_rng(0).integers(0, 256, (40, 100, 3), np.uint8)
    found = detector.detect(image)
    assert ((found[..., 0] >= 34 - 1) & (found[..., 0] <= 65 + 1)).all()  # within the centre 40x40


@pytest.mark.parametrize("image, message", [
    (np.zeros((4, 4, 2), np.uint8), "C in"),
    (np.full((4, 4, 3), 1.5), r"\[0, 1\]"),
    (np.zeros((4, 4, 3), np.int64), "uint8, uint16 or float"),
    (torch.zeros(4, 5, 3, 2), "channel-first"),
    (42, "int"),
])
def test_unsupported_images_are_clear_errors(trained, image, message):
    with pytest.raises(DataError, match=message):
        trained.detect(image)


def test_an_unreadable_file_is_named(trained, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken.png"):
        trained.detect([tmp_path / "broken.png"])


def test_regress_needs_a_regressor_and_cuda_must_exist(trained, centroids):
    with pytest.raises(LandmarksError, match="no regressor"):
        trained.detect_points(np.zeros((8, 8, 3), np.uint8))
    if not torch.cuda.is_available():
        with pytest.raises(LandmarksError, match="CUDA is not available"):
            LandmarkDetector(centroids().model, ResizeSpec(32), num_landmarks=3, device="cuda")


@pytest.mark.gpu
def test_cuda_gives_the_cpu_landmarks(checkpoint):
    image = np.random.default_rng(0).integers(0, 256, (53, 37, 3), np.uint8)
    on_gpu = landmarks.load(checkpoint, device="cuda").detect(image)
    np.testing.assert_allclose(on_gpu, landmarks.load(checkpoint).detect(image), atol=1e-3)


def test_import_landmarks_stays_light():
    code = "import sys, landmarks; assert callable(landmarks.load); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
