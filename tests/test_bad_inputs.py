"""The bad-input corpus: every command, fed its typical bad inputs, answers with one line and changes nothing.

Each case runs one ``landmarks`` command in this process on files the fixture writes in their real
on-disk formats (missing, empty, cut short, disguised and bomb images, corrupt videos, malformed
annotation CSVs and YAML, corrupt, foreign and missing checkpoints, outputs that are files or hold
earlier results). Expected: exit status 2, exactly one line on standard error naming the file and the
problem, no traceback, and no file created, changed or deleted anywhere (the corpus, and the working
folder where default outputs would go). ``detect`` skips an unreadable image instead: status 1, the
file named on its line, and the skipped count.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from landmarks.cli import main
from landmarks.config import DataConfig, ExperimentConfig, ModelConfig
from landmarks.config_loading import save_config, to_dict
from landmarks.models import build_model

# The tiny model's detector and loss need no weights file, so no fallback warning precedes the error.
FIT = [
    "model.image_size=32", "model.num_landmarks=3", "model.base_width=4", "model.generator_width=8",
    "model.generator_min_width=4", "model.detector=paper", "loss.kind=l2", "data.batch_size=2",
    "data.num_workers=0", "trainer.progress_bar=false", "trainer.max_steps=1", "trainer.accelerator=cpu",
]  # fmt: skip
IMAGES = 8  # enough for the regression of 3 landmarks without bias (6 unknowns per coordinate)
MODEL = ModelConfig(image_size=32, num_landmarks=3, base_width=4, generator_width=8, generator_min_width=4)


def write_run(folder: Path) -> Path:
    """A run folder as ``landmarks fit`` leaves it: ``config.yaml`` and ``checkpoints/last.ckpt``."""
    config = ExperimentConfig(model=MODEL, data=DataConfig())
    torch.manual_seed(0)
    model = build_model(MODEL)
    state = {f"model.{key}": value for key, value in model.state_dict().items()}
    (folder / "checkpoints").mkdir(parents=True)
    torch.save({"hyper_parameters": {"config": to_dict(config)}, "state_dict": state, "global_step": 5},
               folder / "checkpoints" / "last.ckpt")
    save_config(config, folder / "config.yaml")
    return folder


def png_bytes(seed: int, size: int = 40) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_run(root / "run")
    write_run(root / "broken-run")
    (root / "broken-run" / "config.yaml").write_text("model: [\n")
    (root / "images").mkdir()
    for index in range(IMAGES):
        (root / "images" / f"face{index}.png").write_bytes(png_bytes(index))
    bad = root / "bad"
    bad.mkdir()
    good = png_bytes(9)
    (bad / "corrupt.png").write_bytes(np.random.default_rng(0).bytes(3000))
    (bad / "empty.png").write_bytes(b"")
    (bad / "truncated.png").write_bytes(good[: len(good) // 2])
    (bad / "disguised.jpg").write_text("this is a text file, not a JPEG\n")
    Image.new("1", (20000, 10000)).save(bad / "bomb.png")  # a few KB, 200 million pixels
    (root / "corrupt.mp4").write_bytes(np.random.default_rng(1).bytes(5000))
    (root / "videos").mkdir()
    (root / "videos" / "clip.mp4").write_bytes(np.random.default_rng(3).bytes(5000))
    (root / "videos" / "empty.mkv").write_bytes(b"")
    (root / "corrupt.ckpt").write_bytes(np.random.default_rng(2).bytes(5000))
    torch.save({"weights": torch.zeros(3)}, root / "foreign.ckpt")
    torch.save({"state_dict": nn.Linear(2, 2).state_dict()}, root / "mismatched.ckpt")
    (root / "corrupt.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    (root / "bad.yaml").write_text("model: [unclosed\n")
    (root / "a-file.txt").write_text("not a folder\n")
    (root / "plain").mkdir()
    (root / "plain" / "photo.png").write_bytes(png_bytes(5))
    (root / "old-export").mkdir()
    (root / "old-export" / "model.safetensors").write_bytes(b"an earlier export")
    (root / "old-export" / "config.yaml").write_text("an earlier export\n")
    (root / "old-demo").mkdir()
    (root / "old-demo" / "report.html").write_text("an earlier demo\n")
    header = "image,x0,y0,x1,y1\n"
    first = header + "images/face0.png,10,12,30,14\n"
    rows = "".join(f"images/face{i}.png,10,12,30,14\n" for i in range(IMAGES))
    (root / "good.csv").write_text(header + rows)
    (root / "wrong-columns.csv").write_text("file,x,y\nimages/face0.png,10,12\n")
    (root / "nan.csv").write_text(first + "images/face1.png,nan,12,30,14\n")
    (root / "outside.csv").write_text(first + "images/face1.png,10,12,900,14\n")  # a 40 x 40 image
    (root / "missing-image.csv").write_text(first + "images/gone.png,1,2,3,4\n")
    (root / "corrupt-image.csv").write_text(first + "bad/corrupt.png,1,2,3,4\n")
    return root


def snapshot(*folders: Path) -> dict[str, str]:
    """``{path: sha1}`` of every file under ``folders`` (folders as ``dir``), but for the header-scan
    caches a data folder keeps by design (``.landmarks-index-*.json``, landmarks.data.scan_cache)."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.name.startswith(".landmarks-index-"):
                found[str(path)] = "dir" if path.is_dir() else hashlib.sha1(path.read_bytes()).hexdigest()
    return found


