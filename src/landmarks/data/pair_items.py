"""What the pair datasets (video frames, views) share: per-item randomness and the item itself.

An item of a pair dataset is ``{"source": (3, S, S), "target": (3, S, S)}`` float32 RGB in ``[0, 1]``,
plus ``"mask"`` ``(1, S, S)`` when the pair was TPS-warped; the training module uses such a batch as
is (``LandmarkLearner.make_pair``).
"""

from __future__ import annotations

import bisect

import numpy as np
import torch

from landmarks.data.preprocess import ResizeSpec, fit_to_model
from landmarks.data.tps_pairs import TpsPairMaker

# Spreads the fixed seeds of neighbouring items apart (any large odd number would do).
_ITEM_SEED_STRIDE = 1_000_003


def item_generator(seed: int | None, index: int) -> torch.Generator:
    """The generator for item ``index``.

    With ``seed`` None (training) it is seeded from torch's default generator, which the DataLoader
    seeds differently in each worker and epoch (and ``seed_everything`` makes reproducible): new
    pairs every epoch. With a ``seed`` (validation) item ``index`` is the same pair every time.
    """
    generator = torch.Generator()
    if seed is None:
        generator.manual_seed(int(torch.randint(0, 2**62, (1,))))
    else:
        generator.manual_seed(seed + _ITEM_SEED_STRIDE * index)
    return generator


def pair_item(
    source: np.ndarray,
    target: np.ndarray,
    spec: ResizeSpec,
    warp: TpsPairMaker | None = None,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Two ``(H, W, 3)`` ``uint8`` images (sizes may differ) -> a training item.

    Each image is brought to the model's input by ``spec``; with ``warp`` the pair is then
    TPS-warped like a still image (:meth:`~landmarks.data.tps_pairs.TpsPairMaker.warp_pair`) and the
    item carries the loss mask.
    """
    source_tensor, _ = fit_to_model(source, spec)  # (3, S, S)
    target_tensor, _ = fit_to_model(target, spec)  # (3, S, S)
    if warp is None:
        return {"source": source_tensor, "target": target_tensor}
    pair = warp.warp_pair(source_tensor[None], target_tensor[None], generator)  # batches of one
    return {"source": pair.source[0], "target": pair.target[0], "mask": pair.mask[0]}


def choose(generator: torch.Generator, count: int) -> int:
    """A uniform integer in ``[0, count)``."""
    return int(torch.randint(0, count, (1,), generator=generator))


def locate(ends: list[int], index: int) -> tuple[int, int]:
    """``(group, position)`` of item ``index`` of groups laid end to end, whose sizes sum up to ``ends``."""
    group = bisect.bisect_right(ends, index)
    return group, index - (ends[group - 1] if group else 0)


def view_pair(generator: torch.Generator, anchor: int, count: int) -> tuple[int, int]:
    """``anchor`` and a different random member of a group of ``count`` (>= 2), in random order."""
    other = (anchor + 1 + choose(generator, count - 1)) % count
    return (anchor, other) if choose(generator, 2) == 0 else (other, anchor)
