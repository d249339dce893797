"""Errors a user can act on.

Every error the library raises on bad input derives from :class:`LandmarksError`. The command line
prints such errors as one clear message (no traceback) and exits with status 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class LandmarksError(Exception):
    """Base class of errors caused by the user's input (files, configs, arguments)."""


class ConfigError(LandmarksError):
    """A config file or override is malformed, has an unknown key or an invalid value."""


class DataError(LandmarksError):
    """A dataset, image, video or annotation file is missing, unreadable or malformed."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(problem if path is None else f"{path}: {problem}")


class WeightsError(LandmarksError):
    """A weights or checkpoint file is missing, truncated or does not match the model."""
