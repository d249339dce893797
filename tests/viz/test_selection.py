"""Figures show a spread of the set: evenly spaced rows, first and last included."""

import pytest

from landmarks.viz.selection import evenly_spaced


def test_evenly_spaced_rows_cover_the_whole_set():
    rows = evenly_spaced(300, 16)
    assert len(rows) == len(set(rows)) == 16 and rows == sorted(rows)
    assert rows[0] == 0 and rows[-1] == 299
    gaps = [b - a for a, b in zip(rows, rows[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1
    assert evenly_spaced(100, 4) == [0, 33, 66, 99]


def test_small_sets_and_edge_cases():
    assert evenly_spaced(5, 16) == [0, 1, 2, 3, 4]
    assert evenly_spaced(0, 16) == [] and evenly_spaced(10, 0) == [] and evenly_spaced(10, 1) == [0]
    assert evenly_spaced(17, 16) == sorted(set(evenly_spaced(17, 16)))
    with pytest.raises(ValueError):
        evenly_spaced(-1, 3)
