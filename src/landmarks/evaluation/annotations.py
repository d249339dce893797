"""Landmark annotations in the plain CSV format of ``landmarks evaluate``.

Format:
    A header line, then one line per image. The first column is ``image``: the image's path relative
    to a root folder. The other columns come in pairs, ``x`` then ``y`` of one point, in pixels of that
    image (x right, y down, the centre of the top-left pixel at ``(0, 0)``; see
    :mod:`landmarks.geometry.coordinates`). An empty pair of cells marks a missing point. Every point
    must lie on its image, ``-0.5 <= x <= W - 0.5`` and ``-0.5 <= y <= H - 0.5`` for an image of
    ``W x H`` pixels (its header is read): a point off the image is refused, naming the file, the line
    and the point, since it is almost always a mistake (another image's size, swapped columns) that
    would silently distort every error measured against it. Leave a point that is not visible empty::

        image,x0,y0,x1,y1
        faces/000001.jpg,61.5,80.0,101.2,79.4
        faces/000002.jpg,60.0,82.5,,

    Pair names ``<name>_x, <name>_y`` (or ``x<name>, y<name>``) give the point's name in reports.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from landmarks.data.images import image_size
from landmarks.errors import DataError

MAX_LISTED_MISSING_IMAGES = 5


@dataclass(frozen=True)
class AnnotationSet:
    """Annotated points of N images.

    Attributes:
        root: folder the image paths are relative to.
        image_paths: N paths relative to ``root``, as written in the CSV.
        points: ``(N, L, 2)`` float64 pixel ``(x, y)`` of each image; NaN where a point is missing.
        csv_path: the file the annotations were read from (None when built in memory).
        point_names: L names, from the CSV header.
    """

    root: Path
    image_paths: list[Path]
    points: np.ndarray
    csv_path: Path | None = None
    point_names: tuple[str, ...] = ()

    def __post_init__(self):
        if self.points.ndim != 3 or self.points.shape[-1] != 2 or len(self.points) != len(self.image_paths):
            raise ValueError(
                f"points must be (N, L, 2) with N = {len(self.image_paths)} images, got {self.points.shape}"
            )
        if not self.point_names:
            object.__setattr__(self, "point_names", tuple(f"p{i}" for i in range(self.points.shape[1])))

    @property
    def paths(self) -> list[Path]:
        """The N image paths joined to ``root``."""
        return [self.root / path for path in self.image_paths]

    def __len__(self) -> int:
        return len(self.image_paths)


def read_annotations(csv_path: str | Path, root: str | Path) -> AnnotationSet:
    """Read an annotation CSV (format in the module docstring); every listed image must exist under ``root``.

    Raises:
        DataError: naming the file and the line, for any malformed line, or listing missing images.
    """
    csv_path, root = Path(csv_path), Path(root)
    rows = _read_rows(csv_path)  # [(line number, cells)]
    if not rows:
        raise DataError(csv_path, "line 1: file is empty; expected a header line starting with 'image'")
    header_line, header = rows[0]
    names = _check_header(csv_path, header_line, header)
    if len(rows) == 1:
        raise DataError(csv_path, f"line {header_line}: header only, no annotated images")
    image_paths, points = [], []
    for line, cells in rows[1:]:
        image, coordinates = _parse_row(csv_path, line, cells, len(header))
        image_paths.append(image)
        points.append(coordinates)
    lines = [line for line, _ in rows[1:]]
    _check_images_exist(csv_path, root, image_paths, lines)
    _check_points_on_images(csv_path, root, image_paths, points, lines)
    return AnnotationSet(root, image_paths, np.stack(points), csv_path, names)


def write_annotations(
    path: str | Path,
    root: str | Path,
    image_paths: Sequence[str | Path],
    points: np.ndarray,
    point_names: Sequence[str] | None = None,
) -> None:
    """Write ``(N, L, 2)`` pixel points of N images as an annotation CSV that :func:`read_annotations` reads.

    Image paths under ``root`` are written relative to it; NaN (in x or y) writes a missing point.
    """
    root, points = Path(root), np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[-1] != 2 or len(points) != len(image_paths):
        raise ValueError(f"points must be (N, L, 2) with N = {len(image_paths)}, got {points.shape}")
    if point_names is None:
        header = ["image"] + [f"{axis}{i}" for i in range(points.shape[1]) for axis in "xy"]
    elif len(point_names) != points.shape[1]:
        raise ValueError(f"{len(point_names)} point names for {points.shape[1]} points")
    else:
        header = ["image"] + [f"{name}_{axis}" for name in point_names for axis in "xy"]
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for image, image_points in zip(image_paths, points, strict=True):
            image = Path(image)
            relative = (
                image.relative_to(root) if image.is_absolute() and image.is_relative_to(root) else image
            )
            cells = []
            for x, y in image_points:
                missing = not (math.isfinite(x) and math.isfinite(y))
                cells += ["", ""] if missing else [repr(float(x)), repr(float(y))]
            writer.writerow([relative.as_posix()] + cells)


def _read_rows(csv_path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on."""
    if not csv_path.is_file():
        raise DataError(csv_path, "annotation file does not exist")
    rows = []
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            line = 1
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    rows.append((line, [cell.strip() for cell in cells]))
                line = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(csv_path, f"cannot read as UTF-8 CSV ({error})") from None
    return rows


