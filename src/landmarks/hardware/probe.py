"""A short measured probe: do this model's convolutions run faster under bfloat16 autocast here?

A CPU flag says that bfloat16 instructions exist, not that oneDNN's kernels for these layer sizes are
faster than its float32 ones on this machine (threads, caches, a hypervisor). The probe times a few
forward + backward passes of a conv stack shaped like the detector's trunk, float32 and bfloat16
interleaved, and keeps each one's fastest pass (the least disturbed by other work on the machine).
It runs on one thread: the ratio is a property of the kernels, and one thread measures it steadily on
a busy machine, where two threads waiting for each other at every layer made passes 100x slower.
Its result is cached per machine: ``$XDG_CACHE_HOME/landmarks/precision-probe.json``
(``~/.cache/landmarks/`` without it), keyed by CPU model, torch version and image size.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from landmarks.hardware.cpu_info import cpu_model

PROBE_WIDTH = 32  # channels of the first block: model.base_width of the shipped configs
PROBE_MAP_SIDE = 16  # the stack halves the image down to this side: model.heatmap_size of the configs
PROBE_PIXELS = 8 * 64 * 64  # pixels per pass: batch 8 at 64 px, batch 2 at 128 px (about 0.1 s each)
PROBE_REPEATS = 3  # timed passes per dtype, after one untimed pass each (oneDNN builds its kernels)
CACHE_FILE = "precision-probe.json"


@dataclass(frozen=True)
class ProbeResult:
    """Seconds of the fastest forward + backward pass of the probe stack in each precision."""

    float32_s: float
    bfloat16_s: float

    @property
    def speedup(self) -> float:
        """How many times faster bfloat16 autocast ran than float32 (above 1: faster)."""
        return self.float32_s / self.bfloat16_s


def conv_stack(image_size: int, width: int = PROBE_WIDTH) -> nn.Sequential:
    """Conv-BN-ReLU pairs halving ``(B, 3, S, S)`` down to ``(B, C, 16, 16)``, channels doubling as in
    the detector's trunk (:class:`~landmarks.models.encoder.ConvTrunk`)."""
    layers: list[nn.Module] = []
    channels, side = 3, image_size
    while side >= PROBE_MAP_SIDE:
        stride = 2 if side > PROBE_MAP_SIDE else 1
        for conv in (nn.Conv2d(channels, width, 3, padding=1), nn.Conv2d(width, width, 3, stride, 1)):
            layers += [conv, nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        width, side = min(2 * width, 8 * PROBE_WIDTH), side // 2
    return nn.Sequential(*layers)


def _pass_seconds(network: nn.Module, images: torch.Tensor, dtype: torch.dtype | None) -> float:
    """One forward + backward pass, in seconds (``dtype`` None: float32, no autocast)."""
    start = time.perf_counter()
    with torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None):
        out = network(images)  # (B, C, 16, 16)
    out.float().square().mean().backward()
    if images.device.type == "cuda":
        torch.cuda.synchronize(images.device)
    return time.perf_counter() - start


def probe_bfloat16(image_size: int, device: str | torch.device = "cpu",
                   repeats: int = PROBE_REPEATS) -> ProbeResult:
    """Time the probe stack at ``image_size`` in float32 and under bfloat16 autocast, interleaved.

    One thread, channels-last memory format (as oneDNN's bfloat16 convolutions want it). About 1 s
    on a Zen 4 core; on a CPU without native bfloat16 the bfloat16 passes take ten times longer.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # steady on a busy machine (module docstring)
    try:
        return _interleaved_passes(image_size, torch.device(device), repeats)
    finally:
        torch.set_num_threads(threads)


def _interleaved_passes(image_size: int, device: torch.device, repeats: int) -> ProbeResult:
    generator = torch.Generator().manual_seed(0)
    network = conv_stack(image_size).to(device, memory_format=torch.channels_last)
    batch = max(1, PROBE_PIXELS // image_size**2)
    images = torch.rand(batch, 3, image_size, image_size, generator=generator).to(device)
    images = images.contiguous(memory_format=torch.channels_last)
    times: dict[torch.dtype | None, list[float]] = {None: [], torch.bfloat16: []}
    for _ in range(repeats + 1):
        for dtype, seconds in times.items():
            seconds.append(_pass_seconds(network, images, dtype))
    # The first pass of each builds oneDNN's kernels: not timed.
    return ProbeResult(min(times[None][1:]), min(times[torch.bfloat16][1:]))


def cache_path() -> Path:
    """``$XDG_CACHE_HOME/landmarks/precision-probe.json``, or under ``~/.cache`` without it."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "landmarks" / CACHE_FILE


def cache_key(image_size: int) -> str:
    """What a probe result depends on: the CPU, torch's kernels, the image size."""
    return f"{cpu_model()} | torch {torch.__version__} | {image_size} px"


def _read_cache(path: Path) -> dict:
    """The cache's entries; an unreadable or malformed file counts as empty."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _as_result(entry) -> ProbeResult | None:
    try:
        result = ProbeResult(float(entry["float32_s"]), float(entry["bfloat16_s"]))
    except (TypeError, KeyError, ValueError):
        return None
    return result if result.float32_s > 0 and result.bfloat16_s > 0 else None


def cached_probe(image_size: int, path: Path | None = None) -> tuple[ProbeResult, bool]:
    """This machine's probe at ``image_size``: ``(result, True)`` from the cache, or measured now,
    stored, and ``(result, False)``. A cache that cannot be written is left as it is."""
    path = path or cache_path()
    entries = _read_cache(path)
    key = cache_key(image_size)
    cached = _as_result(entries.get(key))
    if cached is not None:
        return cached, True
    result = probe_bfloat16(image_size)
    entries[key] = asdict(result)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(entries, indent=1) + "\n")
        scratch.replace(path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass
    return result, False
