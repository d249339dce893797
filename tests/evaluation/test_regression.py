"""The linear map from learned landmarks to annotated points."""

import numpy as np
import pytest

from landmarks.errors import LandmarksError
from landmarks.evaluation.errors import EvaluationError
from landmarks.evaluation.regression import fit_linear_map, fit_ridge_on_validation, flatten_points


def _linear_problem(n=40, k=3, l=2, seed=0):
    rng = np.random.default_rng(seed)
    learned = rng.uniform(0, 128, (n, k, 2))
    weights = rng.normal(0, 0.5, (2 * k, 2 * l))
    annotated = (flatten_points(learned) @ weights).reshape(n, l, 2)
    return learned, annotated, weights


def test_known_map_is_recovered_exactly_without_bias():
    learned, annotated, weights = _linear_problem()
    fitted = fit_linear_map(learned, annotated)
    np.testing.assert_allclose(fitted.weights, weights, atol=1e-9)
    np.testing.assert_array_equal(fitted.bias, 0.0)
    np.testing.assert_allclose(fitted.predict(learned), annotated, atol=1e-8)


def test_known_map_with_offset_is_recovered_with_bias():
    learned, annotated, weights = _linear_problem()
    offset = np.array([3.0, -7.0, 12.5, 0.25])
    fitted = fit_linear_map(learned, annotated + offset.reshape(2, 2), bias=True)
    np.testing.assert_allclose(fitted.weights, weights, atol=1e-9)
    np.testing.assert_allclose(fitted.bias, offset, atol=1e-7)


def test_flattening_is_x0_y0_x1_y1():
    points = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    np.testing.assert_array_equal(flatten_points(points), [[1, 2, 3, 4]])


def test_missing_points_are_fitted_on_the_images_where_present():
    learned, annotated, weights = _linear_problem(n=30)
    corrupted = annotated.copy()
    corrupted[:5, 1] = np.nan  # point 1 missing in 5 images
    fitted = fit_linear_map(learned, corrupted)
    np.testing.assert_allclose(fitted.weights, weights, atol=1e-9)


def test_too_few_images_says_how_many_are_needed():
    learned, annotated, _ = _linear_problem(n=5, k=3)  # 6 unknowns without bias
    with pytest.raises(EvaluationError, match="at least 6 training images") as caught:
        fit_linear_map(learned, annotated)
    assert isinstance(caught.value, LandmarksError) and "5 training images" in str(caught.value)
    learned, annotated, _ = _linear_problem(n=6, k=3)
    fit_linear_map(learned, annotated)  # exactly enough
    with pytest.raises(EvaluationError, match="at least 7 training images"):
        fit_linear_map(learned, annotated, bias=True)


def test_underdetermined_fit_takes_the_minimum_norm_solution():
    learned, annotated, _ = _linear_problem(n=2, k=3)
    fitted = fit_linear_map(learned, annotated, allow_underdetermined=True)
    assert fitted.minimum_norm
    features = flatten_points(learned)
    np.testing.assert_allclose(fitted.predict(learned), annotated, atol=1e-8)  # interpolates
    np.testing.assert_allclose(
        fitted.weights, np.linalg.pinv(features) @ flatten_points(annotated), atol=1e-10
    )


def test_ridge_needs_no_minimum_count_and_shrinks():
    learned, annotated, _ = _linear_problem(n=3, k=3)
    weak = fit_linear_map(learned, annotated, ridge=1e-6)
    strong = fit_linear_map(learned, annotated, ridge=1e9)
    assert np.abs(strong.weights).sum() < np.abs(weak.weights).sum()


def test_ridge_strength_is_chosen_on_validation():
    learned, annotated, _ = _linear_problem(n=60)
    rng = np.random.default_rng(1)
    noisy = annotated + rng.normal(0, 1.0, annotated.shape)
    fitted, alpha = fit_ridge_on_validation(
        learned[:40], noisy[:40], learned[40:], annotated[40:], alphas=[1e-3, 1e12]
    )
    assert alpha == 1e-3 and fitted.ridge == 1e-3


def test_non_finite_learned_landmarks_and_shape_mismatch_raise():
    learned, annotated, _ = _linear_problem()
    learned[0, 0, 0] = np.nan
    with pytest.raises(EvaluationError, match="NaN"):
        fit_linear_map(learned, annotated)
    with pytest.raises(EvaluationError):
        fit_linear_map(learned[1:, :], annotated)
