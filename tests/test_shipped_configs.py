"""Every shipped config loads; `landmarks configs` lists one line per config; a row per table entry."""

from __future__ import annotations

import pytest

from landmarks.cli import main
from landmarks.config_catalog import shipped_configs
from landmarks.config_loading import load_config
from landmarks.errors import ConfigError

TABLE_1 = [f"celeba-k{k}{loss}" for k in (10, 30, 50) for loss in ("", "-selfsup")] + [
    f"aflw-k{k}{loss}-finetune" for k in (10, 30, 50) for loss in ("", "-sup")] + ["voxceleb"]
TABLE_2 = ["ablation-l1", "ablation-l2", "ablation-l1-adv", "ablation-l2-adv", "celeba-k30-selfsup",
           "ablation-dense-d10", "ablation-dense-d20", "ablation-dense-d60"]
OTHER_DATASETS = ["bbc-pose-sup", "bbc-pose-selfsup", "h36m", "svhn", "smallnorb"]
SUMMARIES = {config.name: config.summary for config in shipped_configs()}
LANDMARK_CONFIGS = [config.name for config in shipped_configs() if config.command == "fit"]


def load(name, *overrides):
    extra = ["trainer.init_from=runs/celeba"] if name.startswith("aflw") else []
    return load_config(name, [*extra, *overrides])


@pytest.mark.parametrize("name", LANDMARK_CONFIGS)
def test_every_shipped_config_loads_and_says_what_it_is(name):
    load(name)
    assert SUMMARIES[name]  # a one-line description


def test_a_config_per_table_row_and_dataset():
    names = set(SUMMARIES)
    assert set(TABLE_1 + TABLE_2 + OTHER_DATASETS) <= names
    k30 = load("celeba-k30-selfsup")
    assert (k30.model.num_landmarks, k30.data.source) == (30, "celeba")
    assert k30.loss.network == "colorization-vgg16-h5"
    assert (k30.data.resize, k30.data.resize_to) == ("stretch-crop", 160)
    assert load("celeba-k10").loss.network == "vgg19"
    assert load("ablation-l2").loss.pixel_scaling == "released"
    assert load("bbc-pose-sup").model.num_landmarks == 50


def test_fine_tuning_configs_need_the_run_to_start_from():
    with pytest.raises(ConfigError, match="--init-from"):
        load_config("aflw-k30-finetune")
    config = load("aflw-k30-finetune")
    assert config.trainer.restore_optim and config.data.source == "aflw" and config.data.resize == "stretch"


def test_configs_command_lists_one_line_per_config(capsys):
    assert main(["configs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(shipped_configs())
    assert any(line.startswith("celeba-k30-selfsup ") and "2.58" in line for line in lines)


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLE_1 + TABLE_2 + OTHER_DATASETS)
def test_each_row_config_trains_two_steps(name, tmp_path):
    """Two steps of each row's settings (K, loss scaling, schedule) at a tiny size on built-in faces."""
    from landmarks.training.fit import fit

    tiny = ["model.image_size=32", "model.base_width=4", "model.generator_width=8",
            "model.generator_min_width=4",
            "data.source=synthetic-faces", "data.root=null", "data.resize=stretch", "data.resize_to=null",
            "data.batch_size=2", "data.synthetic_count=8", "data.validation_count=2", "data.num_workers=0",
            "loss.kind=l2", "trainer.max_steps=2", "trainer.progress_bar=false", "trainer.accelerator=cpu",
            "trainer.devices=1", "trainer.init_from=null", "trainer.restore_optim=false",
            f"output_dir={tmp_path}"]
    run = fit(load(name, *tiny))
    assert (run / "checkpoints" / "last.ckpt").is_file()
