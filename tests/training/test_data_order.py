"""The training data's order and its position in checkpoints: a resumed run draws the same batches."""

from __future__ import annotations

import hashlib

import pytest
import torch

from landmarks.cli import main
from landmarks.training.data_order import (
    DataPosition,
    ResumableLoader,
    ResumableOrder,
    epoch_order,
    process_share,
)
from landmarks.training.module import LandmarkLearner

# 24 synthetic training faces in batches of 4: 6 batches an epoch.
SMALL_EPOCH = ["data.synthetic_count=24", "data.validation_count=4"]


def test_each_epoch_has_its_own_fixed_order():
    assert torch.equal(epoch_order(10, seed=3, epoch=1), epoch_order(10, seed=3, epoch=1))
    assert not torch.equal(epoch_order(10, seed=3, epoch=1), epoch_order(10, seed=3, epoch=2))
    assert sorted(epoch_order(10, seed=3, epoch=1).tolist()) == list(range(10))


def test_processes_share_an_epoch_like_distributed_sampler():
    order = torch.tensor([5, 3, 0, 4, 1, 2, 6])
    shares = [process_share(order, rank, 3).tolist() for rank in range(3)]
    assert shares == [[5, 4, 6], [3, 1, 5], [0, 2, 3]]  # padded with the order's first indices


def test_the_loader_continues_from_its_position_and_moves_on_a_whole_epoch():
    data = torch.arange(10)
    loader = ResumableLoader(data, ResumableOrder(10, batch_size=3, seed=0))  # 3 batches an epoch
    assert len(loader) == 3
    epoch0 = [batch.tolist() for batch in loader]
    assert [index for batch in epoch0 for index in batch] == epoch_order(10, 0, 0)[:9].tolist()
    assert loader.state_dict() == {"epoch": 0, "batch": 3, "count": 10, "world_size": 1}

    batches = iter(loader)  # epoch 1
    first = next(batches).tolist()
    state = loader.state_dict()
    assert state["epoch"] == 1 and state["batch"] == 1
    rest = [batch.tolist() for batch in batches]

    resumed = ResumableLoader(data, ResumableOrder(10, batch_size=3, seed=0))
    resumed.load_state_dict(state)
    assert len(resumed) == 3  # a whole epoch's length, as Lightning expects
    assert [batch.tolist() for batch in resumed] == rest
    assert first + [i for batch in rest for i in batch] == epoch_order(10, 0, 1)[:9].tolist()


def test_too_few_images_for_every_process_is_an_error():
    from landmarks.config import DataConfig
    from landmarks.errors import DataError
    from landmarks.training.data import LandmarkData

    data = LandmarkData(DataConfig(synthetic_count=6, validation_count=0, batch_size=4, num_workers=0), 32)
    data.setup("fit")  # enough for one process
    data.trainer = type("TwoProcesses", (), {"global_rank": 1, "world_size": 2})()
    with pytest.raises(DataError, match="6 training images give each of 2 processes fewer than one batch"):
        data.train_dataloader()


def test_a_position_in_other_data_is_ignored(caplog):
    loader = ResumableLoader(torch.arange(10), ResumableOrder(10, batch_size=3, seed=0))
    loader.load_state_dict({"epoch": 2, "batch": 2, "count": 12, "world_size": 1})
    assert loader.order.position == DataPosition(2, 0)
    assert "12 training items" in caplog.text


@pytest.fixture
def batch_streams(monkeypatch):
    """Fingerprints of the images of every training batch, one list per fit() call."""
    streams: list[list[str]] = []
    fresh = LandmarkLearner.on_train_start
    step = LandmarkLearner.training_step

    def start(self):
        streams.append([])
        fresh(self)

    def recording_step(self, batch, batch_idx):
        streams[-1].append(hashlib.sha1(batch["image"].numpy().tobytes()).hexdigest()[:12])
        return step(self, batch, batch_idx)

    monkeypatch.setattr(LandmarkLearner, "on_train_start", start)
    monkeypatch.setattr(LandmarkLearner, "training_step", recording_step)
    return streams


@pytest.mark.parametrize(
    ("stop", "resume_from"),
    [
        (4, "last.ckpt"),  # mid-epoch, at the end of a run (FinalCheckpoint)
        (6, "last.ckpt"),  # at the end of the first epoch
        (9, "step-0000003.ckpt"),  # a periodic checkpoint, as after a kill: steps 4-9 are redone
        (9, "step-0000006.ckpt"),  # a periodic checkpoint on an epoch's last batch
    ],
)
def test_a_resumed_run_draws_the_batches_of_an_uninterrupted_one(tmp_path, training, batch_streams, stop,
                                                                  resume_from):
    steps = ["trainer.checkpoint_every=3", "trainer.log_every=100"]
    straight = training.fit(tmp_path / "straight", "trainer.max_steps=14", *SMALL_EPOCH, *steps)
    run = training.fit(tmp_path / "run", f"trainer.max_steps={stop}", *SMALL_EPOCH, *steps)
    checkpoint = run / "checkpoints" / resume_from
    resumed_at = training.checkpoint(checkpoint)["global_step"]
    assert main(["fit", "--resume", str(checkpoint), "trainer.max_steps=14"]) == 0

    uninterrupted, first, second = batch_streams
    assert len(uninterrupted) == 14 and len(set(uninterrupted[:6])) == 6
    assert first == uninterrupted[:stop]
    assert second == uninterrupted[resumed_at:]  # the same batches, in the same order
    final = training.checkpoint(run / "checkpoints" / "last.ckpt")
    expected = training.checkpoint(straight / "checkpoints" / "last.ckpt")
    assert final["global_step"] == 14
    for name, value in expected["state_dict"].items():  # same pairs, same batches: the same weights
        torch.testing.assert_close(final["state_dict"][name], value, rtol=1e-4, atol=1e-5)


def test_the_order_is_the_same_with_loader_workers(tmp_path, training, batch_streams):
    """Workers fetch ahead of the training loop; the position counts what the loop was handed."""
    run = training.fit(tmp_path / "run", "trainer.max_steps=4", "data.num_workers=1", *SMALL_EPOCH)
    assert main(["fit", "--resume", str(run), "trainer.max_steps=8"]) == 0
    training.fit(tmp_path / "straight", "trainer.max_steps=8", *SMALL_EPOCH)  # no workers
    first, second, straight = batch_streams
    assert first + second == straight
