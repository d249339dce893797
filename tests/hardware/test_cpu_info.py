"""Reading the CPU's model name and flags from /proc/cpuinfo text."""

from __future__ import annotations

from landmarks.hardware.cpu_info import cpu_flags, cpu_model

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9654 96-Core Processor
flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni

processor\t: 1
model name\t: AMD EPYC 9654 96-Core Processor
flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni
"""


def test_flags_and_model_of_the_first_cpu():
    assert cpu_flags(CPUINFO) == {"fpu", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"}
    assert cpu_model(CPUINFO) == "AMD EPYC 9654 96-Core Processor"


def test_missing_fields():
    assert cpu_flags("processor : 0\n") == frozenset()
    assert cpu_model("processor : 0\n")  # falls back to the platform's name


def test_this_machine():
    assert isinstance(cpu_flags(), frozenset) and cpu_model()
