"""Landmark accuracy on the built-in synthetic faces after a fixed number of training steps, per variant.

Each variant is the ``demo`` config plus overrides (the loss and its network, the schedule, ...). It is
trained for ``--steps`` steps with ``landmarks fit`` (a fixed step count, not a time budget, so that the
result does not depend on how busy the machine is), then evaluated as the demo evaluates: linear
regression (least squares, no bias) from the K learned landmarks to the 5 annotated points, fitted on
1000 held-out faces and scored on 300 others, error in % of the inter-ocular distance, beside the
mean-training-shape baseline. The seconds per step of each variant are measured separately on one
fixed batch (``--time-steps``), so that "steps" can be turned into "minutes" on a quiet machine.

Usage::

    python benchmarks/landmark_accuracy.py --variants pixel-l2 mobilenet-early --steps 2700 \\
        --mobilenet ~/weights/mobilenet_v2-b0353104.pth
    python benchmarks/landmark_accuracy.py --variants colourisation --colourisation RUN/lossnet.safetensors

Results are merged into ``benchmarks/results/landmark_accuracy-cpu.json``, and its rows written as a table
to ``landmark_accuracy-cpu-runs.md`` (``landmark_accuracy-cpu.md`` is the written account, not overwritten).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import torch

from landmarks.config_loading import load_config
from landmarks.evaluation.annotations import read_annotations
from landmarks.evaluation.evaluate_model import ProtocolOptions, evaluate_checkpoint
from landmarks.synthetic.faces import (
    SYNTHETIC_FACE_EYES,
    SYNTHETIC_FACE_POINT_NAMES,
    write_synthetic_faces,
)
from landmarks.training.fit import fit
from landmarks.training.module import LandmarkLearner

RESULTS_DIR = Path(__file__).parent / "results"
REGRESSION_IMAGES, TEST_IMAGES = 1000, 300  # as the demo
# The table was measured at batch 16 (the demo's earlier batch); a variant may override it.
BASE = ["data.batch_size=16"]
EARLY_MOBILENET = ["loss.layers=[input,block1,block3,block6]", "loss.initial_means=[100,0.09,0.16,0.19]"]
# VGG-16's first three blocks (strides 1, 2, 4) and their released starting means, for 32 px images.
EARLY_VGG = ["loss.layers=[input,conv1_2,conv2_2,conv3_2]", "loss.initial_means=[100,1.6,2.3,1.8]"]

# name -> (overrides, which weights file it needs: None, "mobilenet" or "colourisation")
VARIANTS: dict[str, tuple[list[str], str | None]] = {
    "pixel-l2": (["loss.kind=l2"], None),
    "pixel-l2-cosine": (["loss.kind=l2", "optim.schedule=cosine"], None),
    "mobilenet": (["loss.kind=perceptual", "loss.network=mobilenet_v2"], "mobilenet"),
    "mobilenet-early": (["loss.kind=perceptual", "loss.network=mobilenet_v2", *EARLY_MOBILENET], "mobilenet"),
    "mobilenet-early-64": (
        ["loss.kind=perceptual", "loss.network=mobilenet_v2", *EARLY_MOBILENET, "loss.network_input_size=64"],
        "mobilenet",
    ),
    "mobilenet-early-64-batch8": (
        [
            "loss.kind=perceptual",
            "loss.network=mobilenet_v2",
            *EARLY_MOBILENET,
            "loss.network_input_size=64",
            "data.batch_size=8",
        ],
        "mobilenet",
    ),
    "mobilenet-early-cosine": (
        ["loss.kind=perceptual", "loss.network=mobilenet_v2", *EARLY_MOBILENET, "optim.schedule=cosine"],
        "mobilenet",
    ),
    "mobilenet-early-random": (
        ["loss.kind=perceptual", "loss.network=mobilenet_v2", *EARLY_MOBILENET, "loss.random_weights=true"],
        None,
    ),
    "colourisation": (["loss.kind=perceptual", "loss.network=vgg16"], "colourisation"),
    "colourisation-early": (["loss.kind=perceptual", "loss.network=vgg16", *EARLY_VGG], "colourisation"),
    # The same architecture untrained: what the colourisation pretraining adds.
    "vgg16-early-random": (
        ["loss.kind=perceptual", "loss.network=vgg16", *EARLY_VGG, "loss.random_weights=true"],
        None,
    ),
    # Table 2 at the demo's scale (docs/reproduce.md): the keypoint bottleneck (the demo's K) against the
    # fully-connected one of d = 10, 20, 60, all with the early-MobileNet perceptual loss; and that loss
    # against the released-scaled pixel losses, with and without the adversarial term.
    **{f"table2-dense-d{d}": (["loss.kind=perceptual", "loss.network=mobilenet_v2", *EARLY_MOBILENET,
                                "model.detector=paper", "model.bottleneck=dense",
                                f"model.bottleneck_dim={d}"], "mobilenet") for d in (10, 20, 60)},
    "table2-keypoints": (["loss.kind=perceptual", "loss.network=mobilenet_v2", *EARLY_MOBILENET,
                          "model.detector=paper"], "mobilenet"),
    **{f"table2-{kind}{adv}": ([f"loss.kind={kind}", "loss.pixel_scaling=released", "model.detector=paper",
                                *(["loss.adversarial_weight=10"] if adv else [])], None)
       for kind in ("l1", "l2") for adv in ("", "-adv")},
}


def annotated_sets(folder: Path, config) -> tuple:
    """The demo's regression and test faces (rendered once into ``folder``)."""
    first = config.data.synthetic_count + config.data.validation_count
    size, seed = config.model.image_size * 2, config.data.synthetic_seed
    train_csv, test_csv = folder / "train.csv", folder / "test.csv"
    if not (train_csv.is_file() and test_csv.is_file()):
        write_synthetic_faces(folder, REGRESSION_IMAGES, size, seed, "train", start=first)
        write_synthetic_faces(folder, TEST_IMAGES, size, seed, "test", start=first + REGRESSION_IMAGES)
    return tuple(
        replace(read_annotations(csv, folder), point_names=SYNTHETIC_FACE_POINT_NAMES)
        for csv in (train_csv, test_csv)
    )


