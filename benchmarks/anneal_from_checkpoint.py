"""Continue a demo checkpoint at a constant or a falling learning rate, evaluated as the demo evaluates.

The question it answers: does lowering the rate at the end of a run (``optim.schedule: anneal``) give
better landmarks than the same number of steps at the constant rate? It loads a checkpoint of a
``demo`` run (model, Adam moments), trains ``--steps`` more steps with the library's ``training_step``,
gradient clipping and Adam in a plain loop (as ``learning_curves.py``), with the rate multiplied by
``1 + (floor - 1) * step / steps`` (``--floor 1``: constant), and evaluates every quarter as the demo
does (least squares from the K learned landmarks to the 5 annotated points, 1000 + 300 held-out faces,
as a ratio to the mean-shape error).

Usage::

    python benchmarks/anneal_from_checkpoint.py RUN/checkpoints/step-0010000.ckpt --steps 1600 --floor 1
    python benchmarks/anneal_from_checkpoint.py RUN/checkpoints/step-0010000.ckpt --steps 1600 --floor 0.1

Each run appends one line to ``benchmarks/results/learning_curves-cpu.jsonl`` (name ``anneal-from-...``);
the written account is ``benchmarks/results/landmark_accuracy-cpu.md``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import torch
from learning_curves import (  # the sibling script
    annotated_faces,
    append_record,
    batches,
    evaluate,
    optimiser_step,
    training_faces,
)

from landmarks.denormals import flush_denormals
from landmarks.training.module import LandmarkLearner

PAIR_SEED = 123  # the continued run's pairs and batch order: the same for every --floor
ORDER_SEED = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, help="a step-NNNNNNN.ckpt of a demo run")
    parser.add_argument("--steps", type=int, default=1600)
    parser.add_argument("--floor", type=float, default=0.1, help="final rate as a fraction (1: constant)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="folder to keep the drawn training faces in")
    args = parser.parse_args()
    if args.steps < 4:
        parser.error("--steps must be at least 4 (it evaluates every quarter)")

    flush_denormals()  # as the command line does, before torch starts its threads
    torch.set_num_threads(args.threads)
    checkpoint = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    learner = LandmarkLearner.load_from_checkpoint(args.checkpoint, map_location="cpu")
    config = learner.config
    learner.setup("fit")
    learner.pair_generator.manual_seed(PAIR_SEED)
    warnings.filterwarnings("ignore", message=".*self.trainer.* reference is not registered")
    optimizer = learner.configure_optimizers()["optimizer"]
    optimizer.load_state_dict(checkpoint["optimizer_states"][0])
    images, annotated = training_faces(config, args.cache), annotated_faces(config)

    learned, baseline = evaluate(learner, config, annotated)
    rows = [{"step": 0, "learned / mean-shape": round(learned / baseline, 4)}]
    print(json.dumps(rows[-1]), flush=True)
    stream = batches(images, config.data.batch_size, ORDER_SEED)
    for step in range(1, args.steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = config.optim.lr * (1 + (args.floor - 1) * step / args.steps)
        optimiser_step(learner, optimizer, next(stream), step - 1)
        if step % (args.steps // 4) == 0:
            learned, baseline = evaluate(learner, config, annotated)
            rows.append({"step": step, "learned / mean-shape": round(learned / baseline, 4)})
            print(json.dumps(rows[-1]), flush=True)
    append_record({"name": f"anneal-from-{checkpoint['global_step']}-floor-{args.floor}",
                   "checkpoint": str(args.checkpoint), "steps": args.steps, "floor": args.floor, "rows": rows,
                   "mean-shape error (%)": round(baseline, 2)})

if __name__ == "__main__":
    main()
