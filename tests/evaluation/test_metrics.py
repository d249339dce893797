"""Hand-made cases for the pure evaluation metrics."""

import numpy as np
import pytest

from landmarks.evaluation.errors import EvaluationError
from landmarks.evaluation.metrics import (
    hungarian_matching,
    mean_normalised_error,
    normalised_errors,
    pck,
    pck_curve,
    point_errors,
)


def _faces(n=4):
    """``(n, 3, 2)``: eyes 10 px apart, then a nose."""
    base = np.array([[40.0, 50.0], [50.0, 50.0], [45.0, 58.0]])
    return np.stack([base + [i, 2 * i] for i in range(n)])


def test_every_point_one_pixel_off_with_eyes_ten_apart_is_ten_percent():
    gt = _faces()
    pred = gt + [0.6, 0.8]  # 1 px off
    overall, per_point = mean_normalised_error(pred, gt, 0, 1)
    assert overall == pytest.approx(10.0)
    np.testing.assert_allclose(per_point, [10.0, 10.0, 10.0])
    np.testing.assert_allclose(normalised_errors(pred, gt, 0, 1), 0.1)


def test_reference_distance_comes_from_each_image_ground_truth():
    gt = _faces(2)
    gt[1, 1, 0] = gt[1, 0, 0] + 20.0  # eyes 20 px apart in the second image
    pred = gt + [0.0, 2.0]
    np.testing.assert_allclose(normalised_errors(pred, gt, 0, 1), [[0.2] * 3, [0.1] * 3])


def test_missing_points_are_skipped():
    gt = _faces()
    pred = gt + [1.0, 0.0]
    pred[0, 2] += 100.0  # a wild prediction where the ground truth is missing
    gt[0, 2] = np.nan
    errors = normalised_errors(pred, gt, 0, 1)
    assert np.isnan(errors[0, 2]) and np.isfinite(np.delete(errors.ravel(), 2)).all()
    assert mean_normalised_error(pred, gt, 0, 1)[0] == pytest.approx(10.0)
    np.testing.assert_allclose(pck(pred, gt, 1.0), [1.0, 1.0, 1.0])


def test_missing_eye_skips_the_whole_image():
    gt = _faces(2)
    gt[0, 0] = np.nan
    pred = gt + [0.0, 1.0]
    errors = normalised_errors(pred, gt, 0, 1)
    assert np.isnan(errors[0]).all() and np.allclose(errors[1], 0.1)


def test_coinciding_reference_points_raise():
    gt = _faces(2)
    gt[1, 1] = gt[1, 0]
    with pytest.raises(EvaluationError, match="coincide"):
        normalised_errors(gt, gt, 0, 1)


def test_pck_counts_points_within_distance_inclusive():
    gt = np.zeros((4, 2, 2))
    offsets = np.array([1.0, 3.0, 6.0, 9.0])  # per image, along x
    pred = gt.copy()
    pred[:, 0, 0] = offsets
    pred[:, 1, 1] = offsets[::-1]
    np.testing.assert_allclose(pck(pred, gt, 6.0), [0.75, 0.75])
    np.testing.assert_allclose(pck_curve(pred, gt, [0.5, 3.0, 10.0]), [[0, 0], [0.5, 0.5], [1, 1]])


def test_pck_of_a_point_never_annotated_is_nan():
    gt = np.zeros((3, 2, 2))
    gt[:, 1] = np.nan
    result = pck(gt, gt, 1.0)
    assert result[0] == 1.0 and np.isnan(result[1])


def test_point_errors_shape_mismatch_raises():
    with pytest.raises(EvaluationError):
        point_errors(np.zeros((2, 3, 2)), np.zeros((2, 4, 2)))


def test_hungarian_recovers_a_permuted_identity():
    rng = np.random.default_rng(0)
    annotated = rng.uniform(0, 100, (20, 4, 2))
    learned = np.concatenate([annotated, rng.uniform(0, 100, (20, 3, 2))], axis=1)  # K = 7
    permutation = np.array([5, 2, 0, 6, 3, 1, 4])
    learned = learned[:, np.argsort(permutation)]  # learned[:, permutation[i]] is old column i
    learned += rng.normal(0, 0.1, learned.shape)
    assignment, distance = hungarian_matching(learned, annotated)
    np.testing.assert_array_equal(assignment, permutation[:4])
    assert (distance < 0.5).all()


def test_hungarian_skips_missing_annotations_and_leaves_extra_points_unmatched():
    annotated = np.array(
        [[[0.0, 0.0], [10.0, 0.0], [np.nan, np.nan]], [[0.0, 0.0], [np.nan, np.nan], [5.0, 5.0]]]
    )
    learned = np.array([[[10.0, 0.0], [0.0, 1.0]], [[10.0, 0.0], [0.0, 1.0]]])  # K = 2 < L = 3
    assignment, distance = hungarian_matching(learned, annotated)
    assert assignment[0] == 1 and assignment[1] == 0 and assignment[2] == -1
    np.testing.assert_allclose(distance[:2], [1.0, 0.0])
    assert np.isnan(distance[2])
