"""`landmarks evaluate` end to end: a checkpoint, hand-written CSV files, CLI == Python API."""

import json

import numpy as np
import pytest
from PIL import Image

from landmarks.cli import main
from landmarks.evaluation.annotations import read_annotations
from landmarks.evaluation.evaluate_model import ProtocolOptions, evaluate_checkpoint

TINY = [
    "model.image_size=32", "model.num_landmarks=3", "model.base_width=4", "model.generator_width=8",
    "model.generator_min_width=4", "data.batch_size=4", "data.synthetic_count=16",
    "data.validation_count=4", "data.num_workers=0", "loss.kind=l2", "trainer.max_steps=2",
    "trainer.progress_bar=false", "trainer.val_every=1000", "trainer.checkpoint_every=1000",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("run") / "tiny"
    assert main(["fit", "--output", str(run), *TINY]) == 0
    return run


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Images of assorted sizes and a CSV per split, written by hand in the documented format."""
    root = tmp_path_factory.mktemp("faces")
    rng = np.random.default_rng(0)
    lines = {"train": [], "test": []}
    for split, count in (("train", 12), ("test", 5)):
        for i in range(count):
            height, width = rng.integers(30, 90, size=2)
            Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(
                root / f"{split}{i}.png")
            eyes = [10 + i, 12, 25, 12 + i % 3]
            cells = [f"{v:g}" for v in eyes]
            lines[split].append(",".join([f"{split}{i}.png", *cells]))
    for split, rows in lines.items():
        (root / f"{split}.csv").write_text("image,x0,y0,x1,y1\n" + "\n".join(rows) + "\n")
    return root


def test_cli_gives_the_same_numbers_as_the_api(run_dir, dataset, tmp_path):
    out = tmp_path / "eval"
    code = main(["evaluate", str(run_dir), "--train", str(dataset / "train.csv"),
                 "--test", str(dataset / "test.csv"), "--output", str(out), "--draws", "2"])
    assert code == 0
    from_cli = json.loads((out / "metrics.json").read_text())
    api = evaluate_checkpoint(run_dir / "checkpoints" / "last.ckpt",
                              train=read_annotations(dataset / "train.csv", dataset),
                              test=read_annotations(dataset / "test.csv", dataset),
                              options=ProtocolOptions(draws=2))
    from_api = json.loads(json.dumps(api.to_dict()))
    assert from_cli["test"] == from_api["test"]
    assert from_cli["sample_efficiency"] == from_api["sample_efficiency"]
    assert {"metrics.txt", "pck_curve.png", "sample_efficiency.png", "regressed_points.png"} <= {
        p.name for p in out.iterdir()}
    names = set(from_cli["test"])
    assert {"regression", "mean training shape", "untrained detector"} <= names


@pytest.mark.parametrize("csv_text, message", [
    ("image,x0,y0,x1,y1\ntrain0.png,1,2,3\n", "line 2"),
    ("image,x0,y0,x1,y1\ntrain0.png,1,2,three,4\n", "line 2"),
    ("image,x0,y0,x1,y1\nnot-there.png,1,2,3,4\n", "not-there.png"),
])
def test_malformed_csv_is_a_clear_error(run_dir, dataset, tmp_path, capsys, csv_text, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text)
    code = main(["evaluate", str(run_dir), "--train", str(bad), "--test", str(dataset / "test.csv"),
                 "--data-root", str(dataset), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv" in err and message in err
    assert "Traceback" not in err


def test_too_few_training_images_without_bias(run_dir, dataset, tmp_path, capsys):
    # K=3 learned landmarks: 6 unknowns per output coordinate, so 4 images cannot be fitted by OLS.
    rows = (dataset / "train.csv").read_text().splitlines()[:5]
    small = tmp_path / "small.csv"
    small.write_text("\n".join(rows) + "\n")
    code = main(["evaluate", str(run_dir), "--train", str(small), "--test", str(dataset / "test.csv"),
                 "--data-root", str(dataset), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "6" in err and "4" in err  # says how many images are needed and how many there are


def _in_model_input(annotations, spec):
    """The hand-written points taken to the model input's pixels, image by image (from the sizes)."""
    from landmarks.data.preprocess import model_transform

    sizes = [Image.open(path).size for path in annotations.paths]  # (width, height)
    return np.stack([model_transform(h, w, spec).to_model(p)
                     for (w, h), p in zip(sizes, annotations.points, strict=True)])


def test_model_input_frame_measures_in_the_model_input(run_dir, dataset, tmp_path):
    # The images have assorted sizes and the tiny model stretches them to 32 x 32: an anisotropic
    # resize, so errors normalised by the eye distance differ between the two frames.
    from landmarks.data.preprocess import ResizeSpec
    from landmarks.evaluation.metrics import mean_normalised_error

    train = read_annotations(dataset / "train.csv", dataset)
    test = read_annotations(dataset / "test.csv", dataset)
    out = tmp_path / "eval"
    result = evaluate_checkpoint(run_dir, train=train, test=test, output_dir=out,
                                 options=ProtocolOptions(draws=1, frame="model-input"))
    image_frame = evaluate_checkpoint(run_dir, train=train, test=test, options=ProtocolOptions(draws=1))

    spec = ResizeSpec(32, "stretch")
    train_points, test_points = _in_model_input(train, spec), _in_model_input(test, spec)
    mean_shape = np.broadcast_to(train_points.mean(axis=0), test_points.shape)
    expected, _ = mean_normalised_error(mean_shape, test_points, 0, 1)
    measured = {s.name: s.normalised_error for s in result.baselines}["mean training shape"]
    assert measured == pytest.approx(expected, rel=1e-9)
    assert measured != pytest.approx(
        {s.name: s.normalised_error for s in image_frame.baselines}["mean training shape"], rel=1e-3)
    assert result.settings["frame"] == "model-input"
    assert any("model input" in note for note in result.notes)
    # Figures show the model inputs; no regressor, since detect regresses in image pixels.
    assert (out / "regressed_points.png").is_file()
    assert not (out / "regressor.safetensors").exists()


def test_frame_flag_matches_the_api_and_unknown_frame_is_refused(run_dir, dataset, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(["evaluate", str(run_dir), "--train", str(dataset / "train.csv"), "--test",
                 str(dataset / "test.csv"), "--output", str(out), "--draws", "1", "--frame", "model-input"])
    assert code == 0
    api = evaluate_checkpoint(run_dir, train=read_annotations(dataset / "train.csv", dataset),
                              test=read_annotations(dataset / "test.csv", dataset),
                              options=ProtocolOptions(draws=1, frame="model-input"))
    from_cli = json.loads((out / "metrics.json").read_text())
    assert from_cli["test"] == json.loads(json.dumps(api.to_dict()))["test"]
    from landmarks.errors import ConfigError

    with pytest.raises(ConfigError, match="model-input"):
        ProtocolOptions(frame="crop")


def test_evaluation_images_get_the_evaluation_sets_preprocessing(run_dir, dataset, monkeypatch):
    """A model trained on stretched images, scored on a set whose protocol crops (CelebA's 160 -> 128):
    its landmarks are found on the crop, not on the run's stretch (released code: per evaluation set)."""
    import landmarks.evaluation.evaluate_model as evaluate_model
    from landmarks.data.preprocess import ResizeSpec
    from landmarks.datasets.adapter import Preprocessing

    specs = []
    extract = evaluate_model.extract_landmarks
    monkeypatch.setattr(evaluate_model, "extract_landmarks",
                        lambda fn, paths, spec, **kw: (specs.append(spec), extract(fn, paths, spec, **kw))[1])
    train = read_annotations(dataset / "train.csv", dataset)
    test = read_annotations(dataset / "test.csv", dataset)
    options = ProtocolOptions(draws=1)
    own = evaluate_checkpoint(run_dir, train=train, test=test, options=options)
    assert set(specs) == {ResizeSpec(32, "stretch", None)}  # the run's own (CSV sets)
    specs.clear()
    cropped = evaluate_checkpoint(run_dir, train=train, test=test, options=options,
                                  preprocessing=Preprocessing("stretch-crop", crop_share=0.8))
    assert set(specs) == {ResizeSpec(32, "stretch-crop", 40)}  # 32 / 0.8, every split and baseline
    assert own.settings["resize"] == ["stretch", None]
    assert cropped.settings["resize"] == ["stretch-crop", 40]


def test_evaluate_dataset_passes_the_datasets_preprocessing(run_dir, dataset, tmp_path, monkeypatch):
    """`evaluate --dataset celeba` preprocesses with CelebA's protocol, bbc-pose PCKs at half scale."""
    import landmarks.cli
    import landmarks.evaluation.evaluate_model as evaluate_model
    from landmarks.datasets import protocol_preprocessing
    from landmarks.datasets.adapter import EvaluationSplits

    train = read_annotations(dataset / "train.csv", dataset)
    test = read_annotations(dataset / "test.csv", dataset)
    seen = {}
    monkeypatch.setattr(landmarks.cli, "_dataset_splits",
                        lambda args: EvaluationSplits(train, None, test, pck_scale=0.5))

    def capture(checkpoint, **kwargs):
        seen.update(kwargs)
        raise landmarks.cli.LandmarksError("captured")

    monkeypatch.setattr(evaluate_model, "evaluate_checkpoint", capture)
    assert main(["evaluate", str(run_dir), "--dataset", "celeba", "--output", str(tmp_path / "o")]) == 2
    assert seen["preprocessing"] == protocol_preprocessing("celeba")
    assert seen["options"].pck_scale == 0.5
