"""Shared helpers for the training tests: a tiny model config and readers for what a run leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from landmarks.cli import main

# A model small enough that a training step takes milliseconds on a 2-core CPU.
TINY = [
    "model.image_size=32",
    "model.num_landmarks=4",
    "model.base_width=4",
    "model.generator_width=16",
    "model.generator_min_width=4",
    "data.batch_size=4",
    "data.synthetic_count=64",
    "data.validation_count=8",
    "data.num_workers=0",
    "loss.kind=l2",
    "model.detector=paper",  # the demo and cpu configs' ImageNet detector needs a weights file
    "trainer.progress_bar=false",
    "trainer.accelerator=cpu",
    "trainer.devices=1",
]


def run_fit(run_dir: Path, *overrides: str, options: tuple[str, ...] = ()) -> Path:
    """``landmarks fit`` in this process on the tiny config; fails the test unless it exits 0."""
    status = main(["fit", "--output", str(run_dir), *options, *TINY, *overrides])
    assert status == 0, f"landmarks fit exited with {status}"
    return run_dir


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def read_events(run_dir: Path):
    """The run's TensorBoard events, every scalar and image kept."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def scalar_values(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    """``(step, value)`` of every logged value of ``tag``, in step order."""
    return sorted((event.step, event.value) for event in read_events(run_dir).Scalars(tag))


class TrainingHelpers:
    """What the tests of this folder share, handed out by the ``training`` fixture."""

    tiny = TINY
    fit = staticmethod(run_fit)
    checkpoint = staticmethod(load_checkpoint)
    events = staticmethod(read_events)
    scalars = staticmethod(scalar_values)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and much faster than on two when the cores are busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def training() -> TrainingHelpers:
    return TrainingHelpers()
