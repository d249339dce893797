"""The raw landmarks matched to the annotations (Hungarian) are kept per test image and drawn (Fig. 4)."""

import numpy as np
from PIL import Image

from landmarks.evaluation.protocol import evaluate
from landmarks.evaluation.report import save_figures

K, L = 4, 3
ORDER = [2, 0, 3]  # annotated point l is learned landmark ORDER[l]


def _split(rng, n):
    learned = rng.uniform(5, 40, (n, K, 2))
    return learned, learned[:, ORDER] + rng.normal(0, 0.5, (n, L, 2))


def test_matched_test_landmarks_are_the_assigned_learned_ones_and_are_drawn(tmp_path):
    rng = np.random.default_rng(0)
    (train_l, train_a), (test_l, test_a) = _split(rng, 40), _split(rng, 6)
    result = evaluate(train_l, train_a, test_l, test_a, sample_sizes=(5,), draws=1,
                      point_names=["left eye", "right eye", "nose"])
    np.testing.assert_array_equal(result.matching, ORDER)
    np.testing.assert_array_equal(result.test_matched, test_l[:, ORDER])
    assert "test_matched" not in str(result.to_dict())  # arrays for drawing, not metrics
    images = [np.full((48, 48, 3), 200, np.uint8) for _ in range(6)]
    written = save_figures(result, tmp_path, test_images=images, test_annotated=test_a)
    assert tmp_path / "matched_landmarks.png" in written
    with Image.open(tmp_path / "matched_landmarks.png") as figure:
        assert figure.format == "PNG" and min(figure.size) > 100


def test_an_unmatched_point_is_nan():
    rng = np.random.default_rng(1)
    learned = rng.uniform(5, 40, (30, 2, 2))  # K = 2 learned landmarks for L = 3 points
    annotated = np.concatenate([learned, learned[:, :1] + 3], axis=1)  # (30, 3, 2)
    result = evaluate(learned, annotated, learned[:5], annotated[:5], sample_sizes=(5,), draws=1,
                      bias=True)
    assert (result.matching < 0).sum() == 1
    unmatched = result.matching < 0
    assert np.isnan(result.test_matched[:, unmatched]).all()
    assert np.isfinite(result.test_matched[:, ~unmatched]).all()
