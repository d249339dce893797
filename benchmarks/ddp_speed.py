"""Threads or processes on a CPU: ``landmarks fit`` as 1 process of N threads against N DDP processes of 1.

Each run is a real ``landmarks fit`` command (``--config cpu`` by default, built-in synthetic faces,
``trainer.accelerator=cpu``), in a fresh folder, for ``--steps`` optimiser steps:

- ``threads``: one process, ``OMP_NUM_THREADS=N`` (torch's intra-op threads), ``data.batch_size=B``;
- ``ddp``: ``trainer.devices=N trainer.strategy=ddp``, ``OMP_NUM_THREADS=1`` in every process (what
  Lightning's launcher sets by itself when the variable is unset: usable cores // processes), and
  ``data.batch_size=B/N`` per process, so that both train on the same global batch ``B`` (the same
  optimisation; ``--same-per-process-batch`` gives each process ``B`` instead).

``N`` is ``--processes`` (default: the usable cores). The rate is measured between two checkpoints,
written every ``--every`` steps (their file times), so start-up (imports, the precision probe, DDP's
process group, worker start) and the first ``--every`` steps are not counted; validation is off
(``data.validation_count=0``). Runs alternate threads, ddp, ddp, threads, ... for ``--rounds``, and
the medians are compared. Every setting the config gives (data workers, precision ``auto``,
channels-last, logging every ``trainer.log_every`` steps) stays as ``fit`` runs it.

Lightning's ``trainer.devices=auto`` on a CPU is always one process (``CPUAccelerator.auto_device_count``
returns 1); the script prints that next to the ratio.

Usage::

    python benchmarks/ddp_speed.py                              # cpu config, 2 rounds (~3 min on 2 cores)
    python benchmarks/ddp_speed.py --steps 6 --every 2 --rounds 1 model.image_size=32   # a smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from landmarks.data.preloaded import usable_cpus
from landmarks.hardware.cpu_info import cpu_model
from landmarks.training.fit import RUN_DIR_ENV

QUIET = ("trainer.progress_bar=false", "trainer.logger=csv", "trainer.image_every=0",
         "data.validation_count=0", "trainer.accelerator=cpu")


def layout(args, mode: str) -> tuple[int, int]:
    """``(processes, images per process and step)`` of a ``threads`` or ``ddp`` run."""
    if mode == "threads":
        return 1, args.batch_size
    per_process = args.batch_size if args.same_per_process_batch else args.batch_size // args.processes
    return args.processes, per_process


def fit_command(args, run_dir: Path, mode: str) -> tuple[list[str], dict[str, str]]:
    """The ``landmarks fit`` command line and environment of one run."""
    processes, batch = layout(args, mode)
    overrides = [*QUIET, f"trainer.max_steps={args.steps}", f"trainer.checkpoint_every={args.every}",
                 f"data.batch_size={batch}", *args.overrides]
    if mode == "ddp":
        overrides += [f"trainer.devices={processes}", "trainer.strategy=ddp"]
    command = [sys.executable, "-m", "landmarks.cli", "fit", "--config", args.config,
               "--output", str(run_dir), *overrides]
    env = {key: value for key, value in os.environ.items() if key != RUN_DIR_ENV}
    env["OMP_NUM_THREADS"] = str(args.processes if mode == "threads" else 1)
    return command, env


def checkpoint_rate(run_dir: Path, every: int) -> tuple[float, int]:
    """``(seconds per step, steps timed)`` between the first and the last step checkpoint's file times."""
    stamps = sorted((int(path.stem.split("-")[1]), path.stat().st_mtime_ns)
                    for path in (run_dir / "checkpoints").glob("step-*.ckpt"))
    if len(stamps) < 2:
        raise RuntimeError(f"{run_dir}: fewer than two step checkpoints (need --steps >= 2 * --every)")
    (first_step, first_ns), (last_step, last_ns) = stamps[0], stamps[-1]
    return (last_ns - first_ns) / 1e9 / (last_step - first_step), last_step - first_step


def run(args, folder: Path, mode: str, number: int) -> dict:
    run_dir = folder / f"{mode}-{number}"
    command, env = fit_command(args, run_dir, mode)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True,
                            timeout=args.timeout)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{mode} run failed ({result.returncode}):\n{result.stderr[-3000:]}")
    step_s, timed = checkpoint_rate(run_dir, args.every)
    processes, per_process = layout(args, mode)
    images_per_s = per_process * processes / step_s
    print(f"{mode:8s} round {number}: {images_per_s:7.2f} images/s ({step_s:.3f} s a step of "
          f"{per_process * processes} images, {timed} steps timed; {wall:.0f} s in all)", flush=True)
    return {"mode": mode, "images_per_s": images_per_s, "step_s": step_s, "wall_s": wall}


def auto_devices() -> int:
    """What ``trainer.devices=auto`` gives on a CPU (Lightning's rule)."""
    from lightning.pytorch.accelerators import CPUAccelerator

    return CPUAccelerator.auto_device_count()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="config overrides for every run")
    parser.add_argument("--config", default="cpu")
    parser.add_argument("--processes", type=int, default=usable_cpus(), help="N (default: usable cores)")
    parser.add_argument("--batch-size", type=int, default=8, help="global batch B (the cpu config's 8)")
    parser.add_argument("--same-per-process-batch", action="store_true",
                        help="each DDP process trains on B images (global batch N x B)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--every", type=int, default=10, help="steps between the timing checkpoints")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each mode, alternated")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a run is killed")
    args = parser.parse_args(argv)
    if args.processes < 2:
        parser.error(f"--processes must be at least 2 (this process may use {usable_cpus()} cores)")
    if args.batch_size % args.processes and not args.same_per_process_batch:
        parser.error("--batch-size must divide by --processes (or give --same-per-process-batch)")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    order = [mode for number in range(args.rounds)
             for mode in (("threads", "ddp") if number % 2 == 0 else ("ddp", "threads"))]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        counts = dict.fromkeys(("threads", "ddp"), 0)
        for mode in order:
            counts[mode] += 1
            rows.append(run(args, Path(folder), mode, counts[mode]))
    threads, ddp = (statistics.median(r["images_per_s"] for r in rows if r["mode"] == mode)
                    for mode in ("threads", "ddp"))
    n = args.processes
    print(f"{args.config}: 1 process x {n} threads {threads:.2f} images/s | {n} DDP processes x 1 thread "
          f"{ddp:.2f} images/s | ddp/threads {ddp / threads:.2f}x (medians of {args.rounds}) | "
          f"{cpu_model()}, {usable_cpus()} usable cores | trainer.devices=auto gives {auto_devices()} "
          f"process(es) on a CPU")


if __name__ == "__main__":
    main()
