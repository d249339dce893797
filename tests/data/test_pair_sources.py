"""The pair sources of the data config: splits, TPS-warped pairs, config errors."""

import pytest
import torch

from landmarks.config import DataConfig, PairsConfig
from landmarks.config_loading import load_config
from landmarks.data.sources import build_training_dataset, build_validation_dataset
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.errors import ConfigError


def video_config(root, **fields):
    return DataConfig(source="video-folder", root=str(root), frame_gap=(2, 4), **fields)


def test_validation_holds_out_whole_videos_with_fixed_pairs(tmp_path, videos):
    for number in range(6):
        videos.write_coded(tmp_path / "videos" / f"v{number}.mkv", number, 10)
    config = video_config(tmp_path / "videos", validation_count=12)  # ceil(12 / 8) = 2 videos
    train = build_training_dataset(config, 16)
    validation = build_validation_dataset(config, 16)
    assert [v.name for v in train.videos] == ["v0.mkv", "v1.mkv", "v2.mkv", "v3.mkv"]
    assert len(validation) == 12
    held_out = {videos.decode(validation[i]["source"])[0] for i in range(len(validation))}
    assert held_out == {4, 5}
    again = build_validation_dataset(config, 16)
    assert all(torch.equal(validation[i]["frames"], again[i]["frames"]) for i in range(12))


def test_one_video_gives_no_validation(tmp_path, videos):
    videos.write_coded(tmp_path / "videos" / "v.mkv", 0, 10)
    assert build_validation_dataset(video_config(tmp_path / "videos"), 16) is None
    assert len(build_training_dataset(video_config(tmp_path / "videos"), 16)) == 10


def test_warped_pairs_carry_a_mask(tmp_path, videos):
    for number in range(2):
        videos.write_coded(tmp_path / "videos" / f"v{number}.mkv", number, 10)
    pairs = PairsConfig(warp_video_pairs=True)
    item = build_training_dataset(video_config(tmp_path / "videos", validation_count=0), 32, pairs)[0]
    assert item["source"].shape == item["target"].shape == (3, 32, 32) and item["mask"].shape == (1, 32, 32)
    assert item["mask"].min() < 0.5 < item["mask"].max()  # the boundary discount, warped


def test_warping_a_pair_of_one_image_is_the_still_image_pair():
    maker = build_pair_maker(PairsConfig())
    images = torch.rand(3, 3, 32, 32)
    expected = maker(images, torch.Generator().manual_seed(5))
    pair = maker.warp_pair(images, images.clone(), torch.Generator().manual_seed(5))
    for name in ("source", "target", "mask"):
        assert torch.allclose(getattr(pair, name), getattr(expected, name), atol=1e-6), name
    other = maker.warp_pair(torch.zeros_like(images), images, torch.Generator().manual_seed(5))
    assert torch.equal(other.target, expected.target) and other.source.abs().max() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.source=video-folder"], "'data.root' must name a folder of videos"),
        (["data.source=multi-view"], "image,group CSV"),
        (["data.source=frame-folders", "data.root=x", "data.frame_gap=[5, 3]"], "1 <= min <= max"),
        (["data.source=image-folder", "data.root=x", "data.boxes=b.csv"], "'data.boxes' crops video frames"),
    ],
)
def test_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides)


def test_warping_video_pairs_is_allowed_for_still_images():
    # Still images are always warped: the option concerns ready pairs only, so one config (cpu.yaml)
    # serves folders of photos and folders of frames alike.
    assert load_config(None, ["pairs.warp_video_pairs=true"]).pairs.warp_video_pairs
