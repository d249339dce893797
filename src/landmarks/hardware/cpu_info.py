"""The CPU's model name and instruction-set flags, as Linux reports them in ``/proc/cpuinfo``."""

from __future__ import annotations

import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def _cpuinfo_text() -> str:
    try:
        return CPUINFO.read_text()
    except OSError:  # not Linux, or no procfs
        return ""


def _field(text: str, name: str) -> str | None:
    """The value of the first ``name : value`` line of ``/proc/cpuinfo`` text."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip()
    return None


def cpu_flags(text: str | None = None) -> frozenset[str]:
    """The first CPU's flags (``avx512_bf16``, ``amx_bf16``, ...); empty where they cannot be read.

    ``text``: the contents of ``/proc/cpuinfo`` (read from the file if None).
    """
    flags = _field(_cpuinfo_text() if text is None else text, "flags")
    return frozenset(flags.split()) if flags else frozenset()


def cpu_model(text: str | None = None) -> str:
    """The CPU's model name (``AMD EPYC``, ``Intel(R) Xeon(R) Platinum 8480+``)."""
    name = _field(_cpuinfo_text() if text is None else text, "model name")
    return name or platform.processor() or platform.machine()
