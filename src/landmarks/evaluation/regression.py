"""The linear map from learned landmarks to annotated points (the paper's evaluation regressor).

Convention:
    Learned landmarks ``(N, K, 2)`` and annotated points ``(N, L, 2)`` are pixel ``(x, y)`` of each
    image. Both are flattened to ``x0, y0, x1, y1, ...``: features ``(N, 2K)``, targets ``(N, 2L)``.
    The map is ``targets = features @ weights + bias``. NaN in the targets marks a missing point:
    each target column is fitted on the images where it is present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge

from landmarks.evaluation.errors import EvaluationError
from landmarks.evaluation.metrics import mean_point_error

# Ridge strengths tried on the validation split; features are pixels, so X^T X grows like N * size^2.
DEFAULT_RIDGE_ALPHAS = tuple(np.logspace(-2, 8, 21).tolist())


@dataclass(frozen=True)
class LinearMap:
    """A fitted map from ``(N, K, 2)`` learned landmarks to ``(N, L, 2)`` annotated points.

    Attributes:
        weights: ``(2K, 2L)``; a column is NaN if it could not be fitted (no image annotates it).
        bias: ``(2L,)``, zeros when fitted without bias.
        ridge: the ridge strength used (0 for least squares).
        minimum_norm: True if some column had fewer images than unknowns and took the
            minimum-norm least-squares solution.
    """

    weights: np.ndarray
    bias: np.ndarray
    ridge: float = 0.0
    minimum_norm: bool = False

    def predict(self, learned: np.ndarray) -> np.ndarray:
        """``(N, K, 2)`` learned landmarks in pixels -> ``(N, L, 2)`` predicted points in pixels."""
        features = flatten_points(_check_finite(learned, "learned landmarks"))  # (N, 2K)
        if features.shape[1] != self.weights.shape[0]:
            raise EvaluationError(
                f"map fitted on {self.weights.shape[0] // 2} learned landmarks, got {features.shape[1] // 2}"
            )
        return (features @ self.weights + self.bias).reshape(len(features), -1, 2)  # (N, L, 2)


def flatten_points(points: np.ndarray) -> np.ndarray:
    """``(N, P, 2)`` -> ``(N, 2P)`` as ``x0, y0, x1, y1, ...``."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[-1] != 2:
        raise EvaluationError(f"expected points of shape (N, P, 2), got {points.shape}")
    return points.reshape(len(points), -1)  # (N, 2P)


def fit_linear_map(
    learned: np.ndarray,
    annotated: np.ndarray,
    *,
    bias: bool = False,
    ridge: float = 0.0,
    allow_underdetermined: bool = False,
) -> LinearMap:
    """Fit the linear regressor from learned landmarks to annotated points.

    NOTE(paper): sec. 4.1: "a linear regressor (without bias)", i.e. ordinary least squares with no
    intercept: the default. ``bias=True`` adds an (unpenalised) intercept, ``ridge > 0`` uses ridge
    regression (scikit-learn ``Ridge``) with that strength.

    Args:
        learned: ``(N, K, 2)`` learned landmarks, pixels of each image; must be finite.
        annotated: ``(N, L, 2)`` annotated points, pixels, NaN where missing.
        bias: fit an intercept.
        ridge: ridge strength ``alpha`` (0 for least squares).
        allow_underdetermined: with least squares and fewer images than unknowns (2K, or 2K + 1
            with bias) take the minimum-norm solution (``numpy.linalg.lstsq``) instead of raising.

    Raises:
        EvaluationError: on mismatched shapes, or too few images for least squares (saying how many
            are needed), or a point no image annotates.
    """
    features = flatten_points(_check_finite(learned, "learned landmarks"))  # (N, 2K)
    targets = flatten_points(annotated)  # (N, 2L)
    if len(features) != len(targets):
        raise EvaluationError(f"{len(features)} images of learned landmarks but {len(targets)} annotated")
    present = ~np.isnan(targets)  # (N, 2L)
    weights = np.full((features.shape[1], targets.shape[1]), np.nan)
    intercept = np.zeros(targets.shape[1])
    minimum_norm = False
    for rows, columns in _column_groups(present):
        count, unknowns = int(rows.sum()), features.shape[1] + int(bias)
        if count == 0:
            if not allow_underdetermined:
                raise EvaluationError(f"annotated point {columns[0] // 2} is missing in every training image")
            continue
        if ridge > 0:
            solved = _solve_ridge(features[rows], targets[rows][:, columns], bias, ridge)
        elif count >= unknowns:
            solved = _solve_least_squares(features[rows], targets[rows][:, columns], bias)
        elif allow_underdetermined:
            solved, minimum_norm = _solve_minimum_norm(features[rows], targets[rows][:, columns], bias), True
        else:
            message = _too_few_images_message(
                len(features), count, features.shape[1] // 2, bias, columns[0] // 2
            )
            raise EvaluationError(message)
        weights[:, columns], intercept[columns] = solved
    return LinearMap(weights, intercept, float(ridge), minimum_norm)


