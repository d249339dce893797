"""The annotation CSV format: round trip, missing points, and clear errors naming file and line."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landmarks.errors import DataError
from landmarks.evaluation.annotations import read_annotations, write_annotations


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "faces").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (8, 6)).save(tmp_path / "faces" / name)
    return tmp_path


def _write(root: Path, text: str) -> Path:
    path = root / "annotations.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_points_names_and_missing_points(root):
    path = _write(root, "image,eye_x,eye_y,nose_x,nose_y\nfaces/a.png,1.5,2,3,4\n\nfaces/b.png,,,5.25,5\n")
    annotations = read_annotations(path, root)
    assert annotations.image_paths == [Path("faces/a.png"), Path("faces/b.png")]
    assert annotations.paths[0] == root / "faces" / "a.png"
    assert annotations.point_names == ("eye", "nose")
    assert annotations.csv_path == path and len(annotations) == 2
    expected = np.array([[[1.5, 2.0], [3.0, 4.0]], [[np.nan, np.nan], [5.25, 5.0]]])
    np.testing.assert_array_equal(annotations.points, expected)
    assert annotations.points.dtype == np.float64


def test_write_then_read_round_trips(root):
    points = np.array([[[0.1, 2.0 / 3.0]], [[np.nan, np.nan]], [[1e-9, 5.5]]])  # 5.5: the edge of 6 px
    paths = [root / "faces" / "a.png", Path("faces/b.png"), Path("faces/c.png")]
    path = root / "out.csv"
    write_annotations(path, root, paths, points)
    annotations = read_annotations(path, root)
    assert path.read_text().splitlines()[0] == "image,x0,y0"
    assert annotations.image_paths == [Path("faces/a.png"), Path("faces/b.png"), Path("faces/c.png")]
    np.testing.assert_array_equal(annotations.points, points)
    write_annotations(path, root, paths, points, point_names=["tip"])
    assert read_annotations(path, root).point_names == ("tip",)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty"),
        ("\n\n", 1, "empty"),
        ("name,x0,y0\nfaces/a.png,1,2\n", 1, "start with 'image'"),
        ("image,x0,y0,x1\nfaces/a.png,1,2,3\n", 1, "pairs of coordinate columns"),
        ("image\nfaces/a.png\n", 1, "pairs of coordinate columns"),
        ("image,x0,x0\nfaces/a.png,1,2\n", 1, "'x0' twice"),
        ("image,x0,y0\n", 1, "no annotated images"),
        ("image,x0,y0\nfaces/a.png,1,2\nfaces/b.png,1,2,3\n", 3, "expected 3 columns"),
        ("image,x0,y0\nfaces/a.png,1\n", 2, "expected 3 columns"),
        ("image,x0,y0\nfaces/a.png,1,2\nfaces/b.png,one,2\n", 3, "'one' is not a number"),
        ("image,x0,y0\nfaces/a.png,inf,2\n", 2, "not a finite number"),
        ("image,x0,y0\nfaces/a.png,1,\n", 2, "only one coordinate"),
        ("image,x0,y0\n,1,2\n", 2, "empty image path"),
    ],
)
def test_malformed_csv_names_file_and_line(root, text, line, message):
    path = _write(root, text)
    with pytest.raises(DataError, match=message) as caught:
        read_annotations(path, root)
    assert caught.value.path == path
    assert f"line {line}:" in str(caught.value) and str(path) in str(caught.value)


def test_missing_images_are_listed_up_to_five(root):
    rows = "".join(f"faces/missing{i}.png,1,2\n" for i in range(7))
    path = _write(root, "image,x0,y0\nfaces/a.png,1,2\n" + rows)
    with pytest.raises(DataError, match="7 image") as caught:
        read_annotations(path, root)
    message = str(caught.value)
    assert str(path) in message and "line 3:" in message and "faces/missing0.png (line 3)" in message
    assert "missing4.png" in message and "missing5.png" not in message and "and 2 more" in message


def test_missing_file_raises(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_annotations(tmp_path / "nope.csv", tmp_path)


@pytest.mark.parametrize(("x", "y"), [(900, 2), (8, 2), (-0.6, 2), (1, 6), (1, -3)])
def test_a_point_off_its_image_names_file_line_and_point(root, x, y):
    path = _write(root, f"image,x0,y0,x1,y1\nfaces/a.png,1,2,3,4\nfaces/b.png,1,2,{x},{y}\n")
    with pytest.raises(DataError, match=r"line 3: point 1 \(.*\) lies off its image faces/b.png \(8 x 6 px"):
        read_annotations(path, root)


def test_points_on_the_edge_pixels_are_on_the_image(root):
    path = _write(root, "image,x0,y0,x1,y1\nfaces/a.png,-0.5,-0.5,7.5,5.5\nfaces/b.png,0,0,7,5\n")
    assert read_annotations(path, root).points.shape == (2, 2, 2)


def test_an_unreadable_image_in_the_csv_names_file_line_and_image(root):
    (root / "faces" / "b.png").write_bytes(b"not a png")
    path = _write(root, "image,x0,y0\nfaces/a.png,1,2\nfaces/b.png,1,2\n")
    with pytest.raises(DataError, match=r"line 3: .*b.png: cannot read image") as caught:
        read_annotations(path, root)
    assert caught.value.path == path
