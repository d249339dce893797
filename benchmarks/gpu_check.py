"""GPU figures in one run (issue 17, item 6): training and detection images/s, the paper's wall time.

Meant to be run once on a lent GPU machine, without network, in under 8 minutes::

    OUT=/some/folder python benchmarks/gpu_check.py     # writes $OUT/train_speed-cuda.md and .json

Without a CUDA device it says so and exits with status 2, measuring nothing.

What it measures, in this order (a step that would likely end after ``--budget`` seconds, 450 by default,
is skipped and the table says so; the files are rewritten after every step):

1. Training images/s of the ``default`` config (128 px, the paper's model, VGG-19 perceptual loss with
   random weights: the same cost without the weights file) at batch ``--batch-size`` (50, the
   released code's), one step as Lightning runs it (``train_speed.Stepper``: TPS pairs on the GPU,
   forward, loss, backward, clipping, Adam), data excluded: float32 eager (``trainer.precision=32-true``),
   ``auto`` eager (what ``trainer.precision: auto`` chooses on this GPU: bfloat16 autocast from
   compute capability 8.0), both again with ``trainer.compile=true`` (the three networks compiled, as
   ``fit`` does). The issue's goal: at least 1,000 images/s on an H100.
2. The paper's CelebA schedule, 150,000 steps of batch 50 (``celeba-k10.yaml``), extrapolated from
   each row's step time (training steps only: no data loading, validation or checkpoints).
3. The training data of ``default`` as ``fit`` loads it, in pairs/s: its built-in synthetic faces and
   CelebA-sized JPEGs read as ``--data celeba`` (a small fixture), with the config's
   ``data.num_workers`` and with ``--workers`` (one per core): whether they can feed the GPU.
4. If time is left: ``auto`` with channels-last, and ``auto`` + channels-last + the loss network
   compiled too.
5. Detector images/s at 128 px (``LandmarkDetector`` of ``default`` on this GPU), ``auto`` and float32:
   the network alone on batches already on the GPU, and ``detect`` end to end from uint8 images in
   memory (resize on the CPU, as ``landmarks.load(...).detect`` runs it).

The markdown is ready to paste into ``benchmarks/results/train_speed-cuda.md``. ``--device cpu`` runs
the same code on the CPU with a tiny model (``--smoke``) to check the script itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import data_fixtures as fixtures  # beside this file, as data_throughput and train_speed
import numpy as np
import torch
from data_throughput import SOURCES, measure_source, source_config
from train_speed import Stepper, Variant, build_learner, synchronize

from landmarks.config_loading import load_config
from landmarks.data.preprocess import ResizeSpec
from landmarks.hardware.cpu_info import cpu_model
from landmarks.hardware.precision import choose_precision
from landmarks.inference.detector import LandmarkDetector
from landmarks.models import build_model

# Generous guesses of a measurement's seconds on an H100, so that the run ends within --budget.
EAGER_S, COMPILED_S, DATA_S = 40, 150, 60
PAPER_STEPS = 150_000  # configs/celeba-k10.yaml: trainer.max_steps, batch 50
SMOKE = ("model.image_size=32", "model.base_width=4", "model.generator_width=16",
         "model.generator_min_width=4", "loss.kind=l2")


def variants(device: torch.device, image_size: int) -> list[Variant]:
    """float32 and ``auto``, eager and compiled, then channels-last ones: most wanted first."""
    auto = choose_precision("auto", device, image_size)
    dtype = None if auto.autocast_dtype is None else str(auto.autocast_dtype).removeprefix("torch.")
    name = f"auto ({auto.precision})"
    return [
        Variant("fp32", "32-true, eager"),
        Variant("auto", f"{name}, eager", autocast=dtype),
        Variant("fp32-compile", "32-true, trainer.compile", compile_networks=True),
        Variant("auto-compile", f"{name}, trainer.compile", autocast=dtype, compile_networks=True),
        Variant("auto-cl", f"{name}, channels-last", autocast=dtype, channels_last=True),
        Variant("auto-cl-compile-all", f"{name}, channels-last, networks and loss compiled",
                autocast=dtype, channels_last=True, compile_networks=True, compile_loss=True),
    ]


def time_training(variant: Variant, args, device: torch.device) -> dict:
    """Warm-up steps (compilation happens there), then ``args.steps`` timed steps; images/s."""
    torch.manual_seed(0)
    config, learner = build_learner("default", variant, args.batch_size, device, tuple(args.overrides))
    size = config.model.image_size
    batch = {"image": torch.rand(args.batch_size, 3, size, size, device=device)}
    step = Stepper(learner, variant, device)
    compiled = variant.compile_networks or variant.compile_loss
    start = time.perf_counter()
    losses = [step(batch, index) for index in range(args.warmup if compiled else 2)]
    synchronize(device)
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    losses += [step(batch, len(losses) + index) for index in range(args.steps)]
    synchronize(device)
    step_s = (time.perf_counter() - start) / args.steps
    finite = bool(torch.isfinite(torch.stack(losses)).all()) and all(
        bool(torch.isfinite(p).all()) for p in learner.model.parameters())
    memory = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return {"variant": variant.name, "description": variant.description, "image_size": size,
            "batch_size": args.batch_size, "images_per_s": args.batch_size / step_s, "step_ms": 1000 * step_s,
            "warmup_s": warmup_s, "paper_hours": PAPER_STEPS * step_s / 3600, "finite": finite,
            "max_memory_gb": memory}


def time_detector(args, device: torch.device) -> list[dict]:
    """Detector images/s: the network alone on GPU batches, and ``detect`` from uint8 images."""
    config = load_config("default", list(args.overrides))
    size, k = config.model.image_size, config.model.num_landmarks
    images = list(np.random.default_rng(0).integers(0, 256, (args.detect_batch, size, size, 3), np.uint8))
    rows = []
    for precision in ("auto", "32-true"):
        detector = LandmarkDetector(build_model(config.model), ResizeSpec(size), num_landmarks=k,
                                    device=device, precision=precision)
        tensors = torch.rand(args.detect_batch, 3, size, size, device=device)
        for what, run in (("network", lambda d=detector, t=tensors: d.keypoints(t)),
                          ("detect", lambda d=detector: d.detect(images, batch_size=args.detect_batch))):
            seconds = []
            with torch.inference_mode():
                for _ in range(args.detect_rounds + 1):
                    start = time.perf_counter()
                    run()
                    synchronize(device)
                    seconds.append(time.perf_counter() - start)
            rows.append({"precision": detector.precision.line(), "requested": precision, "what": what,
                         "batch_size": args.detect_batch,
                         "images_per_s": args.detect_batch / statistics.median(seconds[1:])})
    return rows


def time_data(args) -> list[dict]:
    """Pairs/s of ``default``'s training loader on its built-in faces and on CelebA-sized JPEGs read as
    ``--data celeba`` reads them (a small fixture in CelebA's layout): with the config's workers and
    with ``--workers``."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        celeba = fixtures.celeba(Path(folder) / "celeba", fixtures.FixtureSizes(images=4 * args.batch_size))
        for source in (SOURCES["synthetic-faces"], SOURCES["celeba"]):
            root = celeba if source.fixture else None
            for workers in dict.fromkeys((None, args.workers)):
                overrides = [*args.overrides, "data.validation_count=0", f"data.batch_size={args.batch_size}"]
                if workers is not None:
                    overrides.append(f"data.num_workers={workers}")
                config = source_config("default", source, root, overrides)
                rows.append({"source": source.name, **measure_source(config, args.data_seconds, 3)})
    return rows


def machine(device: torch.device) -> dict:
    info = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(), "torch": torch.__version__,
            "python": platform.python_version(), "device": device.type}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info |= {"gpu": props.name, "capability": f"{props.major}.{props.minor}",
                 "gpu_memory_gb": round(props.total_memory / 2**30, 1), "cuda": torch.version.cuda}
    return info


