"""The ``landmarks`` command: argument handling, and bad input answered with one clear line (status 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from landmarks.cli import main

TINY = [
    "model.image_size=32",
    "model.base_width=4",
    "model.generator_width=16",
    "model.generator_min_width=4",
    "data.batch_size=4",
    "data.num_workers=0",
    "loss.kind=l2",
    "trainer.progress_bar=false",
    "trainer.max_steps=1",
]


def fails_cleanly(capsys, argv: list[str], *expected: str) -> str:
    """Run the command, expect status 2 and one ``error:`` line holding every ``expected`` text."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = next(line for line in err.splitlines() if line.startswith("landmarks fit: error:"))
    for text in expected:
        assert text in line, f"{text!r} not in {line!r}"
    return line


@pytest.fixture
def outputs(tmp_path):
    """Where runs would go; a bad command must not leave a run folder behind."""
    folder = tmp_path / "runs"
    yield folder
    assert not folder.exists() or not any(folder.iterdir())


def fit_args(outputs, *extra: str) -> list[str]:
    return ["fit", *TINY, f"output_dir={outputs}", *extra]


def test_unknown_config_key(capsys, outputs):
    fails_cleanly(
        capsys, fit_args(outputs, "model.num_landmark=4"), "unknown config key 'model.num_landmark'"
    )


def test_image_size_not_a_power_of_two(capsys, outputs):
    fails_cleanly(capsys, fit_args(outputs, "model.image_size=48"), "model.image_size", "power of two", "48")


def test_missing_image_folder(capsys, tmp_path, outputs):
    missing = tmp_path / "no-such-folder"
    fails_cleanly(capsys, fit_args(outputs, "--data-root", str(missing)), str(missing), "does not exist")


def test_empty_image_folder(capsys, tmp_path, outputs):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not an image")
    fails_cleanly(
        capsys, fit_args(outputs, "--data-root", str(tmp_path / "empty")), "empty", "no image files"
    )


def test_folder_of_corrupt_images(capsys, tmp_path, outputs):
    root = tmp_path / "corrupt"
    root.mkdir()
    for name in ("a.jpg", "b.png", "c.jpg"):
        (root / name).write_bytes(b"definitely not an image")
    assert main(fit_args(outputs, "--data-root", str(root))) == 2
    err = capsys.readouterr().err.splitlines()  # one line: the error names the unreadable files
    assert len(err) == 1 and err[0].startswith(f"landmarks fit: error: {root}: no usable images"), err
    assert "unreadable image file(s)" in err[0], err


def test_resume_without_a_checkpoint(capsys, tmp_path):
    (tmp_path / "run").mkdir()
    fails_cleanly(capsys, ["fit", "--resume", str(tmp_path / "run")], "cannot resume", "last.ckpt")


def test_resume_with_a_config(capsys, tmp_path):
    fails_cleanly(capsys, ["fit", "--resume", str(tmp_path), "--config", "cpu"], "--config", "--resume")


def test_unknown_shipped_config(capsys, outputs):
    fails_cleanly(capsys, fit_args(outputs, "--config", "no-such-config"), "no-such-config", "not found")


def test_unknown_options_are_still_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "a.b=1", "--output", "somewhere", "c.d=2", "--no-such-option"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: c.d=2 --no-such-option" in capsys.readouterr().err


def test_overrides_after_options_are_applied(capsys, tmp_path):
    # argparse fills the overrides only once; main() keeps the rest, in order: the later one wins.
    argv = ["fit", *TINY, "--output", str(tmp_path / "run"), "model.image_size=64", "model.image_size=96"]
    fails_cleanly(capsys, argv, "model.image_size", "96")


def test_module_runs_as_a_script():
    result = subprocess.run(
        [sys.executable, "-m", "landmarks.cli", "fit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "--resume" in result.stdout and "--data-root" in result.stdout


def test_report_does_not_import_torch(tmp_path):
    # The HTML report needs no torch; the command line flushes denormals only for commands that compute.
    import subprocess
    import sys

    (tmp_path / "run").mkdir()
    code = ("import sys; from landmarks.cli import main; main(['report', sys.argv[1]]); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run")], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stdout + done.stderr