def seconds_per_step(overrides: list[str], steps: int) -> float:
    """Median seconds of one training step (pairs, networks, loss, backward, Adam) on a fixed batch."""
    config = load_config("demo", [*BASE, *overrides])
    learner = LandmarkLearner.from_config(config)
    optimizer = learner.configure_optimizers()["optimizer"]
    images = torch.rand(config.data.batch_size, 3, config.model.image_size, config.model.image_size)
    times = []
    for index in range(steps + 1):
        started = time.perf_counter()
        loss = learner.training_step({"image": images}, index)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - started)
    return sorted(times[1:])[len(times[1:]) // 2]


def run_variant(name: str, overrides: list[str], steps: int, work: Path, train, test) -> dict:
    config = load_config(
        "demo", [*BASE, *overrides, f"trainer.max_steps={steps}", "trainer.progress_bar=false"]
    )
    run_dir = work / name
    started = time.monotonic()
    fit(config, run_dir=run_dir)
    train_minutes = (time.monotonic() - started) / 60
    options = ProtocolOptions(eye_indices=SYNTHETIC_FACE_EYES, draws=1)
    result = evaluate_checkpoint(
        run_dir, train=train, test=test, options=options, output_dir=run_dir / "evaluation"
    )
    errors = {s.name: s.normalised_error for s in [result.regression, *result.baselines]}
    learned, mean_shape = errors["regression"], errors["mean training shape"]
    return {
        "overrides": overrides,
        "steps": steps,
        "learned error (%)": round(learned, 2),
        "mean-shape error (%)": round(mean_shape, 2),
        "learned / mean-shape": round(learned / mean_shape, 3),
        "train minutes (this run, machine shared)": round(train_minutes, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=["pixel-l2"])
    parser.add_argument("--steps", type=int, default=2700)
    parser.add_argument("--time-steps", type=int, default=10, help="steps timed for seconds per step")
    parser.add_argument("--mobilenet", type=Path, help="torchvision's mobilenet_v2-b0353104.pth")
    parser.add_argument(
        "--colourisation", type=Path, help="a lossnet.safetensors of pretrain-lossnet (VGG-16)"
    )
    parser.add_argument("--work", type=Path, default=Path("runs/landmark_accuracy"))
    args = parser.parse_args()

    files = {"mobilenet": args.mobilenet, "colourisation": args.colourisation}
    args.work.mkdir(parents=True, exist_ok=True)
    train, test = annotated_sets(args.work / "annotated", load_config("demo"))
    results_path = RESULTS_DIR / "landmark_accuracy-cpu.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {"rows": {}}
    for name in args.variants:
        overrides, needs = VARIANTS[name]
        if needs is not None:
            if files[needs] is None:
                parser.error(f"variant {name} needs --{needs}")
            overrides = [*overrides, f"loss.weights={files[needs].expanduser()}"]
        row = run_variant(name, overrides, args.steps, args.work, train, test)
        # Timed at the variant's own batch (16 unless it overrides data.batch_size).
        row["batch"] = load_config("demo", [*BASE, *overrides]).data.batch_size
        row["seconds per step (fixed batch)"] = round(seconds_per_step(overrides, args.time_steps), 4)
        row["date"] = datetime.datetime.now().isoformat(timespec="minutes")
        row["load average"] = os.getloadavg()[0]
        results["rows"][name] = row
        print(name, json.dumps(row))
    results["machine"] = {
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "landmark_accuracy-cpu-runs.md").write_text(markdown(results))


def markdown(results: dict) -> str:
    lines = [
        "| variant | steps | batch | learned error (%) | mean-shape (%) | ratio | s/step |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results["rows"].items():
        lines.append(
            f"| {name} | {row['steps']} | {row.get('batch', 16)} | {row['learned error (%)']} | "
            f"{row['mean-shape error (%)']} | {row['learned / mean-shape']} | "
            f"{row.get('seconds per step (fixed batch)', '')} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