def markdown(report: dict) -> str:
    m = report["machine"]
    gpu = f"{m.get('gpu', 'no GPU')} (compute capability {m.get('capability')}, {m.get('gpu_memory_gb')} GiB)"
    lines = [
        f"### {m['date'][:10]}: {m.get('gpu', m['device'])}", "",
        f"Measured by `benchmarks/gpu_check.py` on {m['date']}: {gpu}, CUDA {m.get('cuda')}, "
        f"torch {m['torch']}; host {m['cpu_model']}, {m['cpu_cores']} cores. Training: config `default` "
        f"({report['image_size']} px, VGG-19 loss with random weights), one full step without data loading, "
        f"{report['args']['steps']} timed steps after the warm-up; the paper's 150k steps extrapolated "
        "from the step time.", "",
        "| variant | setting | images/s | vs fp32 | step ms | warm-up s | 150k steps (h) | peak GiB "
        "| finite |",
        "|---|---|---|---|---|---|---|---|---|",
        *(_training_row(r, report["training"]) for r in report["training"]),
    ]
    detector = "; ".join(f"{r['what']} {r['requested']} {_rate(r['images_per_s'])} images/s"
                         for r in report["detector"])
    if report["detector"]:
        first = report["detector"][0]
        lines += ["", f"Detector, {report['image_size']} px (`LandmarkDetector`, `default`, batch "
                      f"{first['batch_size']}; {first['precision']}): {detector}."]
    data = "; ".join(f"{r['source']}, {r['workers']} workers: {r['pairs_per_s']:.0f}" for r in report["data"])
    if report["data"]:
        lines += ["", f"Training data of `default` as `fit` loads it, pairs/s (to feed the GPU it needs the "
                      f"training rate above): {data}."]
    if report["skipped"]:
        lines += ["", "Not measured: " + "; ".join(report["skipped"]) + "."]
    return "\n".join(lines) + "\n"


