"""A short fit on the wild synthetic faces moves the keypoints away from where they start (slow)."""

from __future__ import annotations

import pytest
import torch

from landmarks.cli import main
from landmarks.config_loading import load_config
from landmarks.models import build_model
from landmarks.models.checkpoint import load_trained_model
from landmarks.synthetic.wild_faces import SyntheticWildFaces

STEPS = 300


@pytest.mark.slow
def test_a_short_wild_fit_moves_the_keypoints(tmp_path):
    overrides = ["data.source=synthetic-wild-faces", "data.synthetic_count=512", "data.validation_count=8",
                 "data.num_workers=0", "model.image_size=32", "model.detector=paper", "loss.kind=l2",
                 f"trainer.max_steps={STEPS}", "trainer.max_minutes=null", "trainer.progress_bar=false",
                 "trainer.accelerator=cpu", "trainer.devices=1", "trainer.precision=32-true"]
    assert main(["fit", "--config", "cpu", "--output", str(tmp_path / "run"), *overrides]) == 0
    trained = load_trained_model(tmp_path / "run").model
    torch.manual_seed(0)
    untrained = build_model(load_config("cpu", overrides).model).eval()
    faces = SyntheticWildFaces(64, 32, seed=123)
    images = torch.stack([faces[i]["image"] for i in range(64)])  # (64, 3, 32, 32), unseen identities
    with torch.no_grad():
        before, after = untrained.detect(images).keypoints, trained.detect(images).keypoints  # (N, K, 2)
    moved = (after - before).norm(dim=-1).mean()  # [-1, 1] units
    spread_before, spread_after = before.std(dim=0).mean(), after.std(dim=0).mean()
    assert moved > 0.05, f"keypoints moved {moved:.4f} on average"
    assert spread_after > 3 * spread_before, f"spread over faces {spread_before:.4f} -> {spread_after:.4f}"
