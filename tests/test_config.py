from pathlib import Path

import pytest
import yaml

from landmarks.config import ExperimentConfig
from landmarks.config_loading import (
    PACKAGED_CONFIGS,
    from_dict,
    load_config,
    read_config_dict,
    save_config,
    to_dict,
)
from landmarks.errors import ConfigError


def test_defaults_round_trip_through_yaml(tmp_path):
    config = ExperimentConfig()
    save_config(config, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == config


def test_every_shipped_config_loads():
    names = sorted(p.stem for p in PACKAGED_CONFIGS.glob("*.yaml"))
    assert {"default", "cpu", "paper-128"} <= set(names)
    for name in names:
        if name.startswith("lossnet-"):  # `landmarks pretrain-lossnet` configs: tests/colourisation
            continue
        # fine-tuning configs need the run they start from (trainer.init_from)
        extra = ["trainer.init_from=runs/celeba"] if name.endswith("-finetune") else []
        load_config(name, extra)  # raises on any unknown key or bad value


def test_base_chain_and_overrides(tmp_path):
    (tmp_path / "base.yaml").write_text("model: {num_landmarks: 30, base_width: 16}\n")
    (tmp_path / "child.yaml").write_text("base: base.yaml\nmodel: {num_landmarks: 50}\n")
    config = load_config(tmp_path / "child.yaml", ["optim.lr=1e-2", "trainer.devices=2"])
    assert config.model.num_landmarks == 50
    assert config.model.base_width == 16  # kept from the base
    assert config.optim.lr == pytest.approx(0.01)
    assert config.trainer.devices == 2


def test_cpu_config_is_a_delta_from_the_default():
    raw = yaml.safe_load((PACKAGED_CONFIGS / "cpu.yaml").read_text())
    assert raw["base"] == "default.yaml"
    assert read_config_dict("cpu")["model"]["image_size"] == 64


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.num_landmark=3", "unknown config key 'model.num_landmark'"),
        ("modle.num_landmarks=3", "unknown config key 'modle'"),
        ("model.image_size=100", "power of two"),
        ("model.image_size=512", "power of two from 32 to 256"),
        ("model.soft_argmax=fancy", "must be one of"),
        ("optim.lr=fast", "'optim.lr' must be of type float"),
        ("loss.initial_means=[1, 2]", "one value per layer"),
        ("data.source=image-folder", "'data.root'"),
        ("no_equals_sign", "dotted.key=value"),
        ("pairs.supersample=0", "'pairs.supersample' must be at least 1"),
    ],
)
def test_bad_configs_name_the_problem(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(None, [override])


def test_supersampled_synthetic_images_stay_within_their_drawing_sizes():
    assert load_config(None, ["model.image_size=128", "pairs.supersample=2"]).pairs.supersample == 2
    with pytest.raises(ConfigError, match=r"model.image_size x pairs.supersample = 256 x 2 = 512"):
        load_config(None, ["model.image_size=256", "pairs.supersample=2"])


def test_unknown_key_in_file_names_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("trainer:\n  max_step: 10\n")
    with pytest.raises(ConfigError, match="'trainer.max_step'"):
        load_config(path)


def test_missing_config_lists_shipped_ones():
    with pytest.raises(ConfigError, match="cpu"):
        load_config(Path("does-not-exist.yaml"))


def test_tuples_survive_to_dict():
    config = ExperimentConfig()
    assert from_dict(ExperimentConfig, to_dict(config)) == config


def test_default_yaml_mirrors_the_dataclasses():
    # default.yaml lists every field with its dataclass default; a drift between them fails here.
    raw = read_config_dict(PACKAGED_CONFIGS / "default.yaml")
    assert raw == to_dict(ExperimentConfig())


def test_preload_refuses_sources_of_ready_pairs():
    with pytest.raises(ConfigError, match="'data.preload' holds still images"):
        load_config(None, ["data.source=synthetic-bodies", "data.preload=true"])