def _rate(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _training_row(r: dict, rows: list[dict]) -> str:
    if "images_per_s" not in r:
        return f"| {r['variant']} | {r['description']} | {r['note']} | | | | | | |"
    base = next((x["images_per_s"] for x in rows if x["variant"] == "fp32" and "images_per_s" in x), None)
    ratio = f"{r['images_per_s'] / base:.2f}x" if base else ""
    memory = "" if r["max_memory_gb"] is None else f"{r['max_memory_gb']:.1f}"
    return (f"| {r['variant']} | {r['description']} | {_rate(r['images_per_s'])} | {ratio} "
            f"| {r['step_ms']:.1f} | {r['warmup_s']:.0f} | {r['paper_hours']:.1f} | {memory} "
            f"| {'yes' if r['finite'] else 'NO'} |")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="config overrides of every measurement")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="cpu: check the script")
    parser.add_argument("--smoke", action="store_true", help="a tiny model and few steps (with --device cpu)")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per variant")
    parser.add_argument("--warmup", type=int, default=4, help="untimed steps of a compiled variant")
    parser.add_argument("--detect-batch", type=int, default=256)
    parser.add_argument("--detect-rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="data workers of the second row")
    parser.add_argument("--data-seconds", type=float, default=5.0)
    parser.add_argument("--budget", type=float, default=450,
                        help="seconds in all: a step that would likely end later is not started")
    parser.add_argument("--output-dir", type=Path, default=Path(os.environ.get("OUT", ".")))
    args = parser.parse_args(argv)
    if args.smoke:
        args.overrides = [*SMOKE, *args.overrides]
        args.batch_size, args.steps, args.warmup, args.detect_batch, args.detect_rounds = 4, 1, 1, 8, 1
        args.data_seconds, args.workers = 0.5, 1
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (torch.cuda.is_available() is False): nothing measured")
        return 2
    started = time.perf_counter()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # as landmarks.training.fit does
    warnings.filterwarnings("ignore", message=".*(self.log|RANDOM weights).*")
    report = {"machine": machine(device), "args": {k: str(v) for k, v in vars(args).items()},
              "training": [], "detector": [], "data": [], "skipped": []}

    def in_time(what: str, needs: float) -> bool:
        """Whether ``needs`` more seconds (a generous guess) still fit in ``--budget``."""
        if time.perf_counter() - started + needs < args.budget:
            return True
        report["skipped"].append(f"{what} (would pass --budget {args.budget:.0f} s)")
        return False

    def save() -> None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        (args.output_dir / "train_speed-cuda.json").write_text(json.dumps(report, indent=2) + "\n")
        (args.output_dir / "train_speed-cuda.md").write_text(markdown(report))

    def train(variant: Variant) -> None:
        compiled = variant.compile_networks or variant.compile_loss
        if not in_time(f"training {variant.name}", COMPILED_S if compiled else EAGER_S):
            return
        try:
            row = time_training(variant, args, device)
        except Exception as error:  # a setting that fails here is recorded, not fatal
            row = {"variant": variant.name, "description": variant.description,
                   "note": f"failed: {type(error).__name__}: {error}"[:200]}
        finally:
            torch._dynamo.reset()
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
        report["training"].append(row)
        print(json.dumps(row), flush=True)
        save()

    size = report["image_size"] = load_config("default", list(args.overrides)).model.image_size
    wanted = variants(device, size)
    for variant in wanted[:4]:  # float32 and auto, eager and compiled: the figures
        train(variant)
    if in_time("detector", EAGER_S):
        report["detector"] = time_detector(args, device)
        print(json.dumps(report["detector"]), flush=True)
    if in_time("data loading", DATA_S):
        report["data"] = time_data(args)
        print(json.dumps(report["data"]), flush=True)
    for variant in wanted[4:]:  # channels-last, and everything compiled: if time is left
        train(variant)
    report["total_s"] = time.perf_counter() - started
    save()
    print(markdown(report))
    print(f"written: {args.output_dir / 'train_speed-cuda.md'} and .json ({report['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
