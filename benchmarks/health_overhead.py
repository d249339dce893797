"""The cost of the keypoint-health signal per training step: Lightning fits with and without it.

Each fit logs on every step (``trainer.log_every=1``, the worst case), so the difference of the
median step times is the cost of one health check (one extra detector pass on the source, the
metrics, eight ``self.log`` calls and a CSV row); with ``log_every`` N a run pays it once per N steps.
Fits with and without alternate, to spread the drift of a shared machine over both.
``--components`` instead times the check alone against a training step's pairs, forward, loss and
backward, without Lightning (no ``self.log`` calls).

Usage::

    python benchmarks/health_overhead.py --config demo --steps 40 --repeats 2
    python benchmarks/health_overhead.py --config cpu --components --steps 12
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import lightning as L
import torch

from landmarks.config_loading import load_config
from landmarks.evaluation.health import keypoint_health
from landmarks.training.fit import fit
from landmarks.training.module import LandmarkLearner

SKIPPED_STEPS = 5  # the first steps warm up allocators and caches


class StepTimer(L.Callback):
    """Wall-clock seconds of every training batch (Lightning's whole step, callbacks included)."""

    def __init__(self):
        self.seconds: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def median_step(config_name: str, steps: int, health: bool, overrides: list[str]) -> float:
    """Median seconds per step of one fit of ``steps`` steps, with or without the health check."""
    timer = StepTimer()
    config = load_config(config_name, [f"trainer.max_steps={steps}", "trainer.log_every=1",
                                       "trainer.progress_bar=false", "data.num_workers=0", *overrides])
    original = L.Trainer.__init__

    def with_timer(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "callbacks": [*kwargs["callbacks"], timer]})

    no_health = mock.patch.object(LandmarkLearner, "_log_health", lambda *args: None)
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(L.Trainer, "__init__", with_timer):
        with no_health if not health else mock.MagicMock():
            fit(config, run_dir=Path(folder) / "run")
    return statistics.median(timer.seconds[SKIPPED_STEPS:])


def component_times(config_name: str, steps: int, overrides: list[str]) -> tuple[list[float], list[float]]:
    """Seconds of ``steps`` training steps (no optimiser) and of the health check after each."""
    config = load_config(config_name, overrides)
    learner = LandmarkLearner.from_config(config)
    learner.setup("fit")
    size = config.model.image_size * config.pairs.supersample
    batch = {"image": torch.rand(config.data.batch_size, 3, size, size)}
    generator = torch.Generator().manual_seed(0)
    step_seconds, check_seconds = [], []
    for _ in range(steps):
        start = time.perf_counter()
        pair = learner.make_pair(batch, generator)
        output = learner._forward(pair)
        learner.loss(output.reconstruction.float(), pair.target, pair.mask).total.backward()
        middle = time.perf_counter()
        with torch.no_grad():
            keypoint_health(output.keypoints, *learner._equivariance_pair(pair, output.keypoints))
        step_seconds.append(middle - start)
        check_seconds.append(time.perf_counter() - middle)
    return step_seconds[SKIPPED_STEPS:], check_seconds[SKIPPED_STEPS:]


def report_components(config_name: str, steps: int, overrides: list[str]) -> None:
    step_seconds, check_seconds = component_times(config_name, steps, overrides)
    print(f"{config_name}: step (pairs, forward, loss, backward) median "
          f"{1000 * statistics.median(step_seconds):.1f} ms; health check median "
          f"{1000 * statistics.median(check_seconds):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="demo")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--components", action="store_true", help="time the check alone, no Lightning")
    parser.add_argument("overrides", nargs="*", default=["loss.random_weights=true"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.components:
        report_components(args.config, args.steps, args.overrides)
        return
    times = {True: [], False: []}
    for _ in range(args.repeats):
        for health in (False, True):
            times[health].append(median_step(args.config, args.steps, health, args.overrides))
    without, with_health = min(times[False]), min(times[True])
    print(f"{args.config}: median step {1000 * without:.1f} ms without the health check, "
          f"{1000 * with_health:.1f} ms with it on every step (+{1000 * (with_health - without):.1f} ms); "
          f"all medians (ms): without {[round(1000 * t, 1) for t in times[False]]}, "
          f"with {[round(1000 * t, 1) for t in times[True]]}")


if __name__ == "__main__":
    main()
