"""The on-disk form of streaming shards: WebDataset tar files plus one ``shards.json`` manifest.

A shard folder (written by ``landmarks shard``, read by ``fit --data shards``)::

    OUT/shards.json            the manifest: what the shards hold and how to make pairs from them
    OUT/train-000000.tar ...   training samples, ``units_per_shard`` source units each
    OUT/validation.tar         the fixed validation items (absent when none are held out)

Each tar is a plain WebDataset shard: the files of one sample share a key (the part of the name
before the first dot), so ``webdataset.WebDataset("OUT/train-{000000..000009}.tar")`` reads them too.
Images are stored at the training size ``S`` (``model.image_size x pairs.supersample``), already
resized and cropped as the source's ``data.resize`` says, as 8-bit RGB JPEG (or PNG). Samples:

- ``kind: images`` (image folders, still-image datasets, synthetic faces): ``KEY.jpg`` and
  ``KEY.json`` ``{"unit": i}``; one training item each, TPS-paired on the device as usual.
- ``kind: clips`` (videos, frame folders, view groups): ``KEY.f0000.jpg ... KEY.fNNNN.jpg`` and
  ``KEY.json`` ``{"unit", "group", "frames"}``: consecutive frames of one video (``frames`` are
  their numbers in the video) or the views of one group. A clip of T images gives T training
  pairs per epoch, each drawn as the source draws them (``pairing: frames`` with ``gap``,
  :func:`~landmarks.data.video_pairs.sample_frame_pair`; ``pairing: views``, two different views).
- ``kind: pairs`` (any other pair source, e.g. synthetic bodies): ``KEY.source.jpg``,
  ``KEY.target.jpg``: one fixed pair per sample, drawn once when the shards were written.
- the validation shard holds items of the training kind's form: ``KEY.jpg`` (images) or
  ``KEY.source.jpg`` / ``KEY.target.jpg`` (pairs).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from landmarks.errors import ConfigError, DataError

MANIFEST = "shards.json"
FORMAT = "landmarks-webdataset"
VERSION = 1
VALIDATION_SHARD = "validation.tar"
JPEG_QUALITY = 95  # near-lossless for training images; 4-6x smaller than PNG for photos


def require_webdataset() -> None:
    """Raise :class:`ConfigError` with the install line where the ``webdataset`` package is missing."""
    try:
        import webdataset  # noqa: F401
    except ImportError:
        raise ConfigError("shards need the webdataset package: pip install 'landmarks[shards]'") from None


def field_name(base: str, image_format: str) -> str:
    """A sample's file extension for an image: ``jpg`` for ``""``, ``source.jpg`` for ``source``."""
    return f"{base}.{image_format}" if base else image_format


def frame_field(position: int) -> str:
    """The base name of a clip's ``position``-th image: ``f0000``."""
    return f"f{position:04d}"


def shard_name(number: int) -> str:
    return f"train-{number:06d}.tar"


@dataclass(frozen=True)
class ShardEntry:
    """One written training shard: its file name, samples, training items per epoch and size in bytes."""

    name: str
    samples: int
    items: int
    bytes: int


