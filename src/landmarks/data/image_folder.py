"""A folder of the user's own images as a training source, robust to unreadable files.

Files whose header cannot be read are found when the dataset is built (in parallel, and only for
files new since the last run: :mod:`landmarks.data.header_scan`) and skipped with one warning
(or rejected with ``strict=True``). A file that passes that check but fails to decode later (a
truncated JPEG, say) does not stop a long run: it is reported and the next usable image is returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from torch.utils.data import Dataset

from landmarks.data.header_scan import unreadable_images
from landmarks.data.images import list_images, load_image
from landmarks.data.preprocess import ResizeSpec, fit_to_model
from landmarks.errors import DataError

MAX_NAMED_FILES = 10  # unreadable files named in a warning or error; the rest are counted


def _describe(paths: Sequence[Path]) -> str:
    names = ", ".join(path.name for path in paths[:MAX_NAMED_FILES])
    more = f" and {len(paths) - MAX_NAMED_FILES} more" if len(paths) > MAX_NAMED_FILES else ""
    return f"{len(paths)} unreadable image file(s): {names}{more}"


class ImageFolder(Dataset):
    """All images under ``root`` (recursively, sorted by path), resized for the network.

    Item ``i``: ``image`` ``(3, S, S)`` float32 RGB in ``[0, 1]`` (``S = spec.size``) and ``index``,
    the position of the file actually returned in :attr:`paths` (``i`` unless that file failed to
    decode and a later one was used).

    Args:
        root: the folder; named in every error.
        spec: how each image becomes ``S x S`` (see :class:`~landmarks.data.preprocess.ResizeSpec`).
        strict: raise :class:`~landmarks.errors.DataError` on unreadable files instead of skipping them.
        paths: use these files instead of every image under ``root`` (a split of the folder).
    """

    def __init__(
        self, root: str | Path, spec: ResizeSpec, strict: bool = False, *, paths: Sequence[Path] | None = None
    ):
        self.root = Path(root)
        self.spec = spec
        candidates = list(list_images(self.root) if paths is None else paths)
        unreadable = unreadable_images(self.root, candidates)  # in parallel, cached between runs
        if unreadable and strict:
            raise DataError(self.root, _describe(unreadable))
        bad = set(unreadable)
        self.paths = [path for path in candidates if path not in bad]
        if not self.paths:  # one line: the error says which files were unreadable
            found = f": {_describe(unreadable)}" if unreadable else ""
            raise DataError(self.root, f"no usable images among {len(candidates)} file(s){found}")
        if unreadable:
            warnings.warn(f"{self.root}: skipping {_describe(unreadable)}", stacklevel=2)
        self.decode_failures = 0  # files that passed the header check but failed to decode (this process)
        self._failed: set[int] = set()

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self.paths):
            raise IndexError(f"index {index} out of range for {len(self.paths)} images in {self.root}")
        for offset in range(len(self.paths)):
            candidate = (index + offset) % len(self.paths)
            if candidate in self._failed:
                continue
            try:
                image = load_image(self.paths[candidate])
            except DataError as error:
                self._record_failure(candidate, error)
                continue
            tensor, _ = fit_to_model(image, self.spec)  # (3, S, S)
            return {"image": tensor, "index": candidate}
        raise DataError(self.root, f"none of the {len(self.paths)} image files could be decoded")

    def _record_failure(self, index: int, error: DataError) -> None:
        self._failed.add(index)
        self.decode_failures += 1
        warnings.warn(
            f"{error} -- using the next image instead ({self.decode_failures} undecodable so far)",
            stacklevel=3,
        )
