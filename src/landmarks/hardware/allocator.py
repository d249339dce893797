"""glibc's malloc told to keep freed memory, so that training steps stop page-faulting.

Why: glibc serves every allocation above its mmap threshold (at most 32 MiB on 64-bit, raised
dynamically up to there) with a fresh ``mmap`` and gives it back with ``munmap`` on free; and it trims
the top of the heap back to the system once more than ``M_TRIM_THRESHOLD`` is free there. A training
step allocates and frees the same large activations every step, so each step maps fresh pages and
faults on every 4 KiB of them the first time they are written: time spent in the kernel, not in the
convolutions. With mmap off (``M_MMAP_MAX = 0``) and trimming off, freed blocks stay in the heap and the
next step reuses pages that are already mapped (benchmarks/results/train_speed-cpu.md measures it).

The cost: the process keeps its peak heap until it exits (what jemalloc and tcmalloc, which PyTorch
recommends for CPU training, do as well). Only on Linux with glibc; elsewhere nothing happens.
"""

from __future__ import annotations

import ctypes
import platform
import sys

# Parameter numbers of mallopt(3), from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# A trim threshold no heap reaches: free memory at the top of the heap is never given back (the
# largest value the int parameter takes).
NEVER_TRIM = 2**31 - 1


def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc on Linux, else None."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def keep_freed_memory() -> bool:
    """Stop glibc from mapping large blocks afresh and from trimming the heap (see the module's
    docstring); call before the first large allocation. True if both settings took, False where
    this is not glibc (then nothing changes)."""
    libc = _glibc()
    if libc is None:
        return False
    # mallopt returns 1 on success, 0 on error.
    return bool(libc.mallopt(M_MMAP_MAX, 0)) & bool(libc.mallopt(M_TRIM_THRESHOLD, NEVER_TRIM))
