"""``trainer.precision: auto``: the pure decision, and choose_precision on this machine."""

from __future__ import annotations

import pytest
import torch

from landmarks.hardware import precision
from landmarks.hardware.precision import (
    BFLOAT16,
    FLOAT32,
    Hardware,
    choose_precision,
    current_hardware,
    decide_precision,
    needs_probe,
)
from landmarks.hardware.probe import ProbeResult

FAST = ProbeResult(float32_s=0.2, bfloat16_s=0.1)  # bfloat16 twice as fast
SLOW = ProbeResult(float32_s=0.1, bfloat16_s=0.5)  # bfloat16 five times slower


def cpu(*flags: str) -> Hardware:
    return Hardware("cpu", cpu_flags=frozenset(("avx2", "fma", *flags)))


@pytest.mark.parametrize("flag", ["avx512_bf16", "amx_bf16"])
def test_native_bf16_cpu_with_a_fast_probe_gets_bf16(flag):
    choice = decide_precision(cpu("avx512f", flag), FAST)
    assert choice.precision == BFLOAT16
    assert flag in choice.reason and "2.00x" in choice.reason
    assert choice.line().startswith("precision: bf16-mixed (CPU has")


def test_native_bf16_cpu_where_the_probe_is_slow_keeps_float32():
    choice = decide_precision(cpu("avx512_bf16"), SLOW)
    assert choice.precision == FLOAT32 and "0.20x" in choice.reason


def test_cpu_without_bf16_flags_keeps_float32_without_a_probe():
    hardware = cpu("avx512f")
    assert not needs_probe(hardware)
    assert decide_precision(hardware, None).precision == FLOAT32
    assert decide_precision(hardware, FAST).precision == FLOAT32  # the flags decide first


def test_native_cpu_needs_the_probe():
    assert needs_probe(cpu("amx_bf16"))
    assert decide_precision(cpu("amx_bf16"), None).precision == FLOAT32


@pytest.mark.parametrize(("capability", "expected"), [((8, 0), BFLOAT16), ((9, 0), BFLOAT16),
                                                      ((7, 5), FLOAT32), (None, FLOAT32)])
def test_cuda_by_compute_capability(capability, expected):
    hardware = Hardware("cuda", cuda_capability=capability)
    assert not needs_probe(hardware)
    assert decide_precision(hardware).precision == expected


def test_other_devices_keep_float32():
    assert decide_precision(Hardware("mps")).precision == FLOAT32


@pytest.mark.parametrize("requested", ["32-true", "bf16-mixed", "16-mixed"])
def test_an_explicit_precision_wins(requested, monkeypatch):
    monkeypatch.setattr(precision, "cached_probe", lambda size: pytest.fail("no probe for explicit"))
    assert choose_precision(requested, "cpu", 64).precision == requested


def test_auto_on_this_machine_follows_the_decision(monkeypatch):
    monkeypatch.setattr(precision, "cached_probe", lambda size: (FAST, True))
    hardware = current_hardware("cpu")
    choice = choose_precision("auto", "cpu", 64)
    assert choice.precision == decide_precision(hardware, FAST).precision
    assert choice.precision in (BFLOAT16, FLOAT32)


def test_cuda_asked_for_without_cuda_keeps_float32(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_precision("auto", "cuda", 64).precision == FLOAT32


def test_autocast_dtype():
    assert decide_precision(cpu("amx_bf16"), FAST).autocast_dtype == torch.bfloat16
    assert decide_precision(cpu(), None).autocast_dtype is None


@pytest.mark.gpu
def test_cuda_choice_on_this_gpu():
    major, minor = torch.cuda.get_device_capability()
    choice = choose_precision("auto", "cuda", 128)
    assert choice.precision == (BFLOAT16 if major >= 8 else FLOAT32)
    assert f"{major}.{minor}" in choice.reason
