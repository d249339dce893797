"""Pure landmark metrics (numpy): errors normalised by a reference distance, PCK, Hungarian matching.

Convention:
    Points are pixel ``(x, y)`` of each image; N images, L annotated points, K learned landmarks.
    NaN marks a missing point: an entry whose ground truth (or prediction) is NaN is skipped by every
    mean and every fraction. Nothing here logs or saves.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from landmarks.evaluation.errors import EvaluationError


def point_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Euclidean pixel error of each point.

    Args:
        pred: ``(N, L, 2)`` predicted pixel ``(x, y)``.
        gt: ``(N, L, 2)`` ground-truth pixel ``(x, y)``, NaN where missing.

    Returns:
        ``(N, L)`` distances in pixels, NaN where either point is missing.
    """
    pred, gt = _check_pair(pred, gt)
    return np.linalg.norm(pred - gt, axis=-1)  # (N, L)


def mean_point_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean Euclidean pixel error over all present ``(N, L)`` entries of ``(N, L, 2)`` points."""
    return mean_present(point_errors(pred, gt))


def normalised_errors(pred: np.ndarray, gt: np.ndarray, left_index: int, right_index: int) -> np.ndarray:
    """Errors divided by each image's ground-truth distance between two reference points.

    NOTE(paper): with the two eye centres as references this is the faces metric (inter-ocular
    distance, Zhang et al. 2018), a fraction here; :func:`mean_normalised_error` gives percent.

    Args:
        pred, gt: ``(N, L, 2)`` pixel ``(x, y)``; NaN in ``gt`` marks missing points.
        left_index, right_index: indices in ``[0, L)`` of the two reference points (e.g. the eyes).

    Returns:
        ``(N, L)`` error / reference distance; NaN where a point or a reference point is missing.

    Raises:
        EvaluationError: if an image's two reference points coincide.
    """
    errors = point_errors(pred, gt)
    reference = np.linalg.norm(gt[:, left_index] - gt[:, right_index], axis=-1)  # (N,)
    if np.any(reference == 0):
        images = np.flatnonzero(reference == 0)[:5].tolist()
        raise EvaluationError(f"reference points {left_index} and {right_index} coincide in images {images}")
    return errors / reference[:, None]  # (N, L)


def mean_normalised_error(
    pred: np.ndarray, gt: np.ndarray, left_index: int, right_index: int
) -> tuple[float, np.ndarray]:
    """Mean normalised error in percent: overall (mean over images and points) and per point ``(L,)``.

    Missing entries are skipped; a point with no entry at all gets NaN.
    """
    errors = 100.0 * normalised_errors(pred, gt, left_index, right_index)  # (N, L)
    return mean_present(errors), mean_over_images(errors)


def pck(pred: np.ndarray, gt: np.ndarray, distance: float) -> np.ndarray:
    """Percentage of correct keypoints as a fraction: per point, the share of entries within ``distance``.

    NOTE(paper): BBC-Pose accuracy at d = 6 pixels; "within" counts an error equal to d as correct.

    Args:
        pred, gt: ``(N, L, 2)`` pixel ``(x, y)``; NaN marks missing points, which are skipped.
        distance: threshold in pixels.

    Returns:
        ``(L,)`` fractions in ``[0, 1]``; NaN for a point with no entry.
    """
    return pck_curve(pred, gt, [distance])[0]


def pck_curve(pred: np.ndarray, gt: np.ndarray, distances) -> np.ndarray:
    """:func:`pck` at each of D distances: ``(D, L)`` fractions in ``[0, 1]``."""
    errors = point_errors(pred, gt)  # (N, L)
    present = ~np.isnan(errors)
    counts = present.sum(0)  # (L,)
    thresholds = np.asarray(distances, dtype=np.float64)[:, None, None]  # (D, 1, 1)
    hits = ((errors[None] <= thresholds) & present[None]).sum(1)  # (D, L)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / counts, np.nan)


def hungarian_matching(learned: np.ndarray, annotated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match each annotated point to one learned landmark by bipartite assignment on mean distance.

    NOTE(paper): sec. 4.2, BBC-Pose raw landmarks: "bipartite linear assignment using mean distance as
    the cost". The cost of the pair ``(l, k)`` is the mean over images of the pixel distance between
    annotated point l and learned landmark k (images where l is missing skipped).

    Args:
        learned: ``(N, K, 2)`` learned landmarks in pixels.
        annotated: ``(N, L, 2)`` annotated points in pixels, NaN where missing.

    Returns:
        ``(L,)`` int indices into K (``-1`` for a point left unmatched, when L > K or the point is never
        annotated) and ``(L,)`` mean pixel distance of each matched pair (NaN when unmatched).
    """
    learned, annotated = np.asarray(learned, np.float64), np.asarray(annotated, np.float64)
    if learned.ndim != 3 or annotated.ndim != 3 or len(learned) != len(annotated):
        raise EvaluationError(f"expected (N, K, 2) and (N, L, 2), got {learned.shape} and {annotated.shape}")
    distances = np.linalg.norm(annotated[:, :, None] - learned[:, None], axis=-1)  # (N, L, K)
    cost = mean_over_images(distances)  # (L, K)
    rows = np.flatnonzero(~np.isnan(cost).any(1))  # annotated points seen at least once
    assignment = np.full(annotated.shape[1], -1)
    pair_distance = np.full(annotated.shape[1], np.nan)
    matched_rows, matched_cols = linear_sum_assignment(cost[rows])
    assignment[rows[matched_rows]] = matched_cols
    pair_distance[rows[matched_rows]] = cost[rows[matched_rows], matched_cols]
    return assignment, pair_distance


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise EvaluationError(
            f"predictions and ground truth must both be (N, L, 2), got {pred.shape}, {gt.shape}"
        )
    return pred, gt


def mean_present(values: np.ndarray) -> float:
    """Mean of the non-NaN entries of an array (NaN if there is none)."""
    present = ~np.isnan(values)
    return float(values[present].mean()) if present.any() else float("nan")


def mean_over_images(values: np.ndarray) -> np.ndarray:
    """``(N, ...) -> (...)``: mean over images skipping NaN (no numpy warning); NaN where all missing."""
    present = ~np.isnan(values)
    counts = present.sum(0)
    totals = np.where(present, values, 0.0).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / counts, np.nan)
