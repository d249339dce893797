"""Kill ``landmarks fit`` with SIGKILL at random moments, resume it each time, and check the run folder.

Issue 19's check: ``$TMPDIR`` on another file system than the run folder (``/dev/shm`` against the
disk), frequent checkpoints, ``--kills`` kills at a random moment of each ``landmarks fit`` process
(every ``--startup-every``-th during start-up, at a random moment up to the time the process took to
start training the last time; the others ``0`` to ``--max-delay`` seconds after the process writes its
first checkpoint, some of them during a checkpoint's save). After every kill:

- every ``*.ckpt`` in the run's ``checkpoints/`` reads (``weights_only=True``): none is partial;
- no file is left in ``$TMPDIR``; the temporary files of a save that the kill cut short
  (``checkpoints/.*.partial``) are counted, and must be gone once the next process has started;
- the next ``landmarks fit --resume RUN`` says it continues from ``last.ckpt`` (or, where that is
  unreadable, from the newest readable checkpoint) at a step no earlier than the newest readable
  checkpoint's.

A kill before the run's first checkpoint leaves nothing to resume: the run is started again with
``--overwrite``. At the end the run is resumed to ``newest step + --final-steps`` and left to finish;
its weights are compared with those of one uninterrupted run of as many steps.

The model is the tests' tiny one (tests/training/conftest.py), so that a step takes milliseconds.

Usage::

    python benchmarks/kill_resume.py --kills 20 --tmpdir /dev/shm/landmarks-kill --output kill-run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from landmarks.errors import WeightsError
from landmarks.hardware.cpu_info import cpu_model
from landmarks.training.checkpoint_io import TEMP_SUFFIX, load_checkpoint_file

TINY = [  # as tests/training/conftest.py
    "model.image_size=32", "model.num_landmarks=4", "model.base_width=4", "model.generator_width=16",
    "model.generator_min_width=4", "data.batch_size=4", "data.synthetic_count=64",
    "data.validation_count=8", "data.num_workers=0", "loss.kind=l2", "model.detector=paper",
    "trainer.progress_bar=false", "trainer.accelerator=cpu", "trainer.devices=1",
    "trainer.checkpoint_every=2", "trainer.log_every=10", "trainer.max_steps=1000000",
]  # fmt: skip
RESUMING = re.compile(r"resuming (\S+) from (\S+)")


def fit_command(run: Path, *, resume: bool, overwrite: bool = False,
                extra: tuple[str, ...] = ()) -> list[str]:
    base = [sys.executable, "-m", "landmarks.cli", "fit"]
    if resume:
        return [*base, "--resume", str(run), *extra]
    return [*base, "--output", str(run), *(["--overwrite"] if overwrite else []), *TINY, *extra]


def checkpoint_states(run: Path) -> dict[str, int | None]:
    """``{name: global_step}`` of every ``*.ckpt`` of the run (None: unreadable)."""
    states = {}
    for path in sorted((run / "checkpoints").glob("*.ckpt")):
        try:
            states[path.name] = int(load_checkpoint_file(path)["global_step"])
        except WeightsError:
            states[path.name] = None
    return states


def partial_files(run: Path) -> list[str]:
    return sorted(path.name for path in (run / "checkpoints").glob(f".*{TEMP_SUFFIX}"))


def temp_files(tmpdir: Path) -> list[str]:
    return sorted(str(path.relative_to(tmpdir)) for path in tmpdir.rglob("*"))


def newest_write(run: Path) -> float:
    """The latest modification time of the run's checkpoints (0 if none)."""
    return max((path.stat().st_mtime for path in (run / "checkpoints").glob("*.ckpt")), default=0.0)


