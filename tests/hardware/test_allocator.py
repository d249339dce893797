"""glibc's allocator told to keep freed memory: works on glibc, a no-op elsewhere."""

from __future__ import annotations

import platform
import sys

import torch

from landmarks.hardware import allocator


def test_keep_freed_memory_takes_on_glibc():
    on_glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert allocator.keep_freed_memory() is on_glibc
    assert torch.ones(4096, 4096).sum() == 4096 * 4096  # large allocations still work


def test_skipped_without_glibc(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    assert allocator.keep_freed_memory() is False
