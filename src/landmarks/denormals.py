"""Denormal floats flushed to zero on the CPU, in every thread torch computes with.

Float32 values below about 1.2e-38 ("denormals") make x86 arithmetic many times slower, and training
makes them: the Gaussian maps ``exp(-d^2 / sigma^2)`` (eq. 2) pass through that range at every step,
and weights and Adam moments that receive little gradient decay into it. On the demo (2-core Xeon) a
step took 56 ms with denormals and 43 ms with them flushed; after 16000 steps denormals had slowed it
to 363 ms (benchmarks/results/landmark_accuracy-cpu.md). Flushing changes only values that small.

``torch.set_flush_denormal`` sets the mode of the calling thread. The threads of torch's intra-op pool
take the mode of the thread that creates them, when they are created: call :func:`flush_denormals`
before torch's first parallel operation (the command line does, before any command runs). Called
later, it still covers the calling thread, but not pool threads that already exist.
"""

from __future__ import annotations


def flush_denormals() -> bool:
    """Flush denormal floats to zero from now on; False where the CPU cannot (then nothing changes)."""
    import torch

    return bool(torch.set_flush_denormal(True))
