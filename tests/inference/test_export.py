"""`landmarks export`: safetensors + config round-trip without pickle; ONNX gives PyTorch's landmarks."""

import pickle

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import landmarks
from landmarks.cli import main
from landmarks.errors import WeightsError
from landmarks.evaluation.extract import extract_landmarks
from landmarks.evaluation.regression import LinearMap
from landmarks.evaluation.saved_regressor import load_regressor, save_regressor
from landmarks.models.checkpoint import load_trained_model


@pytest.fixture(scope="module")
def exported(checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    assert main(["export", str(checkpoint.parent.parent), "--output", str(folder), "--onnx"]) == 0
    return folder


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(3)
    paths = []
    for index, (width, height) in enumerate([(37, 53), (5, 7), (64, 32)]):
        paths.append(folder / f"{index}.png")
        Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).save(paths[-1])
    return paths


def test_export_writes_weights_config_and_onnx(exported):
    assert {p.name for p in exported.iterdir()} == {"model.safetensors", "config.yaml", "detector.onnx"}
    config = yaml.safe_load((exported / "config.yaml").read_text())
    assert config["model"]["num_landmarks"] == 3 and config["data"]["resize"] == "stretch"


def test_the_export_gives_the_checkpoints_landmarks(exported, checkpoint, images):
    from_checkpoint = landmarks.load(checkpoint).detect(images)
    for path in (exported, exported / "model.safetensors"):
        np.testing.assert_array_equal(landmarks.load(path).detect(images), from_checkpoint)
    original, loaded = load_trained_model(checkpoint), load_trained_model(exported)
    assert loaded.step == original.step == 5 and loaded.config == original.config
    for key, value in original.model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[key], value, rtol=0, atol=0)


