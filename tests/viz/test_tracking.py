"""Fig. 5 (right): landmarks tracked through a video, as a filmstrip and as trajectories."""

import numpy as np
import pytest
import torch

from landmarks.viz import figure_to_array
from landmarks.viz.draw import landmark_colours
from landmarks.viz.tracking import filmstrip, strip_indices, trajectories_figure

PAD = 2


def _video(frames=10, height=24, width=32, landmarks=3):
    """Grey frames whose index is written in the top-left pixel; landmarks moving right one pixel a frame."""
    video = np.full((frames, height, width, 3), 128, np.uint8)
    video[:, 0, 0, 0] = np.arange(frames)
    t = np.arange(frames, dtype=np.float64)[:, None]  # (T, 1)
    xs = 4 + t + 0 * np.arange(landmarks)  # (T, K)
    ys = np.broadcast_to(4 + 7 * np.arange(landmarks), xs.shape)
    return video, np.stack([xs, ys], axis=-1)  # (T, H, W, 3), (T, K, 2)


def _cell(strip, row, column, height, width):
    top, left = PAD + row * (height + PAD), PAD + column * (width + PAD)
    return strip[top : top + height, left : left + width]


def test_strip_shows_every_nth_frame_in_order_with_fixed_colours():
    video, points = _video()
    strip = filmstrip(video, points, every=3, columns=2, radius=2, pad=PAD)
    assert strip.shape == (2 * (24 + PAD) + PAD, 2 * (32 + PAD) + PAD, 3)  # frames 0, 3, 6, 9
    colours = landmark_colours(3)
    for cell, t in enumerate([0, 3, 6, 9]):
        frame = _cell(strip, cell // 2, cell % 2, 24, 32)
        assert frame[0, 0, 0] == t, "frames appear in time order"
        for k in range(3):
            x, y = points[t, k].astype(int)
            np.testing.assert_array_equal(frame[y, x], colours[k])  # landmark k keeps its colour


def test_one_row_by_default_and_a_list_of_frames_or_tensors_works():
    video, points = _video(frames=5)
    strip = filmstrip(list(video), torch.tensor(points), max_frames=None)
    assert strip.shape == (24 + 2 * PAD, 5 * (32 + PAD) + PAD, 3)
    np.testing.assert_array_equal(strip, filmstrip(video, points, max_frames=None))


def test_strip_indices():
    np.testing.assert_array_equal(strip_indices(10, every=4), [0, 4, 8])
    np.testing.assert_array_equal(strip_indices(100, every=1, max_frames=3), [0, 1, 2])
    with pytest.raises(ValueError, match="every"):
        strip_indices(10, every=0)


@pytest.mark.parametrize("frames, points, message", [
    (np.zeros((3, 8, 8, 3), np.uint8), np.zeros((4, 2, 2)), "3 frames but landmarks for 4"),
    (np.zeros((3, 8, 8, 3), np.uint8), np.zeros((3, 2)), r"\(T, K, 2\)"),
    (np.zeros((3, 8, 8, 3), np.float32), np.zeros((3, 2, 2)), "uint8"),
])
def test_bad_input_raises(frames, points, message):
    with pytest.raises(ValueError, match=message):
        filmstrip(frames, points)


def test_trajectories_follow_the_landmarks():
    video, points = _video(frames=12)
    figure = trajectories_figure(points, background=video[0], fps=6.0)
    paths, x_axes, y_axes = figure.axes
    for k, line in enumerate(paths.get_lines()):
        np.testing.assert_allclose(np.c_[line.get_xdata(), line.get_ydata()], points[:, k])
        np.testing.assert_allclose(line.get_color(), landmark_colours(3)[k] / 255.0)
    for axis, axes in enumerate((x_axes, y_axes)):
        for k, line in enumerate(axes.get_lines()):
            np.testing.assert_allclose(line.get_xdata(), np.arange(12) / 6.0)  # seconds
            np.testing.assert_allclose(line.get_ydata(), points[:, k, axis])
    assert paths.get_ylim() == (23.5, -0.5)
    assert figure_to_array(figure).ndim == 3
    with pytest.raises(ValueError, match="T >= 1"):
        trajectories_figure(np.zeros((0, 3, 2)))