def _check_header(csv_path: Path, line: int, header: list[str]) -> tuple[str, ...]:
    if header[0].lower() != "image":
        raise DataError(csv_path, f"line {line}: header must start with 'image', got {header[0]!r}")
    coordinates = header[1:]
    if not coordinates or len(coordinates) % 2:
        raise DataError(
            csv_path,
            f"line {line}: expected pairs of coordinate columns (x0,y0,x1,y1,...) after 'image', "
            f"got {len(coordinates)} column(s)",
        )
    seen = set()
    for name in header:
        if not name:
            raise DataError(csv_path, f"line {line}: header has an empty column name")
        if name in seen:
            raise DataError(csv_path, f"line {line}: header names column {name!r} twice")
        seen.add(name)
    return tuple(
        _point_name(x, y, i) for i, (x, y) in enumerate(zip(coordinates[::2], coordinates[1::2], strict=True))
    )


def _point_name(x_name: str, y_name: str, index: int) -> str:
    """``left_eye_x, left_eye_y`` -> ``left_eye``; ``x0, y0`` -> ``0``; otherwise ``p<index>``."""
    if x_name[:-1] == y_name[:-1] and x_name[-1:].lower() == "x" and y_name[-1:].lower() == "y":
        stem = x_name[:-1].rstrip("_ -.")
    elif x_name[1:] == y_name[1:] and x_name[:1].lower() == "x" and y_name[:1].lower() == "y":
        stem = x_name[1:].lstrip("_ -.")
    else:
        stem = ""
    return stem or f"p{index}"


def _parse_row(csv_path: Path, line: int, cells: list[str], n_columns: int) -> tuple[Path, np.ndarray]:
    if len(cells) != n_columns:
        raise DataError(
            csv_path, f"line {line}: expected {n_columns} columns like the header, got {len(cells)}"
        )
    if not cells[0]:
        raise DataError(csv_path, f"line {line}: empty image path")
    pairs = list(zip(cells[1::2], cells[2::2], strict=True))
    points = np.full((len(pairs), 2), np.nan)
    for i, (x, y) in enumerate(pairs):
        if not x and not y:
            continue
        if not x or not y:
            raise DataError(
                csv_path,
                f"line {line}: point {i} has only one coordinate; leave both x and y empty if missing",
            )
        points[i] = [_parse_number(csv_path, line, x), _parse_number(csv_path, line, y)]
    return Path(cells[0]), points


def _parse_number(csv_path: Path, line: int, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise DataError(csv_path, f"line {line}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(csv_path, f"line {line}: {cell!r} is not a finite number; leave missing points empty")
    return value


def _check_images_exist(csv_path: Path, root: Path, image_paths: list[Path], lines: list[int]) -> None:
    missing = [
        (line, path) for line, path in zip(lines, image_paths, strict=True) if not (root / path).is_file()
    ]
    if not missing:
        return
    listed = ", ".join(f"{path} (line {line})" for line, path in missing[:MAX_LISTED_MISSING_IMAGES])
    more = len(missing) - MAX_LISTED_MISSING_IMAGES
    suffix = f" and {more} more" if more > 0 else ""
    raise DataError(
        csv_path, f"line {missing[0][0]}: {len(missing)} image(s) not found under {root}: {listed}{suffix}"
    )


def _check_points_on_images(
    csv_path: Path, root: Path, image_paths: list[Path], points: list[np.ndarray], lines: list[int]
) -> None:
    """Raise :class:`DataError` naming the CSV, the line and the point for the first point off its image
    (the pixel area ``[-0.5, W - 0.5] x [-0.5, H - 0.5]``), or an image whose header does not read."""
    for line, image, image_points in zip(lines, image_paths, points, strict=True):
        try:
            width, height = image_size(root / image)
        except DataError as error:
            raise DataError(csv_path, f"line {line}: {error}") from None
        x, y = image_points[:, 0], image_points[:, 1]  # (L,) each; NaN where missing
        off = (x < -0.5) | (x > width - 0.5) | (y < -0.5) | (y > height - 0.5)  # False for NaN
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise DataError(
                csv_path,
                f"line {line}: point {i} ({x[i]:g}, {y[i]:g}) lies off its image {image} ({width} x "
                f"{height} px; points are pixels of that image); fix the row, or leave a point that is "
                f"not visible empty",
            )
