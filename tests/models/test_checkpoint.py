import pytest
import torch

from landmarks.config import ExperimentConfig, ModelConfig
from landmarks.config_loading import to_dict
from landmarks.errors import WeightsError
from landmarks.models import build_model
from landmarks.models.checkpoint import load_trained_model

SMALL = ModelConfig(image_size=32, num_landmarks=3, base_width=4, generator_width=8, generator_min_width=4)


def _write_checkpoint(path, model, config):
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    state["loss.running_means"] = torch.ones(1)
    torch.save({"hyper_parameters": {"config": to_dict(config)}, "state_dict": state, "global_step": 7}, path)


def test_round_trip_gives_the_same_landmarks(tmp_path):
    config = ExperimentConfig(model=SMALL)
    model = build_model(SMALL).eval()
    _write_checkpoint(tmp_path / "a.ckpt", model, config)
    trained = load_trained_model(tmp_path / "a.ckpt")
    images = torch.rand(2, 3, 32, 32)
    assert trained.step == 7 and trained.config == config and not trained.model.training
    torch.testing.assert_close(trained.model.detect(images).keypoints, model.detect(images).keypoints)


def test_run_folder_resolves_to_last_checkpoint(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    _write_checkpoint(
        tmp_path / "checkpoints" / "last.ckpt", build_model(SMALL), ExperimentConfig(model=SMALL)
    )
    assert load_trained_model(tmp_path).config.model == SMALL


@pytest.mark.parametrize(
    "content, message", [(None, "does not exist"), (b"not a checkpoint", "not a readable")]
)
def test_bad_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.ckpt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsError, match=message):
        load_trained_model(path)


def test_weights_of_another_size_are_rejected(tmp_path):
    other = ModelConfig(
        image_size=32, num_landmarks=5, base_width=4, generator_width=8, generator_min_width=4
    )
    _write_checkpoint(tmp_path / "a.ckpt", build_model(other), ExperimentConfig(model=SMALL))
    with pytest.raises(WeightsError, match="do not match"):
        load_trained_model(tmp_path / "a.ckpt")