# (id, argv with {c} for the corpus folder, what the one line must hold besides the file's name,
#  the file's name as the line must give it)
CASES = [
    # fit
    ("fit-missing-data-root", ["fit", "--data-root", "{c}/nowhere", *FIT], "nowhere"),
    ("fit-folder-of-bad-images", ["fit", "--data-root", "{c}/bad", *FIT], "bad"),
    ("fit-bad-yaml", ["fit", "--config", "{c}/bad.yaml", *FIT], "bad.yaml"),
    ("fit-corrupt-init-from", ["fit", "--init-from", "{c}/corrupt.ckpt", "--output", "{c}/new", *FIT],
     "corrupt.ckpt"),
    ("fit-resume-plain-folder", ["fit", "--resume", "{c}/plain"], "plain"),
    ("fit-resume-bad-config", ["fit", "--resume", "{c}/broken-run"], "config.yaml: not valid YAML (line 2"),
    ("fit-data-root-is-a-file", ["fit", "--data-root", "{c}/a-file.txt", *FIT], "a-file.txt"),
    ("fit-folder-of-bad-videos", ["fit", "--data", "video-folder", "--data-root", "{c}/videos", *FIT],
     "all 2 videos are unusable"),
    ("fit-corrupt-loss-weights", ["fit", *FIT, "loss.kind=perceptual", "loss.network=vgg16",
                                  "loss.weights={c}/corrupt.ckpt"], "corrupt.ckpt"),
    ("fit-mismatched-init-from", ["fit", "--init-from", "{c}/mismatched.ckpt", "--output", "{c}/new", *FIT],
     "mismatched.ckpt"),
    ("fit-output-is-a-file", ["fit", "--output", "{c}/a-file.txt", *FIT], "a-file.txt"),
    ("fit-output-holds-a-run", ["fit", "--output", "{c}/run", *FIT], "run"),
    ("lossnet-missing-data-root", ["pretrain-lossnet", "--data-root", "{c}/nowhere", "--output", "{c}/new"],
     "nowhere"),
    ("lossnet-resume-plain-folder", ["pretrain-lossnet", "--resume", "{c}/plain"], "plain"),
    ("lossnet-output-is-a-file", ["pretrain-lossnet", "--output", "{c}/a-file.txt"], "a-file.txt"),
    # evaluate
    *[(f"evaluate-{name}", ["evaluate", "{c}/" + model, "--train", "{c}/good.csv", "--test", "{c}/good.csv",
                            "--output", "{c}/new"], model)
      for name, model in (("missing-model", "gone.ckpt"), ("corrupt-model", "corrupt.ckpt"),
                          ("foreign-model", "foreign.ckpt"), ("mismatched-model", "mismatched.ckpt"),
                          ("plain-folder-model", "plain"))],
    *[(f"evaluate-{name}", ["evaluate", "{c}/run", "--train", "{c}/" + csv, "--test", "{c}/good.csv",
                            "--output", "{c}/new"], expected)
      for name, csv, expected in (("missing-csv", "gone.csv", "gone.csv"),
                                  ("wrong-columns", "wrong-columns.csv", "wrong-columns.csv"),
                                  ("nan", "nan.csv", "nan.csv"), ("outside", "outside.csv", "outside.csv"),
                                  ("missing-image", "missing-image.csv", "gone.png"),
                                  ("corrupt-image", "corrupt-image.csv", "corrupt.png"))],
    ("evaluate-missing-dataset-root", ["evaluate", "{c}/run", "--data", "celeba", "--data-root",
                                       "{c}/nowhere", "--output", "{c}/new"], "nowhere"),
    ("evaluate-nan-in-val", ["evaluate", "{c}/run", "--train", "{c}/good.csv", "--test", "{c}/good.csv",
                             "--val", "{c}/nan.csv", "--ridge", "--output", "{c}/new"], "nan.csv"),
    ("evaluate-output-is-a-file", ["evaluate", "{c}/run", "--train", "{c}/good.csv", "--test",
                                   "{c}/good.csv", "--output", "{c}/a-file.txt"], "a-file.txt"),
    # detect
    *[(f"detect-{name}", ["detect", "{c}/" + model, "{c}/images", "--output", "{c}/new"], model)
      for name, model in (("missing-model", "gone.ckpt"), ("corrupt-model", "corrupt.ckpt"),
                          ("foreign-model", "foreign.ckpt"), ("corrupt-export", "old-export"))],
    ("detect-output-is-a-file", ["detect", "{c}/run", "{c}/images", "--output", "{c}/a-file.txt"],
     "a-file.txt"),
    ("detect-overlay-is-a-file", ["detect", "{c}/run", "{c}/images", "--output", "{c}/new", "--overlay",
                                  "{c}/a-file.txt"], "a-file.txt"),
    ("detect-corrupt-regressor", ["detect", "{c}/run", "{c}/images", "--output", "{c}/new", "--regressor",
                                  "{c}/corrupt.safetensors"], "corrupt.safetensors"),
    # export
    *[(f"export-{name}", ["export", "{c}/" + model, "--output", "{c}/new"], model)
      for name, model in (("missing-model", "gone.ckpt"), ("corrupt-model", "corrupt.ckpt"),
                          ("foreign-model", "foreign.ckpt"))],
    ("export-over-an-export", ["export", "{c}/run", "--output", "{c}/old-export"], "old-export"),
    ("export-output-is-a-file", ["export", "{c}/run", "--output", "{c}/a-file.txt"], "a-file.txt"),
    ("export-missing-metrics", ["export", "{c}/run", "--output", "{c}/new", "--hub-card", "--metrics",
                                "{c}/gone.json"], "gone.json"),
    # track
    ("track-corrupt-model", ["track", "{c}/corrupt.ckpt", "{c}/images", "--output", "{c}/new"],
     "corrupt.ckpt"),
    ("track-empty-video", ["track", "{c}/run", "{c}/videos/empty.mkv", "--output", "{c}/new"], "empty.mkv"),
    ("track-missing-video", ["track", "{c}/run", "{c}/gone.mp4", "--output", "{c}/new"], "gone.mp4"),
    ("track-corrupt-video", ["track", "{c}/run", "{c}/corrupt.mp4", "--output", "{c}/new"], "corrupt.mp4"),
    ("track-bad-frames", ["track", "{c}/run", "{c}/bad", "--output", "{c}/new"], "bad"),
    ("track-output-is-a-file", ["track", "{c}/run", "{c}/images", "--output", "{c}/a-file.txt"],
     "a-file.txt"),
    # transfer
    ("transfer-corrupt-model", ["transfer", "{c}/corrupt.ckpt", "--sources", "{c}/images", "--targets",
                                "{c}/images"], "corrupt.ckpt"),
    *[(f"transfer-{name}", ["transfer", "{c}/run", "--sources", "{c}/" + image, "--targets", "{c}/images"],
       image.split("/")[-1])
      for name, image in (("missing-source", "gone.png"), ("corrupt-source", "bad/corrupt.png"),
                          ("empty-source", "bad/empty.png"), ("truncated-source", "bad/truncated.png"),
                          ("disguised-source", "bad/disguised.jpg"), ("bomb-source", "bad/bomb.png"))],
    ("transfer-output-under-a-file", ["transfer", "{c}/run", "--sources", "{c}/images", "--targets",
                                      "{c}/images", "--output", "{c}/a-file.txt/x.png"], "a-file.txt"),
    # report
    ("report-plain-folder", ["report", "{c}/plain"], "plain"),
    ("report-missing-folder", ["report", "{c}/nowhere"], "nowhere"),
    ("report-a-file", ["report", "{c}/a-file.txt"], "a-file.txt"),
    # synth
    ("synth-bodies-output-is-a-file", ["synth", "bodies", "--output", "{c}/a-file.txt", "--videos", "1",
                                       "--train-videos", "1", "--frames", "2"], "a-file.txt"),
    ("synth-faces-output-is-a-file", ["synth", "wild-faces", "--output", "{c}/a-file.txt", "--count", "1"],
     "a-file.txt"),
    ("synth-bad-yaml", ["synth", "bodies", "--output", "{c}/new", "--config", "{c}/bad.yaml"], "bad.yaml"),
    # shard
    ("shard-missing-data-root", ["shard", "--data-root", "{c}/nowhere", "--output", "{c}/new", *FIT],
     "nowhere"),
    ("shard-folder-of-bad-images", ["shard", "--data-root", "{c}/bad", "--output", "{c}/new", *FIT], "bad"),
    ("shard-output-is-a-file", ["shard", "--data-root", "{c}/images", "--output", "{c}/a-file.txt", *FIT],
     "a-file.txt"),
    ("shard-bad-yaml", ["shard", "--config", "{c}/bad.yaml", "--data-root", "{c}/images", "--output",
                        "{c}/new"], "bad.yaml"),
    ("fit-shards-of-a-plain-folder", ["fit", "--data", "shards", "--data-root", "{c}/plain", *FIT], "plain"),
    # serve (refused before any port is opened)
    ("serve-corrupt-model", ["serve", "{c}/corrupt.ckpt", "--port", "0"], "corrupt.ckpt"),
    ("serve-missing-model", ["serve", "{c}/nowhere.ckpt", "--port", "0"], "nowhere.ckpt"),
    # convert-imm (the checkpoint is looked for before TensorFlow is needed)
    ("convert-imm-missing-checkpoint", ["convert-imm", "{c}/nowhere", "--output", "{c}/new"], "nowhere"),
    ("convert-imm-not-a-tf-checkpoint", ["convert-imm", "{c}/corrupt.ckpt", "--output", "{c}/new"],
     "corrupt.ckpt"),
    # demo
    ("demo-output-holds-files", ["demo", "--output", "{c}/old-demo"], "old-demo"),
    ("demo-output-is-a-file", ["demo", "--output", "{c}/a-file.txt"], "a-file.txt"),
]


