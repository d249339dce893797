"""Psi(source, Phi(target)) for every pair: appearance from the row, geometry from the column."""

import pytest
import torch

from landmarks.config import ModelConfig
from landmarks.models import build_model
from landmarks.models.encoder import Detection
from landmarks.models.transfer import swap_appearance

# init_std 0.3 instead of the paper's 0.01: the untrained outputs are then of order 1 rather than 1e-14,
# so comparing them means something.
SMALL = ModelConfig(image_size=32, num_landmarks=3, base_width=4, generator_width=8, generator_min_width=4,
                    init_std=0.3)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(SMALL).eval()


def test_diagonal_is_the_plain_reconstruction(model):
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    grid = swap_appearance(model, images, images)
    assert grid.shape == (3, 3, 3, 32, 32)
    with torch.no_grad():
        plain = model(images, images).reconstruction  # (3, 3, 32, 32)
    assert plain.abs().mean() > 0.1
    for i in range(3):
        torch.testing.assert_close(grid[i, i], plain[i])
    assert not torch.allclose(grid[0, 1], plain[1], atol=1e-2), "off the diagonal, another appearance"


class _StubDetector(torch.nn.Module):
    """Landmarks that say which target they came from: all K at (x, y) = (-0.5 + 0.5 j, 0)."""

    def forward(self, images):
        count = images.shape[0]
        xs = -0.5 + 0.5 * torch.arange(count, dtype=images.dtype)  # (T,)
        keypoints = torch.stack([xs, torch.zeros_like(xs)], -1)[:, None].expand(count, 3, 2)  # (T, K, 2)
        return Detection(scores=torch.zeros(count, 3, 4, 4), keypoints=keypoints)


def test_generator_gets_the_row_appearance_and_the_column_landmarks(model, monkeypatch):
    generator = torch.Generator().manual_seed(2)
    sources = torch.rand(2, 3, 32, 32, generator=generator)
    targets = torch.rand(3, 3, 32, 32, generator=generator)
    monkeypatch.setattr(model, "detector", _StubDetector())
    grid = swap_appearance(model, sources, targets)
    assert grid.shape == (2, 3, 3, 32, 32)
    column_keypoints = _StubDetector()(targets).keypoints  # (T, K, 2): target j's at x = -0.5 + 0.5 j
    for i in range(2):
        for j in range(3):
            with torch.no_grad():
                expected = model.render(sources[i : i + 1], column_keypoints[j : j + 1])  # (1, 3, H, W)
            torch.testing.assert_close(grid[i, j], expected[0])
    assert not torch.allclose(grid[0, 0], grid[1, 0], atol=1e-2), "rows differ in appearance"
    assert not torch.allclose(grid[0, 0], grid[0, 1], atol=1e-2), "columns differ in geometry"


def test_mismatched_sizes_raise(model):
    with pytest.raises(ValueError, match="one size"):
        swap_appearance(model, torch.rand(1, 3, 32, 32), torch.rand(1, 3, 16, 16))
