"""How the ``landmarks`` command talks: every message through :mod:`logging`, ``-v`` / ``-q``.

* Messages of the library (loggers under ``landmarks``) at INFO go to standard output, as the
  command's results ("run folder: ...", tables); warnings and errors go to standard error, as one
  line each: ``landmarks fit: warning: ...``.
* Python warnings (``warnings.warn``, from the library or any other package) become such one-line
  warnings: the message alone, no source file and line.
* Lightning's own INFO banners ("GPU available: False ...", a tip to install a cloud logger, the
  model summary) are shown only with ``-v``; its warnings always.

``-q`` keeps warnings and errors only; ``-v`` adds Lightning's banners and DEBUG messages.
"""

from __future__ import annotations

import logging
import sys
import warnings

LOGGER = "landmarks"
QUIET, NORMAL, VERBOSE = -1, 0, 1
# Known noise from other packages, never the user's concern: (message regex, category)
IGNORED_WARNINGS = (
    # torch's pytree deprecation, triggered inside Lightning's own code
    (r".*isinstance\(treespec, LeafSpec\).*", DeprecationWarning),
    (r".*LeafSpec.*is deprecated.*", Warning),
)
_LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")


class _ConsoleHandler(logging.Handler):
    """INFO and DEBUG to ``sys.stdout``, WARNING and above to ``sys.stderr``: looked up at each message,
    so that a caller that swaps the streams (pytest's capture) gets the messages."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stdout if record.levelno < logging.WARNING else sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


class _Formatter(logging.Formatter):
    """``message`` for INFO and DEBUG; ``landmarks CMD: warning: message`` for warnings and errors."""

    def __init__(self, command: str):
        super().__init__()
        self.prefix = f"landmarks {command}:" if command else "landmarks:"

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno < logging.WARNING:
            return message
        return f"{self.prefix} {record.levelname.lower()}: {message}"


def setup_logging(command: str, verbosity: int = NORMAL) -> None:
    """Route the library's messages, Python warnings and Lightning's banners as the module says."""
    handler = _ConsoleHandler()
    handler.setFormatter(_Formatter(command))
    root = logging.getLogger(LOGGER)
    for old in [h for h in root.handlers if isinstance(h, _ConsoleHandler)]:
        root.removeHandler(old)  # main() called twice in one process (tests)
    root.addHandler(handler)
    root.setLevel({QUIET: logging.WARNING, NORMAL: logging.INFO}.get(verbosity, logging.DEBUG))
    for name in _LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbosity >= VERBOSE else logging.WARNING)
    for message, category in IGNORED_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
    warnings.showwarning = _log_warning


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` replaced: the message alone, as one line through logging."""
    text = " ".join(str(message).split())
    logging.getLogger(LOGGER).warning("%s", text)
