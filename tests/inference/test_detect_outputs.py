"""`landmarks detect` never loses earlier results: bombs skipped per file, outputs renamed at the end."""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from landmarks.cli import main
from landmarks.inference.detector import LandmarkDetector


def images(folder, count=3):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (20, 24, 3), np.uint8)).save(folder / f"{i}.png")
    return folder


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_bomb_is_skipped_and_the_batch_goes_on(checkpoint, tmp_path, capsys):
    folder = images(tmp_path / "in")
    Image.new("1", (20000, 10000)).save(folder / "bomb.png")
    assert main(["detect", str(checkpoint), str(folder), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "bomb.png" in err and "decompression bomb" in err and "Traceback" not in err
    assert len((tmp_path / "out" / "landmarks.csv").read_text().splitlines()) == 1 + 3


def test_a_failure_part_way_leaves_earlier_results_whole(checkpoint, tmp_path, monkeypatch):
    folder = images(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["detect", str(checkpoint), str(folder), "--output", str(out)]) == 0
    before = digest(out)

    def fails(self, *args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(LandmarkDetector, "detect", fails)
    try:
        main(["detect", str(checkpoint), str(folder), "--output", str(out)])
    except RuntimeError:
        pass
    assert digest(out) == before  # no CSV cut to its header beside the old JSON, no temporary left


def test_an_output_that_is_a_file_is_one_line(checkpoint, tmp_path, capsys):
    folder = images(tmp_path / "in")
    (tmp_path / "out").write_text("mine")
    assert main(["detect", str(checkpoint), str(folder), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "out: is a file, not a folder" in err and "Traceback" not in err  # checked before any work
    assert (tmp_path / "out").read_text() == "mine"
