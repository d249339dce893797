import numpy as np
import pytest
import torch

from landmarks.viz.grids import image_grid, quadruplet_grid, tensor_to_uint8


def test_tensor_to_uint8_clamps_and_moves_channels_last():
    images = torch.tensor([-0.5, 0.0, 0.5, 1.0, 2.0]).view(1, 1, 1, 5).expand(2, 3, 4, 5)
    out = tensor_to_uint8(images)
    assert out.shape == (2, 4, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0, :, 0], [0, 0, 128, 255, 255])


def test_image_grid_shape_and_placement():
    a = np.full((4, 6, 3), 10, np.uint8)
    b = np.full((4, 6, 3), 20, np.uint8)
    grid = image_grid([[a, b], [b, a]], pad=1)
    assert grid.shape == (2 * (4 + 1) + 1, 2 * (6 + 1) + 1, 3)
    np.testing.assert_array_equal(grid[1:5, 8:14], b)
    assert (grid[0] == 255).all() and (grid[:, 7] == 255).all()


def test_image_grid_rejects_empty_and_non_uint8():
    with pytest.raises(ValueError):
        image_grid([])
    with pytest.raises(ValueError):
        image_grid([[np.zeros((4, 4, 3), np.float32)]])


def _cell(grid, row, column, height, width, pad):
    top, left = pad + row * (height + pad), pad + column * (width + pad)
    return grid[top : top + height, left : left + width]


def test_quadruplet_grid_rows_columns_and_target_column():
    g = torch.Generator().manual_seed(0)
    batch, num, height, width, pad = 3, 5, 20, 24, 2
    source = torch.rand(batch, 3, height, width, generator=g)
    target = torch.rand(batch, 3, height, width, generator=g)
    reconstruction = 1.5 * torch.randn(batch, 3, height, width, generator=g)  # outside [0, 1]: clamped
    keypoints = torch.rand(batch, num, 2, generator=g) * torch.tensor([width - 1.0, height - 1.0])
    grid = quadruplet_grid(source, target, reconstruction, keypoints, max_rows=2, pad=pad)
    assert grid.shape == (2 * (height + pad) + pad, 4 * (width + pad) + pad, 3)
    for row in range(2):
        cells = [_cell(grid, row, column, height, width, pad) for column in range(4)]
        np.testing.assert_array_equal(cells[0], tensor_to_uint8(source)[row])
        np.testing.assert_array_equal(cells[1], tensor_to_uint8(target)[row])
        np.testing.assert_array_equal(cells[2], tensor_to_uint8(reconstruction)[row])
        assert (cells[3] != tensor_to_uint8(target)[row]).any(), "landmarks are drawn on the 4th column"


def test_quadruplet_grid_checks_keypoint_shape():
    images = torch.rand(2, 3, 8, 8)
    with pytest.raises(ValueError):
        quadruplet_grid(images, images, images, torch.zeros(3, 4, 2))
