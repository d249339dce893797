"""The landmark evaluation protocol of the paper (sec. 4): regression, PCK, sample efficiency, baselines.

NOTE(paper): faces (MAFL, AFLW) are scored by the error normalised by the inter-ocular distance,
bodies (BBC-Pose) by PCK at d = 6 pixels; both come out of one :func:`evaluate`, which reports the
normalised error whenever two reference points are named and PCK always.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from landmarks.evaluation.errors import EvaluationError
from landmarks.evaluation.metrics import hungarian_matching, mean_normalised_error, mean_present, pck
from landmarks.evaluation.regression import (
    DEFAULT_RIDGE_ALPHAS,
    LinearMap,
    fit_linear_map,
    fit_ridge_on_validation,
)
from landmarks.evaluation.sample_efficiency import (
    PAPER_SAMPLE_SIZES,
    SampleEfficiencyRow,
    sample_efficiency_curve,
)
from landmarks.evaluation.scores import Scores, score_predictions
from landmarks.evaluation.table import format_result_table

PAPER_PCK_DISTANCE = 6.0  # pixels, BBC-Pose (paper, sec. 4.2)


@dataclass
class EvaluationResult:
    """Everything :func:`evaluate` measured. Errors are on the test split unless a name says otherwise.

    Attributes:
        settings: the protocol's settings and sizes (JSON-safe).
        point_names: L names of the annotated points.
        regression: the learned landmarks' linear regression.
        baselines: the mean training shape and, if given, the untrained detector.
        raw_landmarks: each annotated point predicted by its Hungarian-matched learned landmark.
        matching: ``(L,)`` index of the matched learned landmark (-1 when unmatched).
        matching_train_distance: ``(L,)`` mean pixel distance of each matched pair on the training split.
        sample_efficiency: one row per training-set size.
        sample_efficiency_metric: what the sample-efficiency rows measure.
        pck_distances: ``(D,)`` pixels, the x axis of every ``pck_curve``.
        validation: the regression's scores on the validation split, when one was given.
        notes: plain sentences on departures and choices a reader must know.
        linear_map: the fitted regressor (not serialised).
        test_predictions: ``(M, L, 2)`` regressed test points in pixels (not serialised).
        test_matched: ``(M, L, 2)`` the learned landmark matched to each annotated point on each test
            image, in pixels, NaN where unmatched (not serialised; drawn as the paper's Fig. 4).
    """

    settings: dict[str, Any]
    point_names: tuple[str, ...]
    regression: Scores
    baselines: list[Scores]
    raw_landmarks: Scores
    matching: np.ndarray
    matching_train_distance: np.ndarray
    sample_efficiency: list[SampleEfficiencyRow]
    sample_efficiency_metric: str
    pck_distances: np.ndarray
    validation: Scores | None = None
    notes: list[str] = field(default_factory=list)
    linear_map: LinearMap | None = field(default=None, repr=False)
    test_predictions: np.ndarray | None = field(default=None, repr=False)
    test_matched: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: arrays as lists, NaN as None."""
        scores = [self.regression, *self.baselines, self.raw_landmarks]
        return _json_safe(
            {
                "settings": self.settings,
                "point_names": list(self.point_names),
                "pck_distances": self.pck_distances,
                "test": {s.name: _scores_dict(s) for s in scores},
                "validation": None if self.validation is None else _scores_dict(self.validation),
                "matching": {
                    "learned_index": self.matching,
                    "train_mean_distance_px": self.matching_train_distance,
                },
                "sample_efficiency": {
                    "metric": self.sample_efficiency_metric,
                    "rows": [vars(row) for row in self.sample_efficiency],
                },
                "notes": self.notes,
            }
        )

    def table(self) -> str:
        """The results as a readable plain-text table."""
        return format_result_table(self)


def evaluate(
    train_learned: np.ndarray,
    train_annotated: np.ndarray,
    test_learned: np.ndarray,
    test_annotated: np.ndarray,
    *,
    val_learned: np.ndarray | None = None,
    val_annotated: np.ndarray | None = None,
    eye_indices: tuple[int, int] | None = (0, 1),
    pck_distance: float = PAPER_PCK_DISTANCE,
    pck_distances: Sequence[float] | None = None,
    pck_scale: float = 1.0,
    bias: bool = False,
    ridge: bool = False,
    ridge_alphas: Sequence[float] = DEFAULT_RIDGE_ALPHAS,
    sample_sizes: Sequence[int] = PAPER_SAMPLE_SIZES,
    draws: int = 10,
    seed: int = 0,
    baseline_learned: tuple[np.ndarray, np.ndarray] | None = None,
    baseline_val_learned: np.ndarray | None = None,
    point_names: Sequence[str] | None = None,
) -> EvaluationResult:
    """Run the paper's evaluation of learned landmarks against annotated points.

    Args:
        train_learned, test_learned: ``(N, K, 2)``, ``(M, K, 2)`` learned landmarks in image pixels.
        train_annotated, test_annotated: ``(N, L, 2)``, ``(M, L, 2)`` annotated pixels, NaN = missing.
        val_learned, val_annotated: an optional validation split (needed for ``ridge``).
        eye_indices: the two points whose distance normalises errors (faces), or None (bodies).
        pck_distance: PCK threshold in pixels; ``pck_distances`` the curve's (default 0 to 3x it).
        pck_scale: the thresholds are pixels of images scaled by this: BBC-Pose's official toolkit
            halves predictions and ground truth (``(p - 1) / 2 + 1``, 1-based) before its 6-pixel test,
            so 0.5 there; 1 elsewhere.
        bias: fit the regressor with an intercept (the paper has none).
        ridge: ridge regression with the strength chosen among ``ridge_alphas`` on validation.
        sample_sizes, draws, seed: the sample-efficiency curve (paper, Fig. 3).
        baseline_learned: ``(train (N, K', 2), test (M, K', 2))`` landmarks of another detector (e.g. an
            untrained one), regressed the same way and reported as "untrained detector".
        baseline_val_learned: its validation landmarks, to choose its own ridge strength.
        point_names: L names for reports.

    Raises:
        EvaluationError: on inconsistent shapes, a missing validation split for ``ridge``, or too few
            training images for least squares.
    """
    train_learned, train_annotated, test_learned, test_annotated = (
        np.asarray(array, dtype=np.float64)
        for array in (train_learned, train_annotated, test_learned, test_annotated)
    )
    n_points = _check_splits(
        train_learned, train_annotated, test_learned, test_annotated, val_learned, val_annotated
    )
    if eye_indices is not None and not all(0 <= i < n_points for i in eye_indices):
        raise EvaluationError(f"eye_indices {eye_indices} out of range for {n_points} annotated points")
    if pck_distances is None:
        pck_distances = np.linspace(0, 3 * pck_distance, 31)
    distances = np.asarray(pck_distances, dtype=np.float64)
    notes = []

    def score(name, pred, gt):
        return score_predictions(
            name, pred, gt, reference_indices=eye_indices, pck_distance=pck_distance, pck_distances=distances,
            pck_scale=pck_scale,
        )

    fit = functools.partial(_fit, bias=bias, ridge=ridge, alphas=ridge_alphas)
    fitted, alpha = fit(train_learned, train_annotated, val_learned, val_annotated)
    test_predictions = fitted.predict(test_learned)
    regression = score("regression", test_predictions, test_annotated)
    validation = None
    if val_learned is not None:
        validation = score("regression", fitted.predict(val_learned), val_annotated)

    mean_shape = _mean_shape(train_annotated, len(test_annotated))
    baselines = [score("mean training shape", mean_shape, test_annotated)]
    baseline_alpha = None
    if baseline_learned is not None:
        baseline_train, baseline_test = baseline_learned
        if ridge and baseline_val_learned is None:
            notes.append(f"The untrained detector's ridge strength is the trained one's ({alpha:g}).")
            baseline_alpha = alpha
            baseline_map = fit_linear_map(baseline_train, train_annotated, bias=bias, ridge=alpha)
        else:
            baseline_map, baseline_alpha = fit(
                baseline_train, train_annotated, baseline_val_learned, val_annotated
            )
        baselines.append(score("untrained detector", baseline_map.predict(baseline_test), test_annotated))

    matching, train_distance = hungarian_matching(train_learned, train_annotated)
    test_matched = _matched(test_learned, matching)  # (M, L, 2)
    raw_landmarks = score("raw landmarks (Hungarian)", test_matched, test_annotated)
    notes.append(
        "Raw landmarks: the Hungarian matching is found on the training split, scored on the test split."
    )
    if (matching < 0).any():
        notes.append(f"{int((matching < 0).sum())} annotated point(s) matched no learned landmark; skipped.")

    metric_name, score_fn = _sample_efficiency_metric(eye_indices, pck_distance, pck_scale)
    rows = sample_efficiency_curve(
        train_learned,
        train_annotated,
        test_learned,
        test_annotated,
        score_fn=score_fn,
        sample_sizes=sample_sizes,
        draws=draws,
        seed=seed,
        bias=bias,
        ridge=alpha,
    )
    notes += _sample_efficiency_notes(rows, train_learned.shape[1], bias, ridge)
    settings = {
        "n_train": len(train_learned),
        "n_test": len(test_learned),
        "n_val": None if val_learned is None else len(val_learned),
        "num_learned": train_learned.shape[1],
        "num_annotated": n_points,
        "regressor": _describe_regressor(bias, ridge),
        "bias": bias,
        "ridge_alpha": alpha if ridge else None,
        "baseline_ridge_alpha": baseline_alpha if ridge else None,
        "eye_indices": None if eye_indices is None else list(eye_indices),
        "pck_distance_px": pck_distance,
        "pck_scale": pck_scale,
        "sample_sizes": list(sample_sizes),
        "draws": draws,
        "seed": seed,
    }
    return EvaluationResult(
        settings=settings,
        point_names=tuple(point_names)
        if point_names is not None
        else tuple(f"p{i}" for i in range(n_points)),
        regression=regression,
        baselines=baselines,
        raw_landmarks=raw_landmarks,
        matching=matching,
        matching_train_distance=train_distance,
        sample_efficiency=rows,
        sample_efficiency_metric=metric_name,
        pck_distances=distances,
        validation=validation,
        notes=notes,
        linear_map=fitted,
        test_predictions=test_predictions,
        test_matched=test_matched,
    )


def _fit(learned, annotated, val_learned, val_annotated, *, bias, ridge, alphas) -> tuple[LinearMap, float]:
    """Least squares, or ridge with the strength chosen on validation; returns the map and the strength."""
    if not ridge:
        return fit_linear_map(learned, annotated, bias=bias), 0.0
    if val_learned is None or val_annotated is None:
        raise EvaluationError("ridge regression chooses its strength on a validation split; none was given")
    return fit_ridge_on_validation(learned, annotated, val_learned, val_annotated, alphas=alphas, bias=bias)


def _mean_shape(train_annotated: np.ndarray, count: int) -> np.ndarray:
    """The training split's mean shape ``(L, 2)`` repeated for ``count`` images: ``(count, L, 2)``."""
    present = ~np.isnan(train_annotated)
    totals = np.where(present, train_annotated, 0.0).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = totals / present.sum(0)  # (L, 2), NaN for a point never annotated
    return np.broadcast_to(mean, (count, *mean.shape)).copy()


def _matched(learned: np.ndarray, matching: np.ndarray) -> np.ndarray:
    """``(M, K, 2)`` learned landmarks -> ``(M, L, 2)``, the one matched to each point (NaN if none)."""
    picked = learned[:, np.maximum(matching, 0)].astype(np.float64)  # (M, L, 2)
    picked[:, matching < 0] = np.nan
    return picked


def _sample_efficiency_metric(eye_indices, pck_distance, pck_scale):
    if eye_indices is not None:
        return "normalised error (%)", lambda pred, gt: mean_normalised_error(pred, gt, *eye_indices)[0]
    return f"PCK@{pck_distance:g}px (%)", lambda pred, gt: 100.0 * mean_present(
        pck(pred * pck_scale, gt * pck_scale, pck_distance))


def _sample_efficiency_notes(
    rows: list[SampleEfficiencyRow], num_learned: int, bias: bool, ridge: bool
) -> list[str]:
    small = [row.label for row in rows if row.minimum_norm]
    if not small or ridge:
        return []
    unknowns = 2 * num_learned + int(bias)
    return [
        f"Sample efficiency: for n = {', '.join(small)} (fewer images than the {unknowns} unknowns of "
        "least squares) the regressor is the minimum-norm least-squares solution (numpy.linalg.lstsq); "
        "the paper reports such n without saying how it fitted them."
    ]


def _describe_regressor(bias: bool, ridge: bool) -> str:
    kind = "ridge regression (strength chosen on validation)" if ridge else "ordinary least squares"
    return f"{kind}, {'with' if bias else 'without'} bias" + ("" if bias or ridge else " (as the paper)")


def _check_splits(
    train_learned, train_annotated, test_learned, test_annotated, val_learned, val_annotated
) -> int:
    """Check the splits' shapes agree; return L."""
    splits = {"train": (train_learned, train_annotated), "test": (test_learned, test_annotated)}
    if (val_learned is None) != (val_annotated is None):
        raise EvaluationError("give both val_learned and val_annotated, or neither")
    if val_learned is not None:
        splits["validation"] = (val_learned, val_annotated)
    for name, (learned, annotated) in splits.items():
        learned, annotated = np.shape(learned), np.shape(annotated)
        if len(learned) != 3 or len(annotated) != 3 or learned[0] != annotated[0]:
            raise EvaluationError(
                f"{name} split: learned {learned} and annotated {annotated} must be (N, K|L, 2)"
            )
    if len({np.shape(learned)[1:] for learned, _ in splits.values()}) > 1:
        raise EvaluationError("the splits have different numbers of learned landmarks")
    if len({np.shape(annotated)[1:] for _, annotated in splits.values()}) > 1:
        raise EvaluationError("the splits have different numbers of annotated points")
    return np.shape(train_annotated)[1]


def _scores_dict(scores: Scores) -> dict[str, Any]:
    return {
        "normalised_error_pct": scores.normalised_error,
        "per_point_normalised_error_pct": scores.per_point_normalised_error,
        "pck": scores.pck,
        "mean_pck": scores.mean_pck,
        "pixel_error": scores.pixel_error,
        "per_point_pixel_error": scores.per_point_pixel_error,
        "pck_curve": scores.pck_curve,
    }


def _json_safe(value):
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value
