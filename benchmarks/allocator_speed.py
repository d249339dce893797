"""Training steps with glibc's default malloc against ``landmarks.hardware.allocator.keep_freed_memory``.

The setting is process-wide and cannot be undone exactly, so each measurement is a fresh process;
processes with and without it alternate (``--rounds`` of each), so that other work on the machine
disturbs both alike. Each process times ``--steps`` training steps of the ``cpu`` config at each
``--sizes`` (after one untimed step) and counts the page faults they cause (``getrusage``: minor
faults, the kernel mapping a fresh page on first touch), which no other process can disturb.

Usage::

    python benchmarks/allocator_speed.py --sizes 64 128 --rounds 3 --steps 4

Prints one line per size: median step seconds and faults per step, each setting, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import warnings

import torch

SETTINGS = ("glibc-default", "keep-freed")


def child(args) -> None:
    """One process: optionally keep freed memory, then time steps at each size; one JSON line."""
    if args.setting == "keep-freed":
        from landmarks.hardware.allocator import keep_freed_memory

        assert keep_freed_memory(), "not glibc: nothing to measure"
    from train_speed import VARIANTS, Stepper, build_learner, image_batch

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    device, variant = torch.device("cpu"), VARIANTS[args.variant]
    rows = {}
    for size in args.sizes:
        config, learner = build_learner("cpu", variant, args.batch_size, device,
                                        (f"model.image_size={size}",))
        batch, step = image_batch(config, args.batch_size, device), Stepper(learner, variant, device)
        step(batch, 0)
        seconds, faults = [], resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for index in range(args.steps):
            start = time.perf_counter()
            step(batch, index + 1)
            seconds.append(time.perf_counter() - start)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        rows[size] = {"step_s": statistics.median(seconds), "faults_per_step": faults / args.steps}
    print(json.dumps(rows))


def parent(args) -> None:
    """Alternate the two settings in fresh processes; print the medians and ratios per size."""
    results = {setting: [] for setting in SETTINGS}
    for _ in range(args.rounds):
        for setting in SETTINGS:
            command = [sys.executable, __file__, "--child", setting, *sys.argv[1:]]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[setting].append(json.loads(output.strip().splitlines()[-1]))
    for size in map(str, args.sizes):
        seconds = {s: statistics.median(r[size]["step_s"] for r in results[s]) for s in SETTINGS}
        faults = {s: statistics.median(r[size]["faults_per_step"] for r in results[s]) for s in SETTINGS}
        print(f"cpu config at {size} px, batch {args.batch_size}, {args.variant}, {args.threads} thread(s): "
              + ", ".join(f"{s} {seconds[s]:.3f} s/step {faults[s]:.0f} faults/step" for s in SETTINGS)
              + f"; keep-freed {seconds['glibc-default'] / seconds['keep-freed']:.2f}x the steps/s "
              f"({args.rounds} alternating processes each)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variant", default="bf16-cl", help="a train_speed.py variant")
    parser.add_argument("--child", choices=SETTINGS, dest="setting", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setting:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