@dataclass(frozen=True)
class ShardManifest:
    """What ``shards.json`` holds (see the module docstring).

    Attributes:
        kind: ``"images"``, ``"clips"`` or ``"pairs"``.
        pairing: for clips, ``"frames"`` (pairs ``gap`` frames apart) or ``"views"`` (two views); else None.
        gap: ``(min, max)`` stored frames between a pair's two frames (clips of frames): the source's
            gap divided by ``frame_step``.
        image_size: ``S``, the side of every stored image.
        image_format: ``"jpg"`` or ``"png"``.
        source: the data config the shards were written from (``data.*`` fields, as in a config file).
        units: source units (images, clips, groups, pairs) planned; ``units_per_shard`` per shard.
        clip_frames: the shortest clip cut from a longer video (clips are ``clip_frames`` to
            ``2 x clip_frames - 1`` stored frames).
        frame_step: every how many frames of a video one was stored.
        shards: the training shards written so far, in shard order.
        validation: the validation shard's item count, or None without one.
        complete: whether every planned shard is written.
    """

    kind: str
    pairing: str | None
    gap: tuple[int, int]
    image_size: int
    image_format: str
    source: dict
    units: int
    units_per_shard: int
    clip_frames: int
    frame_step: int = 1
    shards: tuple[ShardEntry, ...] = ()
    validation: int | None = None
    complete: bool = False
    format: str = field(default=FORMAT)
    version: int = field(default=VERSION)

    @property
    def planned_shards(self) -> int:
        return -(-self.units // self.units_per_shard)

    @property
    def items(self) -> int:
        """Training items of one epoch (pairs for clips, images for images)."""
        return sum(entry.items for entry in self.shards)

    def plan(self) -> dict:
        """The fields that fix which samples each shard holds: a rerun may resume only the same plan."""
        return {key: value for key, value in self.to_json().items()
                if key not in ("shards", "validation", "complete")}

    def to_json(self) -> dict:
        data = asdict(self)
        data["gap"] = list(self.gap)
        return data

    @classmethod
    def from_json(cls, data: dict) -> ShardManifest:
        shards = tuple(ShardEntry(**entry) for entry in data.pop("shards", ()))
        return cls(**{**data, "gap": tuple(data["gap"]), "shards": shards})


def write_manifest(folder: Path, manifest: ShardManifest) -> None:
    """Write ``folder/shards.json`` atomically (a kill leaves the old one or the new one, whole)."""
    path = folder / MANIFEST
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(manifest.to_json(), indent=1) + "\n")
    os.replace(temporary, path)


def read_manifest(folder: str | Path) -> ShardManifest:
    """The manifest of a shard folder.

    Raises:
        DataError: no folder, no ``shards.json``, or one that is not this format's.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise DataError(folder, "shard folder does not exist" if not folder.exists() else "expected a folder")
    if not path.is_file():
        raise DataError(folder, f"no {MANIFEST} here: not a folder written by `landmarks shard`")
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"format {data.get('format')!r} version {data.get('version')!r}, "
                             f"expected {FORMAT!r} version {VERSION}")
        return ShardManifest.from_json(data)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise DataError(path, f"not a readable shard manifest ({error})") from None


def check_shards(folder: Path, manifest: ShardManifest) -> list[Path]:
    """The training shards' paths, after checking that each exists with the size the manifest says.

    Raises:
        DataError: the writing did not finish, or a shard is missing, truncated or changed.
    """
    if not manifest.complete:
        raise DataError(folder, f"the shards are unfinished ({len(manifest.shards)} of "
                                f"{manifest.planned_shards} written): run `landmarks shard` again to finish")
    paths = []
    for entry in manifest.shards:
        path = folder / entry.name
        if not path.is_file():
            raise DataError(path, f"shard missing ({MANIFEST} lists it)")
        size = path.stat().st_size
        if size != entry.bytes:
            raise DataError(path, f"shard truncated or changed: {size} bytes, {MANIFEST} says {entry.bytes}")
        paths.append(path)
    return paths


def encode_image(image: torch.Tensor, image_format: str) -> bytes:
    """``(3, S, S)`` float in ``[0, 1]`` (or ``uint8``) -> JPEG or PNG bytes of the 8-bit RGB image."""
    if image.is_floating_point():
        image = (image.clamp(0, 1) * 255).round().to(torch.uint8)
    array = image.permute(1, 2, 0).contiguous().numpy()  # (S, S, 3)
    buffer = io.BytesIO()
    if image_format == "jpg":
        Image.fromarray(array).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    else:
        Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(data: bytes, size: int, where: str) -> torch.Tensor:
    """JPEG or PNG bytes -> ``(3, S, S)`` ``uint8``.

    Raises:
        DataError: the bytes are no image, or not ``S x S`` RGB (``where`` names the shard and sample).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            array = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise DataError(where, f"unreadable image in shard ({error})") from None
    if array.shape != (size, size, 3):
        raise DataError(where, f"image of shape {array.shape} in shard, expected ({size}, {size}, 3)")
    return torch.from_numpy(array.copy()).permute(2, 0, 1)  # (3, S, S)
