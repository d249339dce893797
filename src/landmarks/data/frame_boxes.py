"""Crop boxes for video frames (the loose crops around a subject of Human3.6M, REFERENCE sec. 1).

A boxes CSV has a header and one row per box::

    video,frame,x0,y0,x1,y1
    S1/Walking.54138969.mp4,0,212,95,811,694

``video`` is the video's name in the index (its path relative to the data root, ``/``-separated),
``frame`` the frame number from 0. Convention: pixel coordinates of
:mod:`landmarks.geometry.coordinates` (x right, y down, centre of the top-left pixel at ``(0, 0)``);
the crop holds the pixels whose centres lie in ``[x0, x1] x [y0, y1]`` (both ends included, values
rounded to the nearest pixel), so ``(10, 20, 41, 51)`` is a 32 x 32 crop. Parts of a box outside the
frame are black, so a box keeps its size and centre near the border. A frame without a box of its own
uses the box of the nearest annotated frame of its video (boxes may be given every few frames).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from landmarks.errors import DataError

COLUMNS = ("video", "frame", "x0", "y0", "x1", "y1")


class FrameBoxes:
    """Boxes by video and frame.

    Args:
        boxes: video name -> ``(frames, boxes)``: ``(n,)`` sorted frame numbers and ``(n, 4)``
            ``(x0, y0, x1, y1)`` pixel boxes.
    """

    def __init__(self, boxes: dict[str, tuple[np.ndarray, np.ndarray]]):
        self._boxes = boxes

    @property
    def videos(self) -> set[str]:
        return set(self._boxes)

    def box(self, video: str, frame: int) -> np.ndarray:
        """``(4,)`` box ``(x0, y0, x1, y1)`` of ``frame``, or of the nearest annotated frame of ``video``."""
        frames, boxes = self._boxes[video]
        position = int(np.searchsorted(frames, frame))
        candidates = [p for p in (position - 1, position) if 0 <= p < len(frames)]
        nearest = min(candidates, key=lambda p: abs(int(frames[p]) - frame))
        return boxes[nearest]


def read_boxes(path: str | Path) -> FrameBoxes:
    """Read a boxes CSV (see the module docstring).

    Raises:
        DataError: the file is missing, lacks a column, or a row has a bad number or an empty box.
    """
    path = Path(path).expanduser()  # "data.boxes=~/x.csv" reaches us unexpanded by the shell
    if not path.is_file():
        raise DataError(path, "boxes file does not exist")
    rows: dict[str, list[tuple[int, float, float, float, float]]] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(path, f"boxes CSV lacks column(s) {missing}; expected header {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            rows.setdefault(row["video"], []).append(_parse_row(path, line, row))
    if not rows:
        raise DataError(path, "boxes CSV has no rows")
    boxes = {}
    for video, entries in rows.items():
        entries.sort()
        table = np.array(entries, dtype=np.float64)  # (n, 5): frame, x0, y0, x1, y1
        boxes[video] = (table[:, 0].astype(np.int64), table[:, 1:])
    return FrameBoxes(boxes)


def _parse_row(path: Path, line: int, row: dict) -> tuple[int, float, float, float, float]:
    try:
        frame = int(row["frame"])
        x0, y0, x1, y1 = (float(row[c]) for c in COLUMNS[2:])
    except (TypeError, ValueError):
        raise DataError(
            path,
            f"line {line}: frame must be an integer and x0, y0, x1, y1 numbers, got "
            f"{[row.get(c) for c in COLUMNS[1:]]}",
        ) from None
    if frame < 0 or x1 < x0 or y1 < y0:
        raise DataError(
            path,
            f"line {line}: need frame >= 0, x0 <= x1 and y0 <= y1, got "
            f"frame {frame}, box ({x0}, {y0}, {x1}, {y1})",
        )
    return frame, x0, y0, x1, y1


def crop_box(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The pixels of ``image`` whose centres lie in ``box``, black where the box leaves the image.

    Args:
        image: ``(H, W, 3)`` ``uint8``.
        box: ``(x0, y0, x1, y1)`` in pixels (module convention).

    Returns:
        ``(y1 - y0 + 1, x1 - x0 + 1, 3)`` ``uint8`` (after rounding each bound to the nearest pixel).
    """
    x0, y0, x1, y1 = (int(np.floor(value + 0.5)) for value in box)
    height, width = image.shape[:2]
    crop = np.zeros((y1 - y0 + 1, x1 - x0 + 1, 3), dtype=image.dtype)
    top, bottom = max(y0, 0), min(y1, height - 1)
    left, right = max(x0, 0), min(x1, width - 1)
    if top <= bottom and left <= right:
        crop[top - y0 : bottom - y0 + 1, left - x0 : right - x0 + 1] = image[
            top : bottom + 1, left : right + 1
        ]
    return crop
