"""``trainer.precision: auto``: bfloat16 autocast where the device computes it natively and fast.

The choice, made once at start-up of ``landmarks fit`` and ``landmarks detect``:

* CUDA with compute capability 8.0 or more (Ampere and later: bfloat16 tensor cores): ``bf16-mixed``.
* A CPU with ``amx_bf16`` or ``avx512_bf16`` in its flags, where the measured probe
  (:mod:`landmarks.hardware.probe`) ran bfloat16 at least ``MIN_PROBE_SPEEDUP`` times faster than
  float32: ``bf16-mixed``.
* Anything else: ``32-true``. A CPU without those flags emulates bfloat16 (oneDNN's reference kernels,
  10-70x slower than float32 on AVX2: benchmarks/results/train_speed-cpu.md), so it is not probed.

``bf16-mixed`` is autocast: weights, optimiser state, batch-norm statistics, the soft-argmax, the
Gaussian maps and the loss stay float32; only convolutions and matrix products run in bfloat16.
An explicit ``trainer.precision`` (``32-true``, ``bf16-mixed``, ``16-mixed``) is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from landmarks.hardware.cpu_info import cpu_flags
from landmarks.hardware.probe import ProbeResult, cached_probe

AUTO = "auto"
BFLOAT16 = "bf16-mixed"  # Lightning's name for bfloat16 autocast
FLOAT32 = "32-true"
# Flags of CPUs with bfloat16 arithmetic (Linux /proc/cpuinfo): Intel Sapphire Rapids and later
# (AMX tiles), Intel Cooper Lake and AMD Zen 4 and later (AVX512-BF16 dot products).
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
MIN_CUDA_CAPABILITY = (8, 0)  # Ampere (A100, RTX 30xx): the first GPUs with bfloat16 tensor cores
# bfloat16 must beat float32 by this much in the probe: a margin over the probe's noise, and over the
# casts autocast adds outside the convolutions.
MIN_PROBE_SPEEDUP = 1.15


@dataclass(frozen=True)
class Hardware:
    """What the decision reads about the device.

    device: torch's device type (``"cpu"``, ``"cuda"``, ``"mps"``); cpu_flags: the CPU's flags
    (read for ``"cpu"`` only); cuda_capability: ``(major, minor)`` of the GPU, for ``"cuda"``.
    """

    device: str
    cpu_flags: frozenset[str] = frozenset()
    cuda_capability: tuple[int, int] | None = None


@dataclass(frozen=True)
class PrecisionChoice:
    """A Lightning precision name (``"bf16-mixed"``, ``"32-true"``, ...) and why it was chosen."""

    precision: str
    reason: str

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The dtype to autocast to at inference (None: float32 throughout)."""
        return {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(self.precision)

    def line(self) -> str:
        """The one line printed at start-up: ``precision: bf16-mixed (CPU has avx512_bf16; ...)``."""
        return f"precision: {self.precision} ({self.reason})"


def needs_probe(hardware: Hardware) -> bool:
    """Whether the decision needs a measured probe: a CPU whose flags promise native bfloat16."""
    return hardware.device == "cpu" and any(flag in hardware.cpu_flags for flag in BF16_CPU_FLAGS)


def decide_precision(hardware: Hardware, probe: ProbeResult | None = None) -> PrecisionChoice:
    """The precision ``auto`` stands for on ``hardware``; ``probe`` is needed where :func:`needs_probe`
    (without it such a CPU keeps float32). Pure: no device is touched."""
    if hardware.device == "cuda":
        capability = hardware.cuda_capability
        if capability is not None and capability >= MIN_CUDA_CAPABILITY:
            return PrecisionChoice(BFLOAT16, f"GPU compute capability {capability[0]}.{capability[1]}")
        shown = "unknown" if capability is None else f"{capability[0]}.{capability[1]}"
        return PrecisionChoice(FLOAT32, f"GPU compute capability {shown} < 8.0: no bfloat16 tensor cores")
    if hardware.device != "cpu":
        return PrecisionChoice(FLOAT32, f"no bfloat16 rule for device {hardware.device!r}")
    flags = [flag for flag in BF16_CPU_FLAGS if flag in hardware.cpu_flags]
    if not flags:
        return PrecisionChoice(FLOAT32, f"CPU has none of {', '.join(BF16_CPU_FLAGS)}: bfloat16 is emulated")
    if probe is None:
        return PrecisionChoice(FLOAT32, f"CPU has {flags[0]}, but no probe was run")
    measured = f"probe: bf16 {probe.speedup:.2f}x the speed of float32"
    if probe.speedup >= MIN_PROBE_SPEEDUP:
        return PrecisionChoice(BFLOAT16, f"CPU has {flags[0]}; {measured}")
    return PrecisionChoice(FLOAT32, f"CPU has {flags[0]}, but {measured} (< {MIN_PROBE_SPEEDUP}x)")


def current_hardware(device: str | torch.device) -> Hardware:
    """The :class:`Hardware` of ``device`` (``"cpu"``, ``"cuda:1"``, ``"mps"``) on this machine."""
    kind = str(device).split(":")[0]
    if kind == "cuda":  # without CUDA: no capability, float32, and Lightning's own error after
        capability = torch.cuda.get_device_capability(device) if torch.cuda.is_available() else None
        return Hardware("cuda", cuda_capability=capability)
    if kind == "cpu":
        return Hardware("cpu", cpu_flags=cpu_flags())
    return Hardware(kind)


def training_device(accelerator: str) -> str:
    """The device type Lightning's ``trainer.accelerator`` (``"auto"``, ``"cpu"``, ``"gpu"``) trains on."""
    if accelerator == AUTO:
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    return "cuda" if accelerator == "gpu" else accelerator


def choose_precision(requested: str, device: str | torch.device, image_size: int) -> PrecisionChoice:
    """``requested`` itself unless it is ``"auto"``; then :func:`decide_precision` on this machine,
    running the probe at ``image_size`` (or reading its cached result) where it is needed."""
    if requested != AUTO:
        return PrecisionChoice(requested, "set in the config")
    hardware = current_hardware(device)
    if not needs_probe(hardware):
        return decide_precision(hardware)
    probe, from_cache = cached_probe(image_size)
    choice = decide_precision(hardware, probe)
    return PrecisionChoice(choice.precision, choice.reason + (", cached" if from_cache else ""))
