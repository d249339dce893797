"""Pairs of two views of one group of in-memory images (smallNORB), like
:class:`~landmarks.data.multi_view.MultiViewPairs` does for image files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np
import torch
from torch.utils.data import Dataset

from landmarks.data.pair_items import item_generator, locate, pair_item, view_pair
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker


@dataclass(frozen=True)
class ArrayViewGroup:
    """Images of one object under one lighting from different viewpoints.

    Attributes:
        name: a readable id (``car/instance4/lighting2``).
        indices: ``(V,)`` positions of the group's images in the image array.
        viewpoints: ``(V, 2)`` (elevation index, azimuth in degrees) of each image.
    """

    name: str
    indices: np.ndarray = field(compare=False)
    viewpoints: np.ndarray = field(compare=False)


class ArrayViewPairs(Dataset):
    """Item ``i`` is the ``i``-th image of all groups laid end to end with a random other view of its
    group, in random order: ``source``, ``target`` ``(3, S, S)`` float32 in ``[0, 1]`` (``mask``
    ``(1, S, S)`` when ``warp`` is given), ``group`` and ``images`` ``(2,)`` (positions in the group).

    Args:
        images: ``(N, H, W)`` grayscale or ``(N, H, W, 3)`` RGB ``uint8``.
        groups: groups of two or more positions in ``images``.
        spec: how each image becomes ``S x S``.
        warp: TPS-warp each pair as a still image is warped (``pairs.warp_video_pairs``).
        seed: None for fresh pairs every epoch (training); an integer for fixed pairs (validation).
    """

    def __init__(
        self,
        images: np.ndarray,
        groups: Sequence[ArrayViewGroup],
        spec: ResizeSpec,
        *,
        warp: TpsPairMaker | None = None,
        seed: int | None = None,
    ):
        if not groups or any(len(g.indices) < 2 for g in groups):
            raise ValueError("ArrayViewPairs needs one or more groups, each of two or more images")
        self.images, self.groups = images, tuple(groups)
        self.spec, self.warp, self.seed = spec, warp, seed
        self._ends = list(accumulate(len(g.indices) for g in self.groups))

    def __len__(self) -> int:
        return self._ends[-1]

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} images")
        generator = item_generator(self.seed, index)
        number, anchor = locate(self._ends, index)
        group = self.groups[number]
        pair = view_pair(generator, anchor, len(group.indices))
        source, target = (self._rgb(int(group.indices[i])) for i in pair)
        item = pair_item(source, target, self.spec, self.warp, generator)
        return {**item, "group": number, "images": torch.tensor(pair)}

    def _rgb(self, position: int) -> np.ndarray:
        image = np.asarray(self.images[position])
        return np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image  # (H, W, 3)
