import numpy as np
import pytest

from landmarks.viz.grids import BACKGROUND
from landmarks.viz.transfer import transfer_grid

PAD = 2


def _cell(grid, row, column, size=8):
    top, left = PAD + row * (size + PAD), PAD + column * (size + PAD)
    return grid[top : top + size, left : left + size]


def test_layout_sources_down_targets_across():
    sources = np.stack([np.full((8, 8, 3), 10 + i, np.uint8) for i in range(2)])  # (S=2, ...)
    targets = np.stack([np.full((8, 8, 3), 100 + j, np.uint8) for j in range(3)])  # (T=3, ...)
    generated = np.stack([[np.full((8, 8, 3), 10 * i + j, np.uint8) for j in range(3)] for i in range(2)])
    grid = transfer_grid(sources, targets, generated, pad=PAD)
    assert grid.shape == (3 * (8 + PAD) + PAD, 4 * (8 + PAD) + PAD, 3)
    assert (_cell(grid, 0, 0) == BACKGROUND).all()
    for j in range(3):
        assert (_cell(grid, 0, j + 1) == 100 + j).all()
    for i in range(2):
        assert (_cell(grid, i + 1, 0) == 10 + i).all()
        for j in range(3):
            assert (_cell(grid, i + 1, j + 1) == 10 * i + j).all()


def test_target_landmarks_are_drawn_on_the_first_row_only():
    images = np.full((2, 8, 8, 3), 50, np.uint8)
    generated = np.full((2, 2, 8, 8, 3), 50, np.uint8)
    plain = transfer_grid(images, images, generated, pad=PAD)
    marked = transfer_grid(images, images, generated, target_landmarks=np.full((2, 1, 2), 4.0), pad=PAD)
    changed = np.any(plain != marked, axis=-1)
    assert changed[: PAD + 8].any() and not changed[PAD + 8 :].any()


def test_mismatched_shapes_raise():
    images = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="generated"):
        transfer_grid(images, images, np.zeros((2, 3, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="one size"):
        transfer_grid(images, np.zeros((2, 9, 8, 3), np.uint8), np.zeros((2, 2, 8, 8, 3), np.uint8))
