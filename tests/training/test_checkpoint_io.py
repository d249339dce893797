"""Checkpoints: atomic writes in their own folder, fallback on resume, and no code run on loading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from landmarks.cli import main
from landmarks.errors import WeightsError
from landmarks.training.checkpoint_io import (
    TEMP_SUFFIX,
    atomic_torch_save,
    load_checkpoint_file,
    remove_partial_checkpoints,
    resumable_checkpoint,
)


class RunsCode:
    """Unpickling this runs ``os.system``: what a crafted checkpoint would do."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f"touch {self.sentinel}",)


def test_atomic_save_leaves_only_the_file(tmp_path, monkeypatch):
    elsewhere = tmp_path / "tmpdir"
    elsewhere.mkdir()
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    path = tmp_path / "run" / "checkpoints" / "last.ckpt"
    atomic_torch_save({"state_dict": {"w": torch.ones(3)}}, path)
    atomic_torch_save({"state_dict": {"w": torch.zeros(3)}}, path)  # over the old one
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]
    assert list(elsewhere.iterdir()) == []
    assert torch.equal(load_checkpoint_file(path)["state_dict"]["w"], torch.zeros(3))


def test_a_failed_save_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "last.ckpt"
    atomic_torch_save({"state_dict": {"w": torch.ones(3)}}, path)

    def dies(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C half-way through writing

    monkeypatch.setattr(torch, "save", dies)
    with pytest.raises(KeyboardInterrupt):
        atomic_torch_save({"state_dict": {"w": torch.zeros(3)}}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]
    assert torch.equal(load_checkpoint_file(path)["state_dict"]["w"], torch.ones(3))


def test_partial_files_of_a_killed_save_are_removed(tmp_path):
    (tmp_path / f".last.ckpt.123-abcd{TEMP_SUFFIX}").write_bytes(b"half")
    (tmp_path / "step-0000004.ckpt").write_bytes(b"kept")
    remove_partial_checkpoints(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["step-0000004.ckpt"]


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short", b"not a checkpoint at all"])
def test_unreadable_last_falls_back_to_the_newest_readable(tmp_path, caplog, content):
    folder = tmp_path / "checkpoints"
    for step in (4, 8):
        atomic_torch_save({"state_dict": {}, "global_step": step}, folder / f"step-{step:07d}.ckpt")
    (folder / "step-0000012.ckpt").write_bytes(b"")  # newer, but cut short too
    (folder / "last.ckpt").write_bytes(content)
    assert resumable_checkpoint(folder / "last.ckpt") == folder / "step-0000008.ckpt"
    warning = " ".join(record.getMessage() for record in caplog.records)
    assert "last.ckpt" in warning and "step-0000008.ckpt" in warning


def test_a_last_checkpoint_behind_a_periodic_one_gives_way(tmp_path, caplog):
    """A kill between the periodic save of step 8 and the save of last.ckpt: resume from step 8."""
    folder = tmp_path / "checkpoints"
    for step in (4, 8):
        atomic_torch_save({"state_dict": {}, "global_step": step}, folder / f"step-{step:07d}.ckpt")
    atomic_torch_save({"state_dict": {}, "global_step": 4}, folder / "last.ckpt")
    with caplog.at_level("INFO"):
        assert resumable_checkpoint(folder / "last.ckpt") == folder / "step-0000008.ckpt"
    assert "older than step-0000008.ckpt" in caplog.text
    atomic_torch_save({"state_dict": {}, "global_step": 8}, folder / "last.ckpt")  # as far on: last
    assert resumable_checkpoint(folder / "last.ckpt") == folder / "last.ckpt"
    assert resumable_checkpoint(folder / "step-0000004.ckpt") == folder / "step-0000004.ckpt"  # as asked


def test_no_readable_checkpoint_is_one_clear_error(tmp_path):
    (tmp_path / "last.ckpt").write_bytes(b"")
    with pytest.raises(WeightsError, match="last.ckpt: not a readable checkpoint"):
        resumable_checkpoint(tmp_path / "last.ckpt")


@pytest.mark.parametrize("force_old_default", [False, True])
def test_a_crafted_checkpoint_runs_no_code(tmp_path, monkeypatch, force_old_default):
    if force_old_default:  # torch < 2.6's default: unpickle anything
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    sentinel = tmp_path / "code-ran"
    path = tmp_path / "crafted.ckpt"
    torch.save({"state_dict": {}, "payload": RunsCode(sentinel)}, path)
    with pytest.raises(WeightsError, match="crafted.ckpt"):
        load_checkpoint_file(path)
    assert not sentinel.exists()


@pytest.mark.parametrize("force_old_default", [False, True])
def test_resume_from_a_crafted_checkpoint_runs_no_code(tmp_path, monkeypatch, capsys, training,
                                                       force_old_default):
    run = training.fit(tmp_path / "run", "trainer.max_steps=1")
    if force_old_default:
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    sentinel = tmp_path / "code-ran"
    last = run / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(last, weights_only=True)
    checkpoint["payload"] = RunsCode(sentinel)
    torch.save(checkpoint, last)
    assert main(["fit", "--resume", str(run), "trainer.max_steps=2"]) == 2
    err = capsys.readouterr().err
    assert "last.ckpt" in err and "Traceback" not in err
    assert not sentinel.exists()
