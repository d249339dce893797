"""``landmarks fit --data NAME`` and ``landmarks evaluate --dataset NAME`` on fixture datasets."""

import json
import typing

import pytest
import yaml

from landmarks.cli import main
from landmarks.config import DataConfig
from landmarks.data.image_folder import ImageFolder
from landmarks.data.sources import build_training_dataset, build_validation_dataset
from landmarks.datasets import dataset_names

from .test_celeba import MAFL_TEST, write_celeba
from .test_smallnorb import write_norb

TINY = [
    "model.image_size=32",
    "model.num_landmarks=3",
    "model.base_width=4",
    "model.generator_width=8",
    "model.generator_min_width=4",
    "data.batch_size=4",
    "data.validation_count=4",
    "data.num_workers=0",
    "loss.kind=l2",
    "trainer.max_steps=2",
    "trainer.progress_bar=false",
    "trainer.val_every=1000",
    "trainer.checkpoint_every=1000",
]


def test_every_dataset_is_a_data_source():
    sources = set(typing.get_args(typing.get_type_hints(DataConfig)["source"]))
    assert set(dataset_names()) <= sources


def test_celeba_training_and_validation_sets(tmp_path):
    root = write_celeba(tmp_path / "celeba", image_size=(44, 36))
    config = DataConfig(
        source="celeba", root=str(root), resize="stretch-crop", resize_to=40, validation_count=4
    )
    train, val = build_training_dataset(config, 32), build_validation_dataset(config, 32)
    assert isinstance(train, ImageFolder) and isinstance(val, ImageFolder)
    assert (len(train), len(val)) == (21, 4)
    assert not {int(p.stem) for p in train.paths + val.paths} & set(MAFL_TEST)
    with pytest.warns(UserWarning, match="differs from the celeba protocol"):
        build_training_dataset(DataConfig(source="celeba", root=str(root)), 32)


def test_smallnorb_trains_on_view_pairs(tmp_path):
    config = DataConfig(source="smallnorb-car", root=str(write_norb(tmp_path / "norb")), validation_count=4)
    train, val = build_training_dataset(config, 16), build_validation_dataset(config, 16)
    assert {"source", "target"} <= set(train[0]) and len(val) == 4


@pytest.mark.slow  # about 12 s: a two-step training run, then the evaluation
def test_fit_then_evaluate_on_celeba_mafl(tmp_path):
    root = write_celeba(tmp_path / "celeba", image_size=(44, 36))
    run = tmp_path / "run"
    assert main(["fit", "--data", "celeba", "--data-root", str(root), "--output", str(run), *TINY]) == 0
    data = yaml.safe_load((run / "config.yaml").read_text())["data"]
    assert (data["source"], data["resize"], data["resize_to"]) == ("celeba", "stretch-crop", 40)
    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            str(run),
            "--data",
            "celeba",
            "--data-root",
            str(root),
            "--output",
            str(out),
            "--draws",
            "1",
        ]
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    settings = metrics["settings"]
    assert (settings["n_train"], settings["n_val"], settings["n_test"]) == (18, 2, len(MAFL_TEST))
    assert settings["eye_indices"] == [0, 1]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--data-root", "somewhere"], "give --data NAME --data-root DIR, or --train and --test"),
        ([], "give --data NAME --data-root DIR, or --train and --test"),
        (["--data", "nope", "--data-root", "."], "unknown dataset 'nope'"),
    ],
)
def test_evaluate_argument_errors(tmp_path, capsys, arguments, message):
    assert main(["evaluate", str(tmp_path), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_evaluate_names_the_missing_file(tmp_path, capsys):
    root = write_celeba(tmp_path / "celeba", image_size=(44, 36))
    (root / "MAFL/testing.txt").unlink()
    assert main(["evaluate", str(tmp_path), "--data", "celeba", "--data-root", str(root)]) == 2
    assert str(root / "MAFL/testing.txt") in capsys.readouterr().err
