"""The appearance/geometry transfer grid (supplement sec. 8): sources down, targets across.

Layout (one cell per image, white between)::

    [blank]     target 1    target 2   ...
    source 1    Psi(s1,t1)  Psi(s1,t2) ...
    source 2    Psi(s2,t1)  ...

Row ``i`` keeps source ``i``'s appearance; column ``j`` keeps target ``j``'s geometry (its landmarks).
Pure drawing: arrays in, a ``uint8`` array out.
"""

from __future__ import annotations

import numpy as np

from landmarks.viz.draw import draw_landmarks, landmark_colours, to_numpy
from landmarks.viz.grids import BACKGROUND, image_grid


def transfer_grid(sources, targets, generated, *, target_landmarks=None, pad: int = 2) -> np.ndarray:
    """Tile sources, targets and the generated images into the transfer grid.

    Args:
        sources: ``(S, H, W, 3)`` uint8 RGB, the appearances (first column).
        targets: ``(T, H, W, 3)`` uint8 RGB, the geometries (first row).
        generated: ``(S, T, H, W, 3)`` uint8 RGB, ``[i, j]`` drawn from source ``i`` and target ``j``.
        target_landmarks: optional ``(T, K, 2)`` pixel ``(x, y)`` drawn on the targets of the first row.
        pad: white pixels between and around the cells.

    Returns:
        ``((S + 1) * (H + pad) + pad, (T + 1) * (W + pad) + pad, 3)`` uint8.
    """
    sources, targets, generated = to_numpy(sources), to_numpy(targets), to_numpy(generated)
    if sources.ndim != 4 or targets.ndim != 4 or sources.shape[1:] != targets.shape[1:]:
        raise ValueError(f"sources and targets must be (N, H, W, 3) of one size, got {sources.shape} "
                         f"and {targets.shape}")
    expected = (len(sources), len(targets), *sources.shape[1:])
    if generated.shape != expected:
        raise ValueError(f"generated must be (S, T, H, W, 3) = {expected}, got {generated.shape}")
    top = list(targets)
    if target_landmarks is not None:
        points = to_numpy(target_landmarks)
        colours = landmark_colours(points.shape[1])
        top = [draw_landmarks(image, points[j], colours=colours) for j, image in enumerate(targets)]
    blank = np.full_like(targets[0], BACKGROUND)
    rows = [[blank, *top]]
    rows += [[source, *generated[i]] for i, source in enumerate(sources)]
    return image_grid(rows, pad=pad)
