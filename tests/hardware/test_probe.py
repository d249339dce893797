"""The measured probe: sane numbers, and its per-machine cache."""

from __future__ import annotations

import json

import torch

from landmarks.hardware import probe
from landmarks.hardware.probe import ProbeResult, cache_key, cache_path, cached_probe, conv_stack


def test_conv_stack_halves_to_the_map_side():
    out = conv_stack(64)(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 128, 16, 16)


def test_probe_returns_sane_numbers():
    threads = torch.get_num_threads()
    result = probe.probe_bfloat16(32, repeats=1)
    assert torch.get_num_threads() == threads  # restored after the one-thread probe
    assert 0 < result.float32_s < 5 and 0 < result.bfloat16_s < 5
    assert result.speedup == result.float32_s / result.bfloat16_s


def test_cache_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_path() == tmp_path / "landmarks" / "precision-probe.json"


def test_probe_is_measured_once_then_cached(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(probe, "probe_bfloat16", lambda size: calls.append(size) or ProbeResult(0.2, 0.1))
    path = tmp_path / "probe.json"
    assert cached_probe(64, path) == (ProbeResult(0.2, 0.1), False)
    assert cached_probe(64, path) == (ProbeResult(0.2, 0.1), True)
    assert cached_probe(128, path)[1] is False  # another size is another entry
    assert calls == [64, 128]
    assert set(json.loads(path.read_text())) == {cache_key(64), cache_key(128)}


def test_a_broken_cache_is_ignored_and_replaced(monkeypatch, tmp_path):
    monkeypatch.setattr(probe, "probe_bfloat16", lambda size: ProbeResult(0.2, 0.1))
    path = tmp_path / "probe.json"
    for broken in ("{not json", "[1, 2]", json.dumps({cache_key(64): {"float32_s": "x"}}),
                   json.dumps({cache_key(64): {"float32_s": 0.0, "bfloat16_s": 0.1}})):
        path.write_text(broken)
        assert cached_probe(64, path) == (ProbeResult(0.2, 0.1), False)
    assert cached_probe(64, path)[1] is True


def test_an_unwritable_cache_still_gives_a_result(monkeypatch, tmp_path):
    monkeypatch.setattr(probe, "probe_bfloat16", lambda size: ProbeResult(0.2, 0.1))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cached_probe(64, blocker / "sub" / "probe.json") == (ProbeResult(0.2, 0.1), False)