def test_loading_the_export_never_unpickles(exported, images, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert landmarks.load(exported).detect(images).shape == (3, 3, 2)


def test_onnx_runtime_gives_the_pytorch_landmarks(exported, images):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(exported / "detector.onnx"),
                                           providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["images"]
    assert [o.name for o in session.get_outputs()] == ["keypoints", "scores"]
    detector = landmarks.load(exported)
    batch = torch.rand(4, 3, 32, 32)
    keypoints, scores = session.run(None, {"images": batch.numpy()})
    with torch.no_grad():
        expected = detector.model.detect(batch)
    np.testing.assert_allclose(keypoints, expected.keypoints.numpy(), atol=1e-4)
    np.testing.assert_allclose(scores, expected.scores.numpy(), atol=1e-4)

    def onnx_keypoints(inputs: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(["keypoints"], {"images": inputs.numpy()})[0])

    from_onnx = extract_landmarks(onnx_keypoints, images, detector.spec, batch_size=2)
    np.testing.assert_allclose(from_onnx, detector.detect(images), atol=1e-4 * 64)  # pixels of <= 64 px


def test_export_of_a_missing_run_is_a_one_line_error(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("damage, message", [
    (lambda folder: (folder / "config.yaml").unlink(), "no config.yaml"),
    (lambda folder: (folder / "model.safetensors").write_bytes(b"\x00" * 10), "not a readable"),
    (lambda folder: (folder / "config.yaml").write_text("model: {num_landmarks: 7}\n"), "do not match"),
])
def test_damaged_exports_are_weights_errors(exported, tmp_path, damage, message):
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in exported.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    damage(folder)
    with pytest.raises(WeightsError, match=message):
        landmarks.load(folder)


def test_regressor_file_round_trips_and_must_match_k(checkpoint, tmp_path, images):
    weights = np.random.default_rng(0).normal(size=(6, 4))
    weights[:, 3] = np.nan  # a point no training image annotated
    linear_map = LinearMap(weights, np.array([1.0, 2.0, 3.0, 4.0]), ridge=0.5)
    path = save_regressor(linear_map, ["left_eye", "right_eye"], tmp_path / "regressor.safetensors")
    loaded = load_regressor(path)
    assert loaded.point_names == ("left_eye", "right_eye") and loaded.linear_map.ridge == 0.5
    np.testing.assert_array_equal(loaded.linear_map.weights, weights)
    detector = landmarks.load(checkpoint, regressor=path)
    learned = detector.detect(images)
    np.testing.assert_allclose(detector.detect_points(images), linear_map.predict(learned))
    wrong = save_regressor(LinearMap(np.ones((8, 2)), np.zeros(2)), ["a"], tmp_path / "k4.safetensors")
    with pytest.raises(WeightsError, match="K=4"):
        landmarks.load(checkpoint, regressor=wrong)
    (tmp_path / "bad.safetensors").write_bytes(b"nonsense")
    with pytest.raises(WeightsError, match="bad.safetensors"):
        load_regressor(tmp_path / "bad.safetensors")


def test_evaluate_saves_the_regressor_that_detect_uses(checkpoint, tmp_path):
    from landmarks.evaluation.annotations import read_annotations
    from landmarks.evaluation.evaluate_model import ProtocolOptions, evaluate_checkpoint

    rng = np.random.default_rng(5)
    lines = {"train": [], "test": []}
    for split, count in (("train", 8), ("test", 3)):
        for i in range(count):
            height, width = rng.integers(20, 60, size=2)
            pixels = rng.integers(0, 256, (height, width, 3), np.uint8)
            Image.fromarray(pixels).save(tmp_path / f"{split}{i}.png")
            lines[split].append(f"{split}{i}.png,{5 + i},{6 + i},{15 - i},7")
    for split, rows in lines.items():
        (tmp_path / f"{split}.csv").write_text("image,eye_x,eye_y,mouth_x,mouth_y\n" + "\n".join(rows) + "\n")
    test = read_annotations(tmp_path / "test.csv", tmp_path)
    result = evaluate_checkpoint(checkpoint, train=read_annotations(tmp_path / "train.csv", tmp_path),
                                 test=test, options=ProtocolOptions(draws=1, eye_indices=None),
                                 output_dir=tmp_path / "evaluation")
    detector = landmarks.load(checkpoint, regressor=tmp_path / "evaluation" / "regressor.safetensors")
    assert detector.point_names == ("eye", "mouth")
    np.testing.assert_allclose(detector.detect_points(test.paths), result.test_predictions, atol=1e-6)


def test_onnx_without_the_onnx_package_is_a_clear_error_before_writing(checkpoint, tmp_path, monkeypatch,
                                                                       capsys):
    import importlib.util

    real = importlib.util.find_spec
    def find_spec(name, *args):
        return None if name == "onnx" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert main(["export", str(checkpoint), "--output", str(tmp_path / "out"), "--onnx"]) == 2
    assert "landmarks[onnx]" in capsys.readouterr().err and not (tmp_path / "out").exists()


def _files(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_an_export_over_an_export_needs_overwrite_and_replaces_it_whole(checkpoint, make_checkpoint, tmp_path,
                                                                        capsys):
    run, folder = checkpoint.parent.parent, tmp_path / "exported"
    assert main(["export", str(run), "--output", str(folder), "--onnx"]) == 0
    before = _files(folder)
    other = make_checkpoint(tmp_path / "other" / "checkpoints" / "last.ckpt", seed=1)
    capsys.readouterr()

    assert main(["export", str(other), "--output", str(folder)]) == 2  # without --overwrite: refused
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--overwrite" in err and str(folder) in err
    assert _files(folder) == before

    assert main(["export", str(other), "--output", str(folder), "--overwrite"]) == 0
    after = _files(folder)
    assert sorted(after) == ["config.yaml", "model.safetensors"]  # the old model's detector.onnx is gone
    assert after["model.safetensors"] != before["model.safetensors"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["exported", "other"]  # nothing staged left


def test_overwrite_replaces_only_an_export(checkpoint, tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert main(["export", str(checkpoint), "--output", str(folder), "--overwrite"]) == 2
    assert "holds no export" in capsys.readouterr().err
    assert _files(folder) == {"notes.txt": b"mine"}


def test_a_failed_export_leaves_the_old_one_whole(checkpoint, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "exported"
    assert main(["export", str(checkpoint), "--output", str(folder), "--onnx"]) == 0
    before = _files(folder)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full, say")

    monkeypatch.setattr("landmarks.models.export.export_onnx", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        main(["export", str(checkpoint), "--output", str(folder), "--onnx", "--overwrite"])
    assert _files(folder) == before
    assert [path.name for path in tmp_path.iterdir()] == ["exported"]  # the staging folder was removed
