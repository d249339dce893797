"""Learning curves of the demo model: the library's training step in a plain loop, evaluated as it trains.

Each run is the ``demo`` config plus overrides, trained for ``--steps`` steps on preloaded synthetic
faces with ``LandmarkLearner``'s own ``training_step``, gradient clipping and Adam (as Lightning's
automatic optimisation calls them, without a ``Trainer``: no checkpoints, logging or validation), and
evaluated every ``--every`` steps as the demo evaluates: least squares without bias from the K learned
landmarks to the 5 annotated points, fitted on 1000 held-out faces and scored on 300 others, as a
ratio to the mean-training-shape error. Runs are cheap enough to run two at a time on a 2-core machine
(``--threads 1`` each), which is how the recorded curves were measured; the milliseconds per step are
then those of one core shared with another run.

Usage::

    python benchmarks/learning_curves.py base --steps 8000 --every 2000 --threads 1
    python benchmarks/learning_curves.py supersample-2 pairs.supersample=2 trainer.seed=1
    python benchmarks/learning_curves.py plain-32 pairs.supersample=1 --cache /tmp/faces

Each run appends one line to ``benchmarks/results/learning_curves-cpu.jsonl`` (name, overrides, machine,
and the ratio, error and milliseconds per step at every evaluation). The written account of the
recorded runs is ``benchmarks/results/landmark_accuracy-cpu.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from landmarks.config_loading import load_config
from landmarks.data.preloaded import PreloadedImages
from landmarks.data.preprocess import ResizeSpec
from landmarks.denormals import flush_denormals
from landmarks.evaluation import protocol
from landmarks.evaluation.extract import extract_landmarks
from landmarks.synthetic.faces import SYNTHETIC_FACE_EYES, SyntheticFaces, synthetic_face
from landmarks.training.data import data_image_size
from landmarks.training.module import LandmarkLearner

RESULTS = Path(__file__).parent / "results" / "learning_curves-cpu.jsonl"
REGRESSION_IMAGES, TEST_IMAGES = 1000, 300  # as the demo
ANNOTATED_SIZE = 64  # as the demo: twice the model's 32 px, resized to it like any image


def training_faces(config, cache: Path | None) -> torch.Tensor:
    """``(N, 3, s, s)`` uint8 training faces at the data module's size ``s``, kept in ``cache`` if given."""
    size, count = data_image_size(config), config.data.synthetic_count
    path = None if cache is None else cache / f"faces-{config.data.synthetic_seed}-{size}px-{count}.pt"
    if path is not None and path.is_file():
        return torch.load(path)
    faces = SyntheticFaces(count, size, seed=config.data.synthetic_seed)
    images = PreloadedImages(faces, workers=2, name="synthetic faces").images
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(images, path)
    return images


