"""The few information lines that a program using the library sees without configuring logging.

Every message of the library goes through :mod:`logging` (loggers under ``landmarks``). The command
line sets up a handler for them (:mod:`landmarks.cli_logging`); a program that imports the library and
configures nothing sees, by Python's own rules, warnings and errors on standard error (the "last
resort" handler) and no information lines. A few lines say something such a program needs to know as
well, such as which precision ``trainer.precision: auto`` or ``landmarks.load(..., precision="auto")``
chose: :func:`announce` logs those at INFO and, where no handler at all would receive them (logging
is not configured), writes them to standard error as the last-resort handler writes warnings. Once the
program configures logging (``logging.basicConfig(...)``, any handler on the root logger or on
``landmarks``), they go through its configuration alone, at its levels.
"""

from __future__ import annotations

import logging
import sys


def announce(logger: logging.Logger, message: str, *args: object) -> None:
    """``logger.info(message, *args)``, and ``landmarks: <message>`` on standard error where logging is
    not configured (no handler between ``logger`` and the root)."""
    logger.info(message, *args)
    if not logger.hasHandlers():
        text = message % args if args else message
        sys.stderr.write(f"landmarks: {text}\n")
