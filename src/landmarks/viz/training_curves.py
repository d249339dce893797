"""Curves of numbers logged during training (the keypoints' health), one small panel each.

Pure drawing: arrays in, a matplotlib ``Figure`` out (no pyplot, no saving).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

PANEL_INCHES = (3.6, 2.6)  # width, height of one panel
COLUMNS = 3


def training_curves_figure(steps: Sequence[int], panels: Mapping[str, Mapping[str, Sequence[float]]],
                           *, title: str | None = None, log_scale: Collection[str] = ()) -> Figure:
    """One panel per entry of ``panels`` (its title), one line per curve in it (its legend label).

    Args:
        steps: ``(T,)`` training steps, the x axis of every panel.
        panels: ``title -> {label: (T,) values}``; NaN values leave gaps (a number not measured then).
            A curve may also be a pair ``(steps, values)`` of its own (a number logged less often).
        title: the figure's title, if any.
        log_scale: titles of the panels drawn with a logarithmic y axis (curves of different magnitudes).
    """
    rows = max(1, math.ceil(len(panels) / COLUMNS))
    columns = min(COLUMNS, max(1, len(panels)))
    figure = Figure(figsize=(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * rows), layout="constrained")
    steps = np.asarray(steps)
    for index, (panel_title, curves) in enumerate(panels.items()):
        axes = figure.add_subplot(rows, columns, index + 1)
        for label, values in curves.items():
            x, y = values if isinstance(values, tuple) else (steps, values)
            marker = "." if len(x) <= 30 else None  # a few points: show each
            axes.plot(np.asarray(x), np.asarray(y, dtype=np.float64), linewidth=1.2, label=label,
                      marker=marker)
        axes.set_title(panel_title, fontsize="small")
        if panel_title in log_scale:
            axes.set_yscale("log")
        axes.set_xlabel("step", fontsize="small")
        axes.grid(alpha=0.3)
        if len(curves) > 1:
            axes.legend(fontsize="x-small")
    if title:
        figure.suptitle(title)
    return figure
