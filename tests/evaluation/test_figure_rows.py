"""``landmarks evaluate``'s figures show test images spread over the set, with their own predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from landmarks.evaluation import evaluate_model, report
from landmarks.evaluation.annotations import AnnotationSet
from landmarks.evaluation.protocol import evaluate
from landmarks.viz.selection import evenly_spaced


def test_figures_show_evenly_spaced_test_rows_with_their_predictions(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    learned = rng.uniform(5, 40, (100, 4, 2))
    annotated = learned[:, :3] + rng.normal(0, 0.5, (100, 3, 2))
    result = evaluate(learned[:60], annotated[:60], learned[60:], annotated[60:], sample_sizes=(5,), draws=1)
    test = AnnotationSet(root=tmp_path, image_paths=[Path(f"frame{i:03d}.png") for i in range(40)],
                         points=annotated[60:])
    loaded, drawn = [], {}
    monkeypatch.setattr(evaluate_model, "load_image",
                        lambda path: loaded.append(Path(path).name) or np.zeros((48, 48, 3), np.uint8))

    def spy(name, draw):
        def record(images, annotated, predicted, **kwargs):
            drawn[name] = (annotated, predicted)
            return draw(images, annotated, predicted, **kwargs)
        return record

    monkeypatch.setattr(report, "regressed_points_figure", spy("regressed", report.regressed_points_figure))
    monkeypatch.setattr(report, "matched_landmarks_figure", spy("matched", report.matched_landmarks_figure))
    evaluate_model.save_evaluation(result, tmp_path / "out", test)
    rows = evenly_spaced(40, evaluate_model.FIGURE_IMAGES)
    assert loaded == [f"frame{row:03d}.png" for row in rows] and rows[-1] == 39
    np.testing.assert_array_equal(drawn["regressed"][0], test.points[rows])
    np.testing.assert_array_equal(drawn["regressed"][1], result.test_predictions[rows])
    np.testing.assert_array_equal(drawn["matched"][1], result.test_matched[rows])