def wait_for_training(run: Path, process: subprocess.Popen, since: float, timeout: float) -> bool:
    """Wait until ``process`` writes a checkpoint after ``since``; False if it ends or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if newest_write(run) > since:
            return True
        time.sleep(0.02)
    return False


def launch(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def run_kills(args: argparse.Namespace, env: dict[str, str]) -> tuple[list[dict], list[str]]:
    rng = random.Random(args.seed)
    run, logs = args.output / "run", args.output / "logs"
    logs.mkdir(parents=True)
    rows, problems = [], []
    startup = 10.0  # seconds from launch to the first checkpoint; measured from the first run on
    for kill in range(args.kills):
        states = checkpoint_states(run) if (run / "checkpoints").is_dir() else {}
        readable = {name: step for name, step in states.items() if step is not None}
        resume = bool(readable)
        log = logs / f"{kill:02d}.log"
        command = fit_command(run, resume=resume, overwrite=(run / "config.yaml").is_file())
        before = newest_write(run)
        launched = time.monotonic()
        process = launch(command, env, log)
        if kill % args.startup_every == args.startup_every - 1:  # during start-up
            delay = rng.uniform(0.0, startup)
            moment = "start-up"
            time.sleep(delay)
        elif wait_for_training(run, process, before, timeout=120.0):
            startup = time.monotonic() - launched
            delay = rng.uniform(0.0, args.max_delay)
            moment = "training"
            time.sleep(delay)
        else:
            delay, moment = 0.0, "no checkpoint within 120 s"
        finished = process.poll() is not None
        if not finished:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        after = checkpoint_states(run) if (run / "checkpoints").is_dir() else {}
        stderr = log.read_text()
        row = dict(kill=kill, started="resume" if resume else "new", moment=moment, delay_s=round(delay, 2),
                   exit=process.returncode, newest_before=max(readable.values(), default=None),
                   newest_after=max((s for s in after.values() if s is not None), default=None),
                   checkpoints=len(after), unreadable=[n for n, s in after.items() if s is None],
                   partial=partial_files(run), tmpdir=temp_files(args.tmpdir), resumed_from=None)
        match = RESUMING.search(stderr)
        if resume:
            if match is None:
                if "Traceback" in stderr or process.returncode not in (-signal.SIGKILL, 0):
                    problems.append(f"kill {kill}: the resume failed: {stderr.strip()[-400:]}")
            else:
                source = Path(match.group(2))
                row["resumed_from"] = source.name
                if states.get(source.name) != max(readable.values()):
                    problems.append(f"kill {kill}: resumed from {source.name} at step "
                                    f"{states.get(source.name)}, not the newest ({max(readable.values())})")
        if finished:
            problems.append(f"kill {kill}: the process ended by itself (status {process.returncode})")
        if row["unreadable"]:
            problems.append(f"kill {kill}: unreadable checkpoints {row['unreadable']}")
        if row["tmpdir"]:
            problems.append(f"kill {kill}: files left in TMPDIR: {row['tmpdir']}")
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows, problems


def uninterrupted_weights(args: argparse.Namespace, env: dict[str, str], steps: int) -> dict:
    straight = args.output / "straight"
    command = fit_command(straight, resume=False, extra=(f"trainer.max_steps={steps}",))
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return load_checkpoint_file(straight / "checkpoints" / "last.ckpt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--max-delay", type=float, default=3.0,
                        help="kill at most this many seconds after the first checkpoint (default 3)")
    parser.add_argument("--startup-every", type=int, default=5, help="every n-th kill during start-up")
    parser.add_argument("--final-steps", type=int, default=20, help="steps the last resume trains")
    parser.add_argument("--seed", type=int, default=0, help="of the kill moments")
    parser.add_argument("--tmpdir", type=Path, default=Path("/dev/shm/landmarks-kill-resume"))
    parser.add_argument("--output", type=Path, default=Path("kill-resume"), help="a new folder")
    parser.add_argument("--json", type=Path, help="write the rows and the outcome here")
    args = parser.parse_args()
    args.output.mkdir(parents=True)
    shutil.rmtree(args.tmpdir, ignore_errors=True)
    args.tmpdir.mkdir(parents=True)
    same_fs = os.stat(args.tmpdir).st_dev == os.stat(args.output).st_dev
    print(f"TMPDIR {args.tmpdir} and {args.output} on {'the same' if same_fs else 'different'} file systems")
    env = {**os.environ, "TMPDIR": str(args.tmpdir), "OMP_NUM_THREADS": "1"}
    started = time.monotonic()
    rows, problems = run_kills(args, env)

    run = args.output / "run"
    newest = max(s for s in checkpoint_states(run).values() if s is not None)
    final_steps = newest + args.final_steps
    log = args.output / "logs" / "final.log"
    status = subprocess.run(fit_command(run, resume=True, extra=(f"trainer.max_steps={final_steps}",)),
                            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT).returncode
    if status != 0:
        problems.append(f"the final resume exited {status}: {log.read_text()[-400:]}")
    if partial_files(run) or temp_files(args.tmpdir):
        problems.append(f"left after the final resume: {partial_files(run)} {temp_files(args.tmpdir)}")
    final = load_checkpoint_file(run / "checkpoints" / "last.ckpt")
    reference = uninterrupted_weights(args, env, final_steps)
    difference = max(float((final["state_dict"][name].float() - value.float()).abs().max())
                     for name, value in reference["state_dict"].items())
    scale = max(float(value.float().abs().max()) for value in reference["state_dict"].values())
    outcome = dict(
        cpu=cpu_model(), torch=torch.__version__, same_file_system=same_fs, kills=len(rows),
        killed_during_save=sum(bool(row["partial"]) for row in rows),
        killed_during_startup=sum(row["moment"] == "start-up" for row in rows),
        resumes=sum(row["started"] == "resume" for row in rows),
        fallbacks=sum(row["resumed_from"] not in (None, "last.ckpt") for row in rows),
        final_step=int(final["global_step"]), max_weight_difference=difference, largest_weight=scale,
        minutes=round((time.monotonic() - started) / 60, 1), problems=problems)
    print(json.dumps(outcome, indent=1))
    if args.json:
        args.json.write_text(json.dumps(dict(rows=rows, outcome=outcome), indent=1) + "\n")
    shutil.rmtree(args.tmpdir, ignore_errors=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
