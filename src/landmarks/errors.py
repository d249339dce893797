"""Errors a user can act on.

Every error the library raises on bad input derives from :class:`LandmarksError`. The command line
prints such errors as one clear message (no traceback) and exits with status 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class LandmarksError(Exception):
    """Base class of errors caused by the user's input (files, configs, arguments).

    Raised in a data loader's worker process, an error comes back to the main process re-made from
    torch's message "Caught DataError in DataLoader worker process 0. Original Traceback ..."; it is
    cut back to the worker's own message (:func:`worker_message`), so that it reads as one line there too.
    """

    def __init__(self, *args):
        if len(args) == 1 and isinstance(args[0], str):
            args = (worker_message(args[0]),)
        super().__init__(*args)


def one_line(text: str) -> str:
    """``text`` on one line: its non-blank lines, stripped, joined by spaces (the command line prints
    every error as one line, whatever a library put in its message)."""
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def worker_message(text: str) -> str:
    """The original message inside torch's report of an exception in a DataLoader worker, else ``text``.

    Torch re-raises ``exc_type(msg)`` where ``msg`` is "Caught X in DataLoader worker process N.
    Original Traceback (most recent call last): ... module.X: message"; the message follows the
    traceback's last ``module.X:`` line (and may itself span lines).
    """
    if not (text.startswith("Caught ") and "\nOriginal Traceback" in text):
        return text
    name = text.split()[1]  # the exception's class name
    marker = f"{name}: "
    lines = text.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if not line.startswith(" ") and marker in line:
            return "\n".join([line.split(marker, 1)[1], *lines[index + 1:]]).strip()
    return text


class ConfigError(LandmarksError):
    """A config file or override is malformed, has an unknown key or an invalid value."""


class DataError(LandmarksError):
    """A dataset, image, video or annotation file is missing, unreadable or malformed."""

    def __init__(self, path: str | Path | None, problem: str | None = None):
        if problem is None:  # one message: re-made from a data loader worker's report (see LandmarksError)
            path, problem = None, worker_message(str(path))
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(problem if path is None else f"{path}: {problem}")


class WeightsError(LandmarksError):
    """A weights or checkpoint file is missing, truncated or does not match the model."""