@pytest.mark.parametrize(("argv", "name"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_one_line_and_changes_nothing(corpus, tmp_path, monkeypatch, capsys, argv, name):
    work = tmp_path / "work"  # where default outputs (detections/, tracking/, transfer.png) would go
    work.mkdir()
    monkeypatch.chdir(work)
    before = snapshot(corpus, work)
    status = main([part.replace("{c}", str(corpus)) for part in argv])
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"landmarks {argv[0]}: error: "), lines[0]
    assert name in lines[0], lines[0]
    assert snapshot(corpus, work) == before  # nothing created, changed or deleted


@pytest.mark.parametrize("image", ["corrupt.png", "empty.png", "truncated.png", "disguised.jpg", "bomb.png",
                                   "gone.png"])
def test_detect_skips_a_bad_image_with_a_count(corpus, tmp_path, capsys, image):
    """detect reads many files: one it cannot read (or a path that is not there) is skipped, named on
    one line (docs/using-a-model.md), counted, and the exit status is 1; the others are all written."""
    output = tmp_path / "detections"
    status = main(["detect", str(corpus / "run"), str(corpus / "images"), str(corpus / "bad" / image),
                   "--output", str(output)])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err
    named = [line for line in err.splitlines() if image in line]
    assert len(named) == 1 and named[0].startswith("skipped "), err
    assert err.strip().splitlines()[-1].startswith("landmarks detect: warning: skipped 1 file(s)"), err
    assert (output / "landmarks.csv").read_text().count("face") == IMAGES  # the good images, all there


def test_every_command_is_in_the_corpus():
    from landmarks.cli import build_parser

    commands = {action for action in build_parser()._subparsers._group_actions[0].choices}
    assert commands - {case[1][0] for case in CASES} == {"configs"}  # reads no input
