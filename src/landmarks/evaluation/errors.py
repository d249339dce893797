"""The error raised when an evaluation cannot be carried out as asked."""

from __future__ import annotations

from landmarks.errors import LandmarksError


class EvaluationError(LandmarksError, ValueError):
    """The data cannot support the requested evaluation (too few images, mismatched shapes, ...)."""
