"""The evaluation's fitted regressor on disk, so that a trained model can predict annotated-style points.

``landmarks evaluate`` writes ``regressor.safetensors`` beside its metrics: the :class:`LinearMap` from
K learned landmarks to L annotated points, in pixels of each image (see
:mod:`landmarks.evaluation.regression`), with the points' names. Reading it never unpickles anything:
two float64 tensors and a string metadata header.

File layout (safetensors):
    ``weights``: ``(2K, 2L)`` float64, NaN columns for points the training set never annotated.
    ``bias``: ``(2L,)`` float64 (zeros for the paper's regressor without bias).
    metadata: ``format`` = ``landmarks-regressor``, ``version``, ``point_names`` (a JSON list),
    ``ridge``, ``minimum_norm``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from landmarks.errors import WeightsError
from landmarks.evaluation.regression import LinearMap

FORMAT = "landmarks-regressor"
VERSION = "1"
FILE_NAME = "regressor.safetensors"  # the name `landmarks evaluate` writes in its output folder


@dataclass(frozen=True)
class SavedRegressor:
    """A fitted map from learned landmarks to named annotated points."""

    linear_map: LinearMap
    point_names: tuple[str, ...]

    @property
    def num_landmarks(self) -> int:
        """K, the number of learned landmarks the map reads."""
        return self.linear_map.weights.shape[0] // 2

    def predict(self, learned: np.ndarray) -> np.ndarray:
        """``(N, K, 2)`` learned landmarks in pixels -> ``(N, L, 2)`` points in the same pixels."""
        return self.linear_map.predict(learned)


def save_regressor(linear_map: LinearMap, point_names, path: str | Path) -> Path:
    """Write ``linear_map`` and the L ``point_names`` as a safetensors file at ``path``."""
    point_names = [str(name) for name in point_names]
    if 2 * len(point_names) != linear_map.weights.shape[1]:
        points = linear_map.weights.shape[1] // 2
        raise ValueError(f"{len(point_names)} point names for a map to {points} points")
    metadata = {"format": FORMAT, "version": VERSION, "point_names": json.dumps(point_names),
                "ridge": repr(float(linear_map.ridge)), "minimum_norm": json.dumps(linear_map.minimum_norm)}
    tensors = {"weights": np.ascontiguousarray(linear_map.weights, dtype=np.float64),
               "bias": np.ascontiguousarray(linear_map.bias, dtype=np.float64)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, path, metadata=metadata)
    return path


def load_regressor(path: str | Path) -> SavedRegressor:
    """Read a file written by :func:`save_regressor`; a missing or foreign file is a :class:`WeightsError`."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: regressor file does not exist (landmarks evaluate writes {FILE_NAME})")
    try:
        with safe_open(path, framework="numpy") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{path}: not a readable safetensors file ({error})") from None
    if metadata.get("format") != FORMAT or not {"weights", "bias"} <= tensors.keys():
        raise WeightsError(f"{path}: not a landmarks regressor file (written by landmarks evaluate)")
    weights, bias = tensors["weights"], tensors["bias"]
    names = tuple(json.loads(metadata["point_names"]))
    if weights.ndim != 2 or weights.shape[0] % 2 or bias.shape != (weights.shape[1],) or \
            weights.shape[1] != 2 * len(names):
        raise WeightsError(f"{path}: inconsistent regressor shapes {weights.shape}, {bias.shape}")
    linear_map = LinearMap(weights, bias, float(metadata.get("ridge", 0.0)),
                           json.loads(metadata.get("minimum_norm", "false")))
    return SavedRegressor(linear_map, names)
