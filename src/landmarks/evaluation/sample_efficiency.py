"""The sample-efficiency curve: test error of the regressor fitted on n training images (paper, Fig. 3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from landmarks.evaluation.regression import fit_linear_map

# NOTE(paper): Fig. 3 reports n = 1, 5, 10, 100, 500, 1000, 5000 and all (19,000) MAFL images.
PAPER_SAMPLE_SIZES = (1, 5, 10, 100, 500, 1000, 5000)

ScoreFn = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class SampleEfficiencyRow:
    """Test error of regressors fitted on ``draws`` random subsets of ``n`` training images.

    ``minimum_norm`` is True when n is below the number of unknowns, so that least squares is
    underdetermined and the minimum-norm solution was used. ``label`` is ``str(n)`` or ``"all"``.
    """

    n: int
    label: str
    draws: int
    mean: float
    std: float
    minimum_norm: bool


def sample_efficiency_curve(
    train_learned: np.ndarray,
    train_annotated: np.ndarray,
    test_learned: np.ndarray,
    test_annotated: np.ndarray,
    *,
    score_fn: ScoreFn,
    sample_sizes: Sequence[int] = PAPER_SAMPLE_SIZES,
    draws: int = 10,
    seed: int = 0,
    bias: bool = False,
    ridge: float = 0.0,
) -> list[SampleEfficiencyRow]:
    """Fit on random subsets of the training split and score each fit on the test split.

    Sizes below the number of training images N are kept, then ``"all"`` (N images, one draw).
    Subsets are drawn without replacement by ``numpy.random.default_rng(seed)``, so the curve is
    replayable. Fewer images than unknowns take the minimum-norm least-squares solution. A point that
    no image of a subset annotates is predicted as NaN, which the metrics skip.

    Args:
        train_learned, test_learned: ``(N, K, 2)`` and ``(M, K, 2)`` learned landmarks in pixels.
        train_annotated, test_annotated: ``(N, L, 2)`` and ``(M, L, 2)`` annotated points in pixels.
        score_fn: ``(pred (M, L, 2), gt (M, L, 2)) -> float``, the error to report.
        sample_sizes: values of n.
        draws: random subsets per n (mean and standard deviation over them).
        seed: seed of the subset draws.
        bias, ridge: the regressor, as :func:`~landmarks.evaluation.regression.fit_linear_map`.

    Returns:
        One row per kept n, in increasing n, the last for all images.
    """
    rng = np.random.default_rng(seed)
    total = len(train_learned)
    sizes = sorted({int(n) for n in sample_sizes if 0 < n < total})
    rows = []
    for n, label, repeats in [(n, str(n), draws) for n in sizes] + [(total, "all", 1)]:
        scores, minimum_norm = [], False
        for _ in range(repeats):
            subset = rng.choice(total, size=n, replace=False) if n < total else np.arange(total)
            fitted = fit_linear_map(
                train_learned[subset],
                train_annotated[subset],
                bias=bias,
                ridge=ridge,
                allow_underdetermined=True,
            )
            minimum_norm |= fitted.minimum_norm
            scores.append(score_fn(fitted.predict(test_learned), test_annotated))
        rows.append(
            SampleEfficiencyRow(
                n, label, repeats, float(np.mean(scores)), float(np.std(scores)), minimum_norm
            )
        )
    return rows
