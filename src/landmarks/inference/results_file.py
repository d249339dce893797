"""Writing detections: ``landmarks.csv`` one row per image or video frame, and ``landmarks.json``.

CSV columns: ``image`` (the file), ``frame`` (the frame number in a video, empty for a still image),
``width``, ``height`` (of that image, in pixels), ``x0, y0, ..., x{K-1}, y{K-1}`` the K learned
landmarks, then ``<name>_x, <name>_y`` for each regressed point when a regressor is used (empty where
the regressor has no fit for a point). All coordinates are pixels of the original image: x right,
y down, the centre of the top-left pixel at (0, 0).

The JSON file holds the same numbers per detection (``landmarks``: ``(K, 2)``, ``points``: ``(L, 2)``
lists, null for a missing value) plus the files that were skipped and why. The CSV is written as
frames come, to a temporary name; when the writer closes, the JSON is written likewise and both are
renamed to their names, so that a run that fails part-way leaves the results of an earlier run whole
(never a CSV cut short beside an older JSON).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from landmarks.errors import DataError
from landmarks.inference.inputs import Frame

CSV_FILE = "landmarks.csv"
JSON_FILE = "landmarks.json"
PARTIAL = ".partial"  # suffix of the files being written, renamed when the writer closes
DECIMALS = 4  # pixels; far below any detector's accuracy
CONVENTION = "pixels of each original image: x right, y down, centre of the top-left pixel at (0, 0)"


class ResultsWriter:
    """Writes ``landmarks.csv`` and ``landmarks.json`` into ``folder`` (a context manager)."""

    def __init__(self, folder: str | Path, *, num_landmarks: int, point_names: Sequence[str] = (),
                 model: str = ""):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise DataError(self.folder, "output exists and is not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.num_landmarks = num_landmarks
        self.point_names = tuple(point_names)
        self.model = model
        self.detections: list[dict] = []
        self._partial_csv = self.folder / f".{CSV_FILE}{PARTIAL}"
        self._file = self._partial_csv.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file)
        self._csv.writerow(self.header())

    def header(self) -> list[str]:
        learned = [f"{axis}{k}" for k in range(self.num_landmarks) for axis in "xy"]
        named = [f"{name}_{axis}" for name in self.point_names for axis in "xy"]
        return ["image", "frame", "width", "height", *learned, *named]

    def write(self, frame: Frame, landmarks: np.ndarray, points: np.ndarray | None = None) -> None:
        """One row: ``landmarks`` ``(K, 2)`` and, with a regressor, ``points`` ``(L, 2)``, in pixels."""
        height, width = frame.image.shape[:2]
        values = [landmarks] if points is None else [landmarks, points]
        cells = [_cell(v) for array in values for v in np.asarray(array).ravel()]
        self._csv.writerow([str(frame.source.path), "" if frame.index is None else frame.index,
                            width, height, *cells])
        entry = {"image": str(frame.source.path), "frame": frame.index, "width": width, "height": height,
                 "landmarks": _nested(landmarks)}
        if points is not None:
            entry["points"] = _nested(points)
        self.detections.append(entry)

    def close(self, skipped: Sequence[DataError] = ()) -> tuple[Path, Path]:
        """Finish the CSV and write the JSON (with the ``skipped`` files); returns both paths."""
        self._file.close()
        document = {
            "model": self.model,
            "num_landmarks": self.num_landmarks,
            "point_names": list(self.point_names),
            "coordinates": CONVENTION,
            "detections": self.detections,
            "skipped": [{"path": None if e.path is None else str(e.path), "problem": e.problem}
                        for e in skipped],
        }
        partial_json = self.folder / f".{JSON_FILE}{PARTIAL}"
        partial_json.write_text(_json_text(document), encoding="utf-8")
        csv_path, json_path = self.folder / CSV_FILE, self.folder / JSON_FILE
        os.replace(self._partial_csv, csv_path)
        os.replace(partial_json, json_path)
        return csv_path, json_path

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc) -> None:
        if not self._file.closed:  # not closed: the detection failed; earlier results stay as they were
            self._file.close()
            self._partial_csv.unlink(missing_ok=True)


def _json_text(document: dict) -> str:
    """Indented JSON with one detection per line (readable, and a fraction of the fully indented size)."""
    head = {key: value for key, value in document.items() if key != "detections"}
    rows = ",\n  ".join(json.dumps(entry, allow_nan=False) for entry in document["detections"])
    text = json.dumps(head, indent=1, allow_nan=False)
    return f'{text[:-2]},\n "detections": [\n  {rows}\n ]\n}}\n'


def _cell(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.{DECIMALS}f}"


def _nested(points: np.ndarray) -> list[list[float | None]]:
    return [[round(float(v), DECIMALS) if math.isfinite(v) else None for v in point] for point in points]
