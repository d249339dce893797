"""All metrics of one set of predictions on one split, gathered for reports (pure, numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landmarks.evaluation.metrics import (
    mean_normalised_error,
    mean_over_images,
    mean_present,
    pck_curve,
    point_errors,
)


@dataclass(frozen=True)
class Scores:
    """The scores of one way of predicting L annotated points, on one split.

    Attributes:
        name: what predicted the points (``"regression"``, ``"mean training shape"``, ...).
        pixel_error: mean Euclidean error in pixels over images and points.
        per_point_pixel_error: ``(L,)`` pixels.
        pck: ``(L,)`` fraction in ``[0, 1]`` of points within the PCK distance.
        pck_curve: ``(D, L)`` the same at each of D distances.
        normalised_error: mean error in percent of the reference (inter-ocular) distance, or None
            when no reference points were named.
        per_point_normalised_error: ``(L,)`` percent, or None.
    """

    name: str
    pixel_error: float
    per_point_pixel_error: np.ndarray
    pck: np.ndarray
    pck_curve: np.ndarray
    normalised_error: float | None = None
    per_point_normalised_error: np.ndarray | None = None

    @property
    def mean_pck(self) -> float:
        """PCK averaged over points (the paper's "average" over joints), a fraction in ``[0, 1]``."""
        return mean_present(self.pck)


def score_predictions(
    name: str,
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    reference_indices: tuple[int, int] | None,
    pck_distance: float,
    pck_distances: np.ndarray,
    pck_scale: float = 1.0,
) -> Scores:
    """Score ``(N, L, 2)`` pixel predictions against ``(N, L, 2)`` ground truth (NaN = missing, skipped).

    ``reference_indices`` names the two points whose distance normalises errors (the eyes), or None.
    ``pck_scale``: PCK thresholds apply to distances times this (BBC-Pose: 0.5, the official toolkit's
    half-resolution frames); the pixel errors stay in the given pixels.
    """
    errors = point_errors(pred, gt)  # (N, L)
    normalised = per_point_normalised = None
    if reference_indices is not None:
        normalised, per_point_normalised = mean_normalised_error(pred, gt, *reference_indices)
    return Scores(
        name=name,
        pixel_error=mean_present(errors),
        per_point_pixel_error=mean_over_images(errors),
        pck=pck_curve(pred * pck_scale, gt * pck_scale, [pck_distance])[0],
        pck_curve=pck_curve(pred * pck_scale, gt * pck_scale, pck_distances),
        normalised_error=normalised,
        per_point_normalised_error=per_point_normalised,
    )
