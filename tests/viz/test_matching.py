"""Fig. 4: each annotated point and its Hungarian-matched learned landmark, one colour per pair."""

import numpy as np
import pytest

from landmarks.viz import figure_to_array
from landmarks.viz.draw import landmark_colours
from landmarks.viz.matching import matched_landmarks_figure


def _pixels_near(rendered: np.ndarray, colour: np.ndarray, tolerance: int = 12) -> np.ndarray:
    return np.all(np.abs(rendered.astype(int) - colour.astype(int)) <= tolerance, axis=-1)


def test_each_pair_is_drawn_in_its_colour_with_a_line_between():
    images = [np.full((40, 40, 3), 255, np.uint8)]
    annotated = np.array([[[5.0, 5.0], [30.0, 30.0]]])  # (1, L=2, 2)
    matched = np.array([[[20.0, 5.0], [30.0, 10.0]]])  # a horizontal and a vertical line
    figure = matched_landmarks_figure(images, annotated, matched, title=None)
    axes = figure.axes[0]
    lines = [line for line in axes.get_lines() if len(line.get_xdata()) == 2]
    assert len(lines) == 2
    colours = landmark_colours(2) / 255.0
    for line, gt, point, colour in zip(lines, annotated[0], matched[0], colours, strict=True):
        np.testing.assert_allclose(np.c_[line.get_xdata(), line.get_ydata()], [gt, point])
        np.testing.assert_allclose(line.get_color(), colour)
    rings, dots = axes.collections
    np.testing.assert_allclose(rings.get_offsets(), annotated[0])
    np.testing.assert_allclose(dots.get_offsets(), matched[0])
    np.testing.assert_allclose(rings.get_edgecolors()[:, :3], colours)
    np.testing.assert_allclose(dots.get_facecolors()[:, :3], colours)
    assert axes.get_xlim() == (-0.5, 39.5) and axes.get_ylim() == (39.5, -0.5)  # y down, pixel centres


def test_renders_both_colours_and_skips_unmatched_points():
    images = [np.full((32, 48, 3), 255, np.uint8) for _ in range(3)]
    annotated = np.tile([[[8.0, 8.0], [40.0, 24.0], [20.0, 20.0]]], (3, 1, 1))
    matched = annotated + 3.0
    matched[:, 2] = np.nan  # point 2 matched no learned landmark: its ring is drawn, no line
    figure = matched_landmarks_figure(images, annotated, matched, point_names=["eye", "nose", "chin"])
    assert len(figure.axes) == 3
    assert all(len([l for l in a.get_lines() if len(l.get_xdata()) == 2]) == 2 for a in figure.axes)
    rendered = figure_to_array(figure)
    for colour in landmark_colours(3):
        assert _pixels_near(rendered, colour).sum() > 10
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["eye", "nose", "chin"]


def test_at_most_max_images_panels():
    images = [np.zeros((8, 8, 3), np.uint8)] * 20
    points = np.zeros((20, 1, 2))
    assert len(matched_landmarks_figure(images, points, points, max_images=6).axes) == 6


@pytest.mark.parametrize("annotated, matched, names, message", [
    (np.zeros((1, 2, 2)), np.zeros((1, 3, 2)), None, "matched must match"),
    (np.zeros((1, 2)), np.zeros((1, 2)), None, "annotated must be"),
    (np.zeros((1, 2, 2)), np.zeros((1, 2, 2)), ["one"], "point names"),
])
def test_bad_input_raises(annotated, matched, names, message):
    with pytest.raises(ValueError, match=message):
        matched_landmarks_figure([np.zeros((8, 8, 3), np.uint8)], annotated, matched, point_names=names)
    with pytest.raises(ValueError, match="uint8"):
        matched_landmarks_figure([np.zeros((8, 8, 3))], np.zeros((1, 1, 2)), np.zeros((1, 1, 2)))
