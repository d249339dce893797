"""Hub models: `landmarks export --hub-card` writes a model card; `landmarks.load("hf://OWNER/NAME")` reads
an export from huggingface_hub's snapshot cache, offline (no network in tests)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml

import landmarks
from landmarks.cli import main
from landmarks.errors import WeightsError

hub = pytest.importorskip("huggingface_hub")
hub_constants = pytest.importorskip("huggingface_hub.constants")
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # a snapshot's folder is named by its commit


@pytest.fixture(scope="module")
def carded(checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("carded")
    metrics = folder.parent / "metrics.json"
    metrics.write_text(json.dumps({"mean_error": 0.0412}))
    regressor = folder.parent / "regressor.safetensors"
    regressor.write_bytes(b"stand-in")
    argv = ["export", str(checkpoint.parent.parent), "--output", str(folder), "--hub-card",
            "--metrics", str(metrics), "--regressor", str(regressor)]
    assert main(argv) == 0
    return folder


def test_hub_card_holds_metadata_metrics_and_config(carded):
    names = {p.name for p in carded.iterdir()}
    assert names == {"model.safetensors", "config.yaml", "README.md", "metrics.json", "regressor.safetensors"}
    card = (carded / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["library_name"] == "landmarks" and header["license"] == "mit"
    config = yaml.safe_load((carded / "config.yaml").read_text())
    assert f"{config['model']['num_landmarks']} unsupervised landmarks" in card
    assert '"mean_error": 0.0412' in card and "regressor.safetensors" in card
    assert f"num_landmarks: {config['model']['num_landmarks']}" in card  # the config section


def _snapshot_cache(root, repo_id: str, export) -> None:
    """huggingface_hub's cache layout: models--OWNER--NAME/{refs/main, snapshots/COMMIT/files}."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    shutil.copytree(export, repo / "snapshots" / COMMIT)


def test_load_from_the_hub_cache_offline(carded, tmp_path, monkeypatch):
    _snapshot_cache(tmp_path, "someone/faces-k10", carded)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    image = np.random.default_rng(0).integers(0, 256, (48, 40, 3), np.uint8)
    from_hub = landmarks.load("hf://someone/faces-k10").detect([image])
    local = landmarks.load(carded).detect([image])
    np.testing.assert_array_equal(from_hub, local)
    with pytest.raises(WeightsError, match="hf://someone/other: not in the local hub cache"):
        landmarks.load("hf://someone/other")
    with pytest.raises(WeightsError, match="hf://OWNER/NAME"):
        landmarks.load("hf://no-owner")
