"""Reporting the videos, frame folders or view groups a pair source cannot use.

A long run must neither crash on one bad file nor shrink its data without saying so: each unusable
item is logged on its own line (the file and the problem), then a summary count; when nothing is
left the build fails with one :class:`~landmarks.errors.DataError` naming the first item (the others
are debug messages, shown with ``-v``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from landmarks.errors import DataError

logger = logging.getLogger("landmarks.data")


@dataclass(frozen=True)
class Skipped:
    """One unusable item: ``name`` (a path relative to the data root) and what is wrong with it."""

    name: str
    problem: str


def report_skipped(root: str | Path, kind: str, total: int, skipped: Sequence[Skipped]) -> None:
    """Log every skipped item and the count ``skipped N of M <kind>``; raise if all were skipped.

    Args:
        root: the data root, named in every line.
        kind: plural noun for the items, e.g. ``"videos"``.
        total: how many items were found, usable or not.
        skipped: the unusable ones.

    Raises:
        DataError: ``total`` is 0 or every item was skipped.
    """
    if total == 0:
        raise DataError(root, f"found no {kind}")
    if len(skipped) == total:  # one error line; the others only with -v (a debug message each)
        for item in skipped:
            logger.debug("%s: unusable: %s", Path(root) / item.name, item.problem)
        first = f"; the first: {skipped[0].name}: {skipped[0].problem}"
        listed = " (-v lists every one)" if total > 1 else ""
        raise DataError(root, f"all {total} {kind} are unusable{first}{listed}")
    for item in skipped:
        logger.warning("%s: skipping %s", Path(root) / item.name, item.problem)
    if skipped:
        logger.warning("%s: skipped %d of %d %s", root, len(skipped), total, kind)
