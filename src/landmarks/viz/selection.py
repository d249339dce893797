"""Which images of a set a figure shows: a spread over the whole set, not its first rows.

The first rows of a set are often alike (consecutive video frames of one person, one identity's
photos in a row); evenly spaced rows show different people and poses.
"""

from __future__ import annotations


def evenly_spaced(total: int, count: int) -> list[int]:
    """``min(count, total)`` distinct row indices in ``[0, total)``, increasing and evenly spaced,
    the first and the last row included (``evenly_spaced(100, 4) == [0, 33, 66, 99]``)."""
    if total < 0 or count < 0:
        raise ValueError(f"total and count must be non-negative, got {total} and {count}")
    if count >= total:
        return list(range(total))
    if count == 1:
        return [0]
    return [round(i * (total - 1) / (count - 1)) for i in range(count)]
