"""Run folders are owned: no fit over another run, a lock while training, nothing left by a failed start."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from landmarks.cli import main
from landmarks.errors import ConfigError
from landmarks.training.run_folder import LOCK_FILE, check_run_dir, lock_holder, run_lock


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fake_run(folder: Path) -> Path:
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.yaml").write_text("name: old\n")
    (folder / "checkpoints" / "last.ckpt").write_bytes(b"old weights")
    return folder


def test_new_or_empty_folders_are_accepted(tmp_path):
    check_run_dir(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_run_dir(tmp_path / "empty")
    assert not (tmp_path / "new").exists()  # a check writes nothing


def test_a_folder_holding_files_is_refused_without_resume_or_overwrite(tmp_path):
    run = fake_run(tmp_path / "run")
    with pytest.raises(ConfigError, match="already holds files .*--resume .*--overwrite"):
        check_run_dir(run)
    check_run_dir(run, resume=True)
    check_run_dir(run, overwrite=True)


def test_overwrite_only_replaces_a_run(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"mine")
    with pytest.raises(ConfigError, match="holds no run"):
        check_run_dir(tmp_path / "photos", overwrite=True)


def test_a_file_is_not_a_run_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        check_run_dir(tmp_path / "file")


def test_the_lock_names_its_holder_and_goes_with_it(tmp_path):
    with run_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())
    assert lock_holder(tmp_path) is None  # released on leaving
    # Another process holding it: refused at once, naming its PID; killed, it holds nothing.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from landmarks.training.run_folder import run_lock\n"
        f"with run_lock(Path({str(tmp_path)!r})):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert lock_holder(tmp_path) == holder.pid
        with pytest.raises(ConfigError, match=f"in use .*process {holder.pid}"):
            check_run_dir(tmp_path, resume=True)
        with pytest.raises(ConfigError, match=f"process {holder.pid}"), run_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert lock_holder(tmp_path) is None  # kill -9 leaves no stale lock


def test_fit_into_an_existing_run_exits_2_and_changes_nothing(tmp_path, capsys, training):
    run = fake_run(tmp_path / "run")
    before = checksums(run)
    assert main(["fit", "--run-dir", str(run), *training.tiny, "trainer.max_steps=1"]) == 2
    err = capsys.readouterr().err
    assert "already holds files" in err and "Traceback" not in err
    assert checksums(run) == before and not (run / LOCK_FILE).exists()


@pytest.mark.parametrize("bad", [
    "loss.kind=perceptual loss.weights=/no/such/vgg.pth",  # weights
    "data.source=image-folder data.root=/no/such/folder",  # data
    "trainer.accelerator=no-such-accelerator",  # trainer values
])
def test_a_failed_start_leaves_no_run_folder(tmp_path, capsys, training, bad):
    run = tmp_path / "run"
    assert main(["fit", "--run-dir", str(run), *training.tiny, *bad.split()]) == 2
    assert "landmarks fit: error:" in capsys.readouterr().err
    assert not run.exists()


def test_resume_refuses_a_changed_architecture_before_writing(tmp_path, capsys, training):
    run = training.fit(tmp_path / "run", "trainer.max_steps=1")
    before = checksums(run)
    assert main(["fit", "--resume", str(run), "model.num_landmarks=12"]) == 2
    assert "model.num_landmarks" in capsys.readouterr().err
    assert checksums(run) == before
    assert main(["fit", "--resume", str(run), "trainer.max_steps=2"]) == 0  # still resumable


def test_overwrite_replaces_the_whole_run(tmp_path, training):
    run = training.fit(tmp_path / "run", "trainer.max_steps=2", "trainer.checkpoint_every=1")
    training.fit(run, "trainer.max_steps=1", "trainer.checkpoint_every=1", "model.num_landmarks=3",
                 options=("--overwrite",))
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000001.ckpt"]  # no step-2 of the old model left beside it
    assert "num_landmarks: 3" in (run / "config.yaml").read_text()
