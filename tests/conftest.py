"""Suite-wide test settings: tests marked ``gpu`` are skipped, with a reason, where CUDA is missing;
the precision probe's cache (``trainer.precision: auto``) lives in a temporary folder, not ``~/.cache``."""

from __future__ import annotations

import os

import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory):
    """``$XDG_CACHE_HOME`` in a temporary folder for the session (landmarks.hardware.probe caches there)."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
