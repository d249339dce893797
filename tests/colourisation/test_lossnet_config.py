"""The shipped ``lossnet-*`` configs and the checks of ``LossnetConfig``."""

from __future__ import annotations

import pytest

from landmarks.colourisation.config import LossnetConfig, load_lossnet_config
from landmarks.config_loading import PACKAGED_CONFIGS, save_config
from landmarks.errors import ConfigError


def test_every_shipped_lossnet_config_loads():
    names = sorted(p.stem for p in PACKAGED_CONFIGS.glob("lossnet-*.yaml"))
    assert names == ["lossnet-cpu", "lossnet-default", "lossnet-gpu"]
    assert load_lossnet_config("lossnet-default") == LossnetConfig()  # lists every field, at its default
    cpu = load_lossnet_config("lossnet-cpu")
    assert (cpu.model.image_size, cpu.data.source, cpu.model.network) == (64, "synthetic-faces", "vgg16")
    gpu = load_lossnet_config("lossnet-gpu", ["data.root=/photos"])
    assert (gpu.model.image_size, gpu.data.resize_to, gpu.trainer.precision) == (224, 256, "auto")


def test_saved_config_reads_back(tmp_path):
    config = load_lossnet_config("lossnet-cpu", ["model.network=vgg19", "target.rebalance=0.5"])
    save_config(config, tmp_path / "config.yaml")
    assert load_lossnet_config(tmp_path / "config.yaml") == config


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.image_size=40", "multiple of 16"),
        ("model.hypercolumn_blocks=[1,2]", "include 5"),
        ("target.neighbours=0", "at least 1"),
        ("target.rebalance=1.5", "(0, 1]"),
        ("output_file=sub/net.safetensors", "file name"),
        ("model.network=vgg11", "one of"),
        ("pairs.control_grid=3", "unknown config key 'pairs'"),
        ("data.source=video-folder", "still images"),
    ],
)
def test_bad_values_name_their_key(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("]", r"\]")):
        load_lossnet_config("lossnet-cpu", [override])