def annotated_faces(config) -> tuple[np.ndarray, ...]:
    """The demo's regression and test faces: images ``(N, 64, 64, 3)`` uint8 and points ``(N, 5, 2)``."""
    first = config.data.synthetic_count + config.data.validation_count
    seed = config.data.synthetic_seed

    def render(start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        images, points = zip(*[synthetic_face(seed, start + i, ANNOTATED_SIZE) for i in range(count)],
                              strict=True)
        return np.stack(images), np.stack(points)

    return (*render(first, REGRESSION_IMAGES), *render(first + REGRESSION_IMAGES, TEST_IMAGES))


def evaluate(learner: LandmarkLearner, config, annotated) -> tuple[float, float]:
    """``(learned error, mean-shape error)`` in % of the inter-ocular distance, by the demo's protocol."""
    train_images, train_points, test_images, test_points = annotated
    model = learner.model.eval()
    spec = ResizeSpec(config.model.image_size, config.data.resize, config.data.resize_to)

    def keypoints(images: torch.Tensor) -> torch.Tensor:
        if config.trainer.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return model.detect(images).keypoints

    train = extract_landmarks(keypoints, list(train_images), spec, batch_size=100, progress=False)
    test = extract_landmarks(keypoints, list(test_images), spec, batch_size=100, progress=False)
    model.train()
    result = protocol.evaluate(train, train_points, test, test_points, eye_indices=SYNTHETIC_FACE_EYES,
                               sample_sizes=(), draws=1)
    errors = {scores.name: scores.normalised_error for scores in [result.regression, *result.baselines]}
    return errors["regression"], errors["mean training shape"]


def batches(images: torch.Tensor, batch_size: int, seed: int) -> Iterator[dict[str, torch.Tensor]]:
    """Endless batches ``{"image": (B, 3, s, s)}`` float in ``[0, 1]`` of the ``(N, 3, s, s)`` uint8 faces:
    a new random order every epoch, and an epoch's last partial batch dropped, as the data loader does."""
    order = torch.Generator().manual_seed(seed)
    while True:
        permutation = torch.randperm(len(images), generator=order)
        for start in range(0, len(images) - batch_size + 1, batch_size):
            yield {"image": images[permutation[start : start + batch_size]].float().div_(255.0)}


def optimiser_step(learner: LandmarkLearner, optimizer: torch.optim.Optimizer, batch: dict,
                   index: int) -> None:
    """One step as Lightning's automatic optimisation runs it: loss, backward, the config's clipping, Adam."""
    loss = learner.training_step(batch, index)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    learner.configure_gradient_clipping(optimizer)
    optimizer.step()


def append_record(record: dict) -> None:
    """Append one run to ``RESULTS``, with the date and the machine."""
    record = {**record, "date": datetime.date.today().isoformat(),
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                         f"torch {torch.__version__}"}
    with RESULTS.open("a") as handle:
        handle.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the run's name in the results file")
    parser.add_argument("overrides", nargs="*", help="demo config overrides, dotted.key=value")
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--every", type=int, default=2000, help="steps between evaluations")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: two runs side by side)")
    parser.add_argument("--cache", type=Path, help="folder to keep the drawn training faces in")
    args = parser.parse_intermixed_args()

    flush_denormals()  # as the command line does, before torch starts its threads
    torch.set_num_threads(args.threads)
    config = load_config("demo", args.overrides)
    if config.optim.schedule == "plateau":
        parser.error("optim.schedule=plateau needs a Trainer (validation); "
                     "use benchmarks/landmark_accuracy.py, which trains with Lightning")
    torch.manual_seed(config.trainer.seed)
    images = training_faces(config, args.cache)
    annotated = annotated_faces(config)
    learner = LandmarkLearner.from_config(config)
    learner.setup("fit")
    # The module logs through its Trainer; there is none here, and the loop keeps its own numbers.
    warnings.filterwarnings("ignore", message=".*self.trainer.* reference is not registered")
    optimization = learner.configure_optimizers()
    optimizer = optimization["optimizer"]
    scheduler = optimization.get("lr_scheduler", {}).get("scheduler")  # stepped every step
    # The budget schedules (cosine, the demo's anneal) run over --steps: without a Trainer the learner
    # counts neither steps nor time.
    done = [0]
    learner.budget_progress = lambda: done[0] / args.steps
    stream = batches(images, config.data.batch_size, config.trainer.seed)
    rows, seconds = [], 0.0
    for step in range(1, args.steps + 1):
        done[0] = step
        batch = next(stream)
        started = time.perf_counter()
        optimiser_step(learner, optimizer, batch, step - 1)
        if scheduler is not None:
            scheduler.step()
        seconds += time.perf_counter() - started
        if step % args.every == 0 or step == args.steps:
            learned, baseline = evaluate(learner, config, annotated)
            rows.append({"step": step, "learned / mean-shape": round(learned / baseline, 4),
                         "learned error (%)": round(learned, 2),
                         "ms per step": round(1000 * seconds / step, 1)})
            print(args.name, json.dumps(rows[-1]), flush=True)
    append_record({"name": args.name, "overrides": args.overrides, "threads": args.threads, "rows": rows,
                   "mean-shape error (%)": round(baseline, 2)})

if __name__ == "__main__":
    main()
