"""trainer.logger: csv writes metrics.csv and the quadruplet grids as PNGs; wandb (offline) and mlflow (a
local file store) receive scalars and images where their packages are installed; a missing one is refused
before any run folder is made."""

from __future__ import annotations

import csv
import importlib.util

import pytest
from PIL import Image

from landmarks.cli import main
from landmarks.training import loggers

SHORT = ["trainer.max_steps=4", "trainer.log_every=1", "trainer.image_every=2", "trainer.val_every=2"]


def test_csv_logger_writes_scalars_and_images(training, tmp_path):
    run = training.fit(tmp_path / "run", "trainer.logger=csv", *SHORT)
    with (run / "csv" / "metrics.csv").open() as file:
        rows = list(csv.DictReader(file))
    losses = [float(row["train/loss"]) for row in rows if row.get("train/loss")]
    assert len(losses) >= 3 and all(loss > 0 for loss in losses)
    images = sorted((run / "csv" / "images").glob("*.png"))
    assert any(p.name.startswith("train-quadruplets-step-") for p in images), images
    assert any(p.name.startswith("val-quadruplets-step-") for p in images), images
    assert Image.open(images[0]).mode == "RGB"
    assert not (run / "tensorboard").exists()


def test_a_logger_whose_package_is_missing_is_refused_before_any_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(loggers._PACKAGES, "wandb", "no_such_package_for_landmarks")
    run = tmp_path / "run"
    # the paper's detector and the pixel loss: no fallback warning where the MobileNetV2 file is absent (CI)
    assert main(["fit", "--output", str(run), "--config", "demo", "model.detector=paper", "loss.kind=l2",
                 "trainer.logger=wandb"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["landmarks fit: error: trainer.logger=wandb needs the no_such_package_for_landmarks "
                   "package: pip install 'landmarks[wandb]'"]
    assert not run.exists()


@pytest.mark.skipif(importlib.util.find_spec("mlflow") is None, reason="mlflow is an optional extra")
def test_mlflow_logger_writes_a_local_store(training, tmp_path):
    run = training.fit(tmp_path / "run", "trainer.logger=mlflow", *SHORT)
    metrics = list((run / "mlruns").rglob("metrics/train/loss"))
    assert metrics and len(metrics[0].read_text().splitlines()) >= 3
    assert list((run / "mlruns").rglob("artifacts/train/quadruplets/step-*.png"))


@pytest.mark.slow  # wandb's offline writer process takes about two minutes to start and stop here
@pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="wandb is an optional extra")
def test_wandb_logger_offline(training, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = training.fit(tmp_path / "run", "trainer.logger=wandb", *SHORT)
    offline_runs = list((run / "wandb").glob("offline-run-*"))
    assert offline_runs and list(offline_runs[0].glob("*.wandb"))
    assert list(offline_runs[0].rglob("media/images/train/quadruplets_*.png"))
