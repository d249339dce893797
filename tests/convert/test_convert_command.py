"""landmarks convert-imm on fixture checkpoints written with TensorFlow in the released layout; the
converted model reproduces the released graph run by TensorFlow. Skipped where TensorFlow is missing
(it is the optional extra landmarks[convert])."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import landmarks
from landmarks.cli import main
from landmarks.models.checkpoint import load_trained_model

from .released_fixture import (
    SCOPE,
    released_graph,
    released_graph_numpy,
    released_variables,
    write_tf_checkpoint,
)

tf = pytest.importorskip("tensorflow", reason="TensorFlow (landmarks[convert]) is not installed")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A released-layout checkpoint ``celeba-10pts/model.ckpt`` and its variables."""
    variables = released_variables(10, seed=1)
    prefix = tmp_path_factory.mktemp("logs") / "celeba-10pts" / "model.ckpt"
    prefix.parent.mkdir()
    write_tf_checkpoint(variables, prefix)
    return prefix, variables


def test_converted_model_reproduces_the_released_graph(released, tmp_path, capsys):
    prefix, variables = released
    assert main(["convert-imm", str(prefix), "--output", str(tmp_path / "imm")]) == 0
    trained = load_trained_model(tmp_path / "imm")
    assert trained.config.name == "imm-celeba-10pts" and trained.config.model.released_graph

    rng = np.random.default_rng(0)
    source, target = (rng.uniform(0, 255, (2, 128, 128, 3)).astype(np.float32) for _ in range(2))
    keypoints_yx, reconstruction = released_graph(variables, source, target)
    to_ours = lambda images: torch.from_numpy(images / np.float32(255)).permute(0, 3, 1, 2)  # noqa: E731
    with torch.no_grad():
        output = trained.model(to_ours(source), to_ours(target))
    keypoints = output.keypoints.numpy()[..., ::-1]  # ours (x, y), released (y, x)
    key_error = np.abs(keypoints - keypoints_yx).max()
    image_error = np.abs(output.reconstruction.permute(0, 2, 3, 1).numpy() * 255 - reconstruction).max()
    print(f"converted vs released graph: keypoints max |difference| {key_error:.2e} (in [-1, 1]), "
          f"reconstruction {image_error:.2e} (of 0-255, range {np.ptp(reconstruction):.0f})")
    assert np.ptp(keypoints_yx) > 0.2  # the landmarks are spread, not all at the centre
    assert key_error < 1e-4
    assert image_error < 1e-3 * np.ptp(reconstruction)
    # the numpy version of the graph, which tests without TensorFlow use, is TensorFlow's graph
    numpy_yx, numpy_reconstruction = released_graph_numpy(variables, source, target)
    assert np.abs(numpy_yx - keypoints_yx).max() < 1e-4
    assert np.abs(numpy_reconstruction - reconstruction).max() < 1e-3 * np.ptp(reconstruction)


def test_converted_export_detects_through_the_api(released, tmp_path):
    prefix, _ = released
    assert main(["convert-imm", str(prefix.parent), "--output", str(tmp_path / "imm")]) == 0
    from PIL import Image

    Image.fromarray(np.full((100, 80, 3), 128, np.uint8)).save(tmp_path / "a.png")
    points = landmarks.load(tmp_path / "imm", precision="32-true").detect([tmp_path / "a.png"])
    assert points.shape == (1, 10, 2)


def test_refusals_are_one_line_with_status_2(released, tmp_path, capsys):
    prefix, variables = released
    bad = dict(variables)
    bad[f"{SCOPE}renderer/conv_3/conv_3/w"] = np.zeros((3, 3, 256, 64), np.float32)
    write_tf_checkpoint(bad, tmp_path / "bad" / "model.ckpt")
    cases = {
        str(tmp_path / "bad" / "model.ckpt.index"): "conv_3/conv_3/w: expected shape (3, 3, 256, 128)",
        str(tmp_path / "nothing"): "no TensorFlow checkpoint there",
    }
    for checkpoint, message in cases.items():
        capsys.readouterr()
        assert main(["convert-imm", checkpoint, "--output", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "out").exists()