def fit_ridge_on_validation(
    train_learned: np.ndarray,
    train_annotated: np.ndarray,
    val_learned: np.ndarray,
    val_annotated: np.ndarray,
    *,
    alphas=DEFAULT_RIDGE_ALPHAS,
    bias: bool = False,
) -> tuple[LinearMap, float]:
    """Ridge regression with the strength chosen on a validation split.

    NOTE(paper): "model selection is done using 10% validation split of the training data".
    Each ``alpha`` is fitted on the training split and scored by the mean pixel error on the
    validation split; the smallest best ``alpha`` wins. Shapes as :func:`fit_linear_map`.

    Returns:
        The map fitted on the training split with the chosen strength, and that strength.
    """
    if len(alphas) == 0:
        raise EvaluationError("no ridge strengths to choose from")
    scores = []
    for alpha in alphas:
        fitted = fit_linear_map(train_learned, train_annotated, bias=bias, ridge=float(alpha))
        scores.append(mean_point_error(fitted.predict(val_learned), val_annotated))
    best = float(alphas[int(np.nanargmin(scores))])
    return fit_linear_map(train_learned, train_annotated, bias=bias, ridge=best), best


def _column_groups(present: np.ndarray):
    """Yield ``(rows (N,) bool, columns (C,) int)`` for target columns sharing a missing-value pattern."""
    patterns, inverse = np.unique(present.T, axis=0, return_inverse=True)
    for index, rows in enumerate(patterns):
        yield rows, np.flatnonzero(inverse.ravel() == index)


def _solve_least_squares(x: np.ndarray, y: np.ndarray, bias: bool) -> tuple[np.ndarray, np.ndarray]:
    model = LinearRegression(fit_intercept=bias).fit(x, y)
    return model.coef_.T, np.broadcast_to(model.intercept_, y.shape[1])


def _solve_ridge(x: np.ndarray, y: np.ndarray, bias: bool, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    model = Ridge(alpha=alpha, fit_intercept=bias).fit(x, y)
    return model.coef_.T, np.broadcast_to(model.intercept_, y.shape[1])


def _solve_minimum_norm(x: np.ndarray, y: np.ndarray, bias: bool) -> tuple[np.ndarray, np.ndarray]:
    """Least squares with the smallest-norm weights; with bias, on centred data (intercept unpenalised)."""
    x_mean = x.mean(0) if bias else np.zeros(x.shape[1])
    y_mean = y.mean(0) if bias else np.zeros(y.shape[1])
    weights = np.linalg.lstsq(x - x_mean, y - y_mean, rcond=None)[0]  # (2K, C)
    return weights, y_mean - x_mean @ weights


def _too_few_images_message(total: int, count: int, num_learned: int, bias: bool, point: int) -> str:
    unknowns = 2 * num_learned + int(bias)
    kind = "with bias" if bias else "without bias (the paper's protocol)"
    where = (
        f"{count} training images" if count == total else f"{total} training images, {count} annotating it"
    )
    return (
        f"too few training images: a least-squares map {kind} from K={num_learned} learned landmarks "
        f"has {unknowns} unknowns per coordinate, so it needs at least {unknowns} training images "
        f"annotating each point; annotated point {point} has {where}. "
        "Annotate more images, or use ridge regression."
    )


def _check_finite(points: np.ndarray, what: str) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if not np.isfinite(points).all():
        raise EvaluationError(f"{what} contain NaN or infinite values")
    return points
