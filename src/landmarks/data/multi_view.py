"""Training pairs from views: two different images of the same instance (smallNORB, REFERENCE sec. 1).

Groups of images of one instance come from either layout:

- a folder with one subfolder per instance, holding its images (at any depth below the subfolder);
- an index CSV with a header and the columns ``image,group`` (image paths relative to the CSV's
  folder; rows sharing a ``group`` value form one group).

Unreadable images (header check) are dropped and groups left with fewer than two images skipped;
both are reported (:mod:`landmarks.data.skipped`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import torch
from torch.utils.data import Dataset

from landmarks.data.header_scan import readable_header
from landmarks.data.images import IMAGE_SUFFIXES, load_image
from landmarks.data.pair_items import choose, item_generator, locate, pair_item, view_pair
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.skipped import Skipped, report_skipped
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.errors import DataError

logger = logging.getLogger("landmarks.data")


@dataclass(frozen=True)
class ViewGroup:
    """Images of one instance: ``name`` (subfolder or CSV group) and the image files, sorted."""

    name: str
    paths: tuple[Path, ...]


def find_view_groups(root: str | Path, *, report: bool = True) -> list[ViewGroup]:
    """The usable groups (two or more readable images) of a folder layout or an index CSV, sorted by name.

    Args:
        root: the folder of per-instance subfolders, or the ``image,group`` CSV.
        report: log the unreadable images and skipped groups (:func:`~landmarks.data.skipped.report_skipped`).

    Raises:
        DataError: ``root`` is missing or malformed, or no group is usable.
    """
    root = Path(root)
    if not root.exists():
        raise DataError(root, "multi-view data does not exist")
    groups = _groups_from_csv(root) if root.is_file() else _groups_from_folders(root)
    images = [path for paths in groups.values() for path in paths]
    unreadable = {path for path in images if not readable_header(path)}
    usable, small = [], []
    for name, paths in sorted(groups.items()):
        kept = tuple(sorted(path for path in paths if path not in unreadable))
        if len(kept) < 2:
            small.append(Skipped(name, f"{len(kept)} readable image(s) of {len(paths)}: a pair needs two"))
        else:
            usable.append(ViewGroup(name, kept))
    if report:
        base = root.parent if root.is_file() else root
        bad = [Skipped(str(path.relative_to(base)), "unreadable image") for path in sorted(unreadable)]
        report_skipped(root, "images", len(images), bad)
        report_skipped(root, "view groups", len(groups), small)
    elif not usable:
        raise DataError(root, f"none of the {len(groups)} view groups has two readable images")
    return usable


def _groups_from_folders(root: Path) -> dict[str, list[Path]]:
    groups = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        groups[folder.name] = [
            p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        ]
    return groups


def _groups_from_csv(path: Path) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"image", "group"} <= set(reader.fieldnames or []):
            raise DataError(
                path, f"a multi-view index CSV needs the columns image,group; got {reader.fieldnames}"
            )
        for line, row in enumerate(reader, start=2):
            if not row["image"] or row["group"] in (None, ""):
                raise DataError(path, f"line {line}: empty image or group")
            groups.setdefault(row["group"], []).append(path.parent / row["image"])
    return groups


class MultiViewPairs(Dataset):
    """Pairs of two different images of one group.

    Item ``i`` is the ``i``-th image of all groups laid end to end, paired with a random other image
    of its group; the order (which is the source) is random. An item holds ``source`` and ``target``
    ``(3, S, S)`` float32 in ``[0, 1]``, ``mask`` ``(1, S, S)`` when ``warp`` is given, ``group``
    (position in :attr:`groups`) and ``images`` ``(2,)`` (source and target positions in the group).
    An image that fails to decode is logged and the pair replaced by one of the next group.

    Args:
        groups: groups of two or more images (:func:`find_view_groups`).
        spec: how each image becomes ``S x S``.
        warp: TPS-warp each pair as a still image is warped (``pairs.warp_video_pairs``).
        seed: None for fresh pairs every epoch (training); an integer for fixed pairs (validation).
    """

    def __init__(
        self,
        groups: Sequence[ViewGroup],
        spec: ResizeSpec,
        *,
        warp: TpsPairMaker | None = None,
        seed: int | None = None,
    ):
        if not groups or any(len(g.paths) < 2 for g in groups):
            raise ValueError("MultiViewPairs needs one or more groups, each of two or more images")
        self.groups = tuple(groups)
        self.spec, self.warp, self.seed = spec, warp, seed
        self._ends = list(accumulate(len(g.paths) for g in self.groups))
        self.read_failures = 0

    def __len__(self) -> int:
        return self._ends[-1]

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} images")
        generator = item_generator(self.seed, index)
        first_group, first_anchor = locate(self._ends, index)
        for attempt in range(len(self.groups)):
            number = (first_group + attempt) % len(self.groups)
            group = self.groups[number]
            anchor = first_anchor if attempt == 0 else choose(generator, len(group.paths))
            pair = view_pair(generator, anchor, len(group.paths))
            try:
                source, target = (load_image(group.paths[i]) for i in pair)
            except DataError as error:
                self.read_failures += 1
                logger.warning(
                    "%s -- using a pair of another group instead (%d unreadable so far)",
                    error,
                    self.read_failures,
                )
                continue
            item = pair_item(source, target, self.spec, self.warp, generator)
            return {**item, "group": number, "images": torch.tensor(pair)}
        raise DataError(None, f"no image pair of {len(self.groups)} view groups could be read")
