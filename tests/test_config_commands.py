"""Discoverable, validated configs: `landmarks configs`, `fit --print-config`, `fit --help-config`, and
the trainer's hardware settings refused before any run folder is made."""

from __future__ import annotations

import pytest
import torch
import yaml

from landmarks.cli import main
from landmarks.colourisation.config import LossnetConfig
from landmarks.config import ExperimentConfig
from landmarks.config_catalog import shipped_configs
from landmarks.config_fields import describe_fields
from landmarks.config_loading import PACKAGED_CONFIGS, load_config, to_dict


@pytest.mark.parametrize("cls", [ExperimentConfig, LossnetConfig])
def test_every_config_field_has_a_description(cls):
    rows = describe_fields(cls)
    assert not [row.key for row in rows if not row.description]
    assert len(rows) == len({row.key for row in rows})


def test_field_defaults_are_the_dataclass_defaults():
    rows = {row.key: row for row in describe_fields(LossnetConfig)}
    assert rows["data.batch_size"].default == 32  # LossnetConfig's own default, not DataConfig's 50
    assert rows["model.hypercolumn_blocks"].default == [1, 2, 3, 4, 5]
    assert rows["optim.schedule"].type == "constant|cosine"


def test_help_config_lists_every_field(capsys):
    assert main(["fit", "--help-config"]) == 0
    out = capsys.readouterr().out
    for row in describe_fields(ExperimentConfig):
        assert f"\n{row.key} " in out
    assert "trainer.accelerator" in out and "model.num_landmarks" in out


def test_configs_lists_every_shipped_config_once(capsys):
    assert main(["configs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = sorted(path.stem for path in PACKAGED_CONFIGS.glob("*.yaml"))
    assert [line.split()[0] for line in lines] == names
    commands = {c.name: c.command for c in shipped_configs()}
    assert commands["cpu"] == "fit" and commands["lossnet-cpu"] == "pretrain-lossnet"
    assert all(c.summary for c in shipped_configs())


def test_print_config_prints_the_resolved_config_and_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "--print-config", "--config", "cpu", "model.num_landmarks=7"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == to_dict(load_config("cpu", ["model.num_landmarks=7"]))
    assert printed["model"]["num_landmarks"] == 7
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("override, expected", [
    ("trainer.accelerator=gpu", "gpu"),
    ("trainer.precision=fp8", "fp8"),
    ("trainer.strategy=no-such-strategy", "no-such-strategy"),
])
def test_impossible_trainer_settings_exit_2_with_one_line_and_no_folder(capsys, tmp_path, monkeypatch,
                                                                        override, expected):
    monkeypatch.chdir(tmp_path)
    if "gpu" in override and torch.cuda.is_available():
        pytest.skip("a GPU is available here")
    run = tmp_path / "run"
    # the paper's detector and the pixel loss: no fallback warning where the MobileNetV2 file is absent (CI)
    argv = ["fit", "--config", "demo", "--output", str(run), "data.preload=false", "model.detector=paper",
            "loss.kind=l2", override]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("landmarks fit: error: ") and expected in err[0], err
    assert not run.exists() and not (tmp_path / "runs").exists()
