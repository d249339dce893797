"""The whole protocol on synthetic landmarks whose annotated points are a known linear map of them."""

import json

import numpy as np
import pytest

from landmarks.evaluation.errors import EvaluationError
from landmarks.evaluation.protocol import evaluate
from landmarks.evaluation.report import save_figures, save_result

K, L = 4, 3


def _split(n, weights, rng, noise=0.0):
    learned = rng.uniform(20, 100, (n, K, 2))
    annotated = (learned.reshape(n, -1) @ weights).reshape(n, L, 2) + rng.normal(0, noise, (n, L, 2))
    return learned, annotated


@pytest.fixture
def splits():
    rng = np.random.default_rng(0)
    # Annotated points are learned landmarks 2, 0, 3 (a permuted identity), so Hungarian and OLS are exact.
    weights = np.zeros((2 * K, 2 * L))
    for point, landmark in enumerate([2, 0, 3]):
        weights[2 * landmark, 2 * point] = weights[2 * landmark + 1, 2 * point + 1] = 1.0
    return _split(60, weights, rng), _split(20, weights, rng), _split(10, weights, rng)


def test_exact_map_gives_zero_error_and_baselines_are_worse(splits):
    (train_l, train_a), (test_l, test_a), _ = splits
    rng = np.random.default_rng(1)
    untrained = (rng.uniform(0, 1, train_l.shape), rng.uniform(0, 1, test_l.shape))
    result = evaluate(
        train_l, train_a, test_l, test_a, sample_sizes=(1, 5, 10, 100), draws=3, baseline_learned=untrained
    )
    assert result.regression.normalised_error == pytest.approx(0.0, abs=1e-6)
    assert result.regression.mean_pck == 1.0
    np.testing.assert_array_equal(result.matching, [2, 0, 3])
    assert result.raw_landmarks.pixel_error == pytest.approx(0.0, abs=1e-9)
    mean_shape, untrained_scores = result.baselines
    assert mean_shape.name == "mean training shape" and untrained_scores.name == "untrained detector"
    assert mean_shape.normalised_error > 10 and untrained_scores.normalised_error > 10
    assert result.test_predictions.shape == test_a.shape


def test_sample_efficiency_has_one_row_per_n_below_n_train_plus_all(splits):
    (train_l, train_a), (test_l, test_a), _ = splits
    result = evaluate(train_l, train_a, test_l, test_a, sample_sizes=(1, 5, 10, 100), draws=3)
    rows = result.sample_efficiency
    assert [row.label for row in rows] == ["1", "5", "10", "all"] and rows[-1].n == 60
    assert [row.draws for row in rows] == [3, 3, 3, 1]
    assert [row.minimum_norm for row in rows] == [True, True, False, False]  # 2K = 8 unknowns
    assert rows[2].mean == pytest.approx(0.0, abs=1e-6) and rows[0].mean > 0
    assert any("minimum-norm" in note for note in result.notes)
    again = evaluate(train_l, train_a, test_l, test_a, sample_sizes=(1, 5, 10, 100), draws=3)
    assert [row.mean for row in again.sample_efficiency] == [row.mean for row in rows]  # seeded


def test_bodies_without_reference_points_report_pck(splits):
    (train_l, train_a), (test_l, test_a), _ = splits
    shifted = test_l + [3.0, 4.0]  # every regressed point 5 px off
    result = evaluate(train_l, train_a, shifted, test_a, eye_indices=None, pck_distance=6.0, sample_sizes=())
    assert result.regression.normalised_error is None
    assert result.regression.mean_pck == 1.0 and result.regression.pixel_error == pytest.approx(5.0)
    strict = evaluate(train_l, train_a, shifted, test_a, eye_indices=None, pck_distance=4.0, sample_sizes=())
    assert strict.regression.mean_pck == 0.0
    assert result.sample_efficiency_metric.startswith("PCK") and len(result.sample_efficiency) == 1


def test_ridge_and_bias_options(splits):
    (train_l, train_a), (test_l, test_a), (val_l, val_a) = splits
    with pytest.raises(EvaluationError, match="validation"):
        evaluate(train_l, train_a, test_l, test_a, ridge=True, sample_sizes=())
    result = evaluate(
        train_l, train_a + 5.0, test_l, test_a + 5.0, val_learned=val_l, val_annotated=val_a + 5.0,
        ridge=True, bias=True, ridge_alphas=(1e-6, 1e6), sample_sizes=(),
    )  # fmt: skip
    assert result.settings["ridge_alpha"] == 1e-6
    assert result.regression.normalised_error == pytest.approx(0.0, abs=1e-3)
    assert result.validation is not None


def test_too_few_training_images_is_a_clear_error(splits):
    (train_l, train_a), (test_l, test_a), _ = splits
    with pytest.raises(EvaluationError, match="at least 8 training images"):
        evaluate(train_l[:7], train_a[:7], test_l, test_a)


def test_point_never_annotated_in_training_is_a_clear_error(splits):
    (train_l, train_a), (test_l, test_a), _ = splits
    train_a = train_a.copy()
    train_a[:, 1] = np.nan
    with pytest.raises(EvaluationError, match="point 1 is missing in every training image"):
        evaluate(train_l, train_a, test_l, test_a)


def test_result_is_json_safe_and_saved(splits, tmp_path):
    (train_l, train_a), (test_l, test_a), _ = splits
    test_a = test_a.copy()
    test_a[:, 2] = np.nan  # a point never annotated in the test split: no score, None in JSON
    result = evaluate(
        train_l, train_a, test_l, test_a, sample_sizes=(1, 10), draws=2, point_names=["a", "b", "c"]
    )
    json_path, text_path = save_result(result, tmp_path)
    loaded = json.loads(json_path.read_text())
    assert loaded["test"]["regression"]["per_point_normalised_error_pct"][2] is None
    assert loaded["settings"]["n_train"] == 60 and loaded["point_names"] == ["a", "b", "c"]
    table = text_path.read_text()
    assert "regression" in table and "mean training shape" in table and "Sample efficiency" in table
    images = [np.zeros((100, 120, 3), np.uint8)] * 3
    written = save_figures(result, tmp_path, test_images=images, test_annotated=test_a)
    assert {path.name for path in written} == {
        "sample_efficiency.png",
        "pck_curve.png",
        "regressed_points.png",
        "matched_landmarks.png",
    }
    assert all(path.stat().st_size > 1000 for path in written)


def test_pck_scale_measures_thresholds_in_scaled_pixels():
    """evaluate(pck_scale=0.5): points 8 px off are within 6 px of half-size images, not of full-size."""
    import numpy as np

    from landmarks.evaluation.protocol import evaluate

    rng = np.random.default_rng(0)
    learned = rng.uniform(0, 100, size=(40, 4, 2))
    annotated = learned[:, :2] * 1.0  # the first two landmarks are the points, exactly
    shifted = annotated + np.array([8.0, 0.0])
    protocol = dict(eye_indices=None, draws=1, sample_sizes=[40], bias=True)
    full = evaluate(learned, shifted, learned, annotated, **protocol)
    half = evaluate(learned, shifted, learned, annotated, **protocol, pck_scale=0.5)
    assert full.regression.mean_pck == pytest.approx(0.0, abs=1e-9)
    assert half.regression.mean_pck == pytest.approx(1.0)
    assert half.regression.pixel_error == pytest.approx(full.regression.pixel_error)
    assert half.settings["pck_scale"] == 0.5
