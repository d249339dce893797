import numpy as np
import pytest
import torch

from landmarks.viz.draw import default_radius, draw_landmarks, landmark_colours


def _grey(height=48, width=64, value=128):
    return np.full((height, width, 3), value, np.uint8)


def _changed(before, after):
    return np.any(before != after, axis=-1)  # (H, W)


@pytest.mark.parametrize("num", [1, 10, 17, 50])
def test_colours_are_distinct_uint8_and_stable(num):
    colours = landmark_colours(num)
    assert colours.shape == (num, 3) and colours.dtype == np.uint8
    assert len({tuple(c) for c in colours}) == num
    np.testing.assert_array_equal(colours, landmark_colours(num))


def test_marker_has_its_colour_at_the_centre_and_changes_pixels_only_nearby():
    image = _grey()
    points = np.array([[10.0, 12.0], [40.0, 30.0]])
    colours = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    out = draw_landmarks(image, points, colours=colours, radius=4)
    for (x, y), colour in zip(points.astype(int), colours, strict=True):
        np.testing.assert_array_equal(out[y, x], colour)
    ys, xs = np.nonzero(_changed(image, out))
    distance = np.min(np.hypot(xs[:, None] - points[:, 0], ys[:, None] - points[:, 1]), axis=1)
    assert distance.max() <= 4 + 1
    assert (image == 128).all(), "the input must not be modified"


def test_point_is_in_pixels_with_the_top_left_centre_at_the_origin():
    out = draw_landmarks(_grey(), torch.tensor([[0.0, 0.0]]), colours=[0, 255, 0], radius=3)
    np.testing.assert_array_equal(out[0, 0], [0, 255, 0])
    ys, xs = np.nonzero(_changed(_grey(), out))
    assert xs.max() <= 4 and ys.max() <= 4


def test_hollow_marker_leaves_the_centre_untouched():
    out = draw_landmarks(_grey(), np.array([[20.0, 20.0]]), radius=6, marker="hollow")
    np.testing.assert_array_equal(out[20, 20], [128, 128, 128])
    assert _changed(_grey(), out).sum() > 20


@pytest.mark.parametrize(
    "point", [[float("nan"), 5.0], [5.0, float("inf")], [-100.0, 10.0], [10.0, 1e9], [64 + 20.0, 60.0]]
)
def test_missing_or_outside_points_draw_nothing(point):
    image = _grey()
    out = draw_landmarks(image, np.array([point]))
    np.testing.assert_array_equal(out, image)


def test_marker_crossing_the_border_is_clipped():
    image = _grey()
    out = draw_landmarks(image, np.array([[-1.0, 20.0]]), radius=4)
    assert out.shape == image.shape and _changed(image, out)[:, 0].any()


def test_default_radius_grows_with_the_image():
    assert default_radius(32, 32) < default_radius(256, 256) < default_radius(1024, 512)


def test_bad_input_raises():
    with pytest.raises(ValueError):
        draw_landmarks(_grey().astype(np.float32), np.zeros((1, 2)))
    with pytest.raises(ValueError):
        draw_landmarks(_grey(), np.zeros((1, 3)))
    with pytest.raises(ValueError):
        draw_landmarks(_grey(), np.zeros((1, 2)), marker="cross")
