"""``landmarks pretrain-lossnet``: run folder, TensorBoard, the saved VGG in ``landmarks fit``, resume."""

from __future__ import annotations

import pytest
import torch
from safetensors import safe_open

from landmarks.cli import main
from landmarks.models.loss_networks import load_torchvision_vgg

# A full-width VGG-16 (the saved file must be one) on 32 px images: about a second a step on a busy CPU.
TINY_LOSSNET = [
    "model.image_size=32",
    "model.head_width=16",
    "data.batch_size=4",
    "data.synthetic_count=32",
    "data.validation_count=4",
    "data.num_workers=0",
    "trainer.log_every=1",
    "trainer.image_every=1",
    "trainer.val_every=2",
    "trainer.checkpoint_every=1000",  # periodic checkpoints are ~180 MB (VGG-16 + Adam): last.ckpt only
    "trainer.progress_bar=false",
    "trainer.accelerator=cpu",
    "trainer.devices=1",
]


def pretrain(*arguments: str) -> int:
    return main(["pretrain-lossnet", *arguments])


# Expected with so few images: Lightning's note that an epoch is shorter than the logging interval.
@pytest.mark.slow  # 10-20 s: a full VGG-16, and a 180 MB checkpoint
@pytest.mark.filterwarnings("ignore:The number of training batches")
def test_saved_network_trains_landmarks(tmp_path, training, capsys):
    run = tmp_path / "lossnet"
    assert (
        pretrain("--config", "lossnet-cpu", "--output", str(run), *TINY_LOSSNET, "trainer.max_steps=2") == 0
    )
    weights = run / "lossnet.safetensors"
    assert f"loss network: {weights}" in capsys.readouterr().out
    assert {path.name for path in run.iterdir()} >= {
        "config.yaml",
        "checkpoints",
        "tensorboard",
        weights.name,
    }
    assert len(load_torchvision_vgg(weights, "vgg16")) == 26  # 13 convs, weight and bias
    events = training.events(run)
    assert {"train/loss", "val/loss"} <= set(events.Tags()["scalars"])
    assert {"train/colourisation", "val/colourisation"} <= set(events.Tags()["images"])
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == 2 and 4.0 < losses[0] < 7.0  # near log Q = 5.6 at the start

    perceptual = [
        "loss.kind=perceptual",
        "loss.network=vgg16",
        f"loss.weights={weights}",
        "trainer.max_steps=2",
    ]
    fitted = training.fit(tmp_path / "fit", *perceptual)
    assert training.checkpoint(fitted / "checkpoints" / "last.ckpt")["global_step"] == 2


@pytest.mark.slow  # 10-20 s: two runs of a full VGG-16
@pytest.mark.filterwarnings("ignore:The number of training batches")
@pytest.mark.filterwarnings("error:You're resuming from a checkpoint that ended before the epoch ended")
def test_resume_continues_the_same_run(tmp_path, training):
    runs = tmp_path / "runs"
    run = runs / "lossnet"
    # NOTE: no validation at the last step before stopping: with one there, Lightning logs the resumed
    # run's first step one step late (a gap in the curve), as for `landmarks fit`.
    # Class rebalancing on: its weights are estimated once and come back with the checkpoint.
    first = [*TINY_LOSSNET, "trainer.max_steps=2", "trainer.val_every=5", "target.rebalance=0.5"]
    assert pretrain("--output", str(run), *first) == 0
    weights = training.checkpoint(run / "checkpoints" / "last.ckpt")["state_dict"]["bin_weights"]
    assert weights.std() > 0
    assert pretrain("--resume", str(run), "trainer.max_steps=3") == 0
    assert [path.name for path in runs.iterdir()] == ["lossnet"]  # no second run folder
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 3
    adam_steps = {float(s["step"]) for s in checkpoint["optimizer_states"][0]["state"].values()}
    assert adam_steps == {3.0}  # Adam's state came back
    assert torch.equal(checkpoint["state_dict"]["bin_weights"], weights)
    assert {"train/loss", "train/cross_entropy"} <= set(training.events(run).Tags()["scalars"])
    assert [step for step, _ in training.scalars(run, "train/loss")] == [0, 1, 2]  # one curve
    with safe_open(str(run / "lossnet.safetensors"), "pt") as handle:
        assert handle.metadata()["steps"] == "3"  # written again at the end


def test_bad_invocations_are_one_line_errors(tmp_path, capsys):
    assert pretrain("--config", "lossnet-gpu", "--output", str(tmp_path / "gpu")) == 2
    assert "--data-root" in capsys.readouterr().err
    assert pretrain("--config", "lossnet-cpu", "--resume", str(tmp_path)) == 2
    assert "either --config or --resume" in capsys.readouterr().err
    assert pretrain("--config", "cpu") == 2  # a `landmarks fit` config
    assert "unknown config key" in capsys.readouterr().err
    assert pretrain("--config", "lossnet-cpu", "model.hypercolumn_blocks=[2,3]") == 2
    assert "include 5" in capsys.readouterr().err
    assert not (tmp_path / "gpu").exists()
