"""The run report's loss curves and last logged quadruplets, read back from each logger's files."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
from PIL import Image

from landmarks.cli import main
from landmarks.report import collect_run_sections
from landmarks.report.training_log import FIGURE_NAME, read_training_log


def _png(colour: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 32, 3), colour, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _titles(run) -> list[str]:
    return [section.title for section in collect_run_sections(run)]


def test_tensorboard_run_gives_loss_curves_and_the_last_quadruplets(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    run = tmp_path / "run"
    writer = SummaryWriter(str(run / "tensorboard"))
    for step in range(0, 100, 10):
        writer.add_scalar("train/loss", 100.0 / (step + 1), step)
        writer.add_scalar("train/error_conv1_2", 2.0 / (step + 1), step)
    writer.add_scalar("val/loss", 50.0, 49)
    writer.add_scalar("val/loss", 20.0, 99)
    for step, colour in ((49, 10), (99, 200)):
        writer.add_image("train/quadruplets", np.full((8, 32, 3), colour, np.uint8), step, dataformats="HWC")
    writer.close()
    scalars, images = read_training_log(run)
    assert scalars["val/loss"] == ([49, 99], [50.0, 20.0]) and len(scalars["train/loss"][0]) == 10
    assert images["train/quadruplets"][0] == 99
    assert Image.open(io.BytesIO(images["train/quadruplets"][1])).getpixel((0, 0)) == (200, 200, 200)
    assert main(["report", str(run)]) == 0
    html = (run / "report.html").read_text()
    assert "Losses during training" in html and FIGURE_NAME in html
    assert "train-quadruplets-last.png" in html and "at step 99" in html
    code = ("import sys; from landmarks.cli import main; main(['report', sys.argv[1]]); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stdout + done.stderr


def test_csv_run(tmp_path):
    run = tmp_path / "run"
    (run / "csv" / "images").mkdir(parents=True)
    rows = ["epoch,step,train/loss,val/loss", "0,9,5.0,", "0,19,4.0,", "0,19,,3.5"]
    (run / "csv" / "metrics.csv").write_text("\n".join(rows) + "\n")
    for step, colour in ((9, 1), (19, 2)):
        (run / "csv" / "images" / f"val-quadruplets-step-{step:07d}.png").write_bytes(_png(colour))
    scalars, images = read_training_log(run)
    assert scalars == {"train/loss": ([9, 19], [5.0, 4.0]), "val/loss": ([19], [3.5])}
    assert images["val/quadruplets"] == (19, _png(2))
    assert _titles(run) == ["Losses during training", "Quadruplets logged during training"]


def test_mlflow_file_store_run(tmp_path):
    run = tmp_path / "run"
    store = run / "mlruns" / "1" / "abc"
    (store / "metrics" / "train").mkdir(parents=True)
    (store / "metrics" / "train" / "loss").write_text("1700000000 5.0 9\n1700000001 4.0 19\n")
    (store / "artifacts" / "train" / "quadruplets").mkdir(parents=True)
    (store / "artifacts" / "train" / "quadruplets" / "step-0000019.png").write_bytes(_png(3))
    scalars, images = read_training_log(run)
    assert scalars == {"train/loss": ([9, 19], [5.0, 4.0])} and images["train/quadruplets"][0] == 19


def test_no_log_no_sections(tmp_path):
    (tmp_path / "config.yaml").write_text("name: landmarks\n")  # a run folder whose logger wrote nothing
    assert read_training_log(tmp_path) == ({}, {}) and _titles(tmp_path) == ["Config"]
