"""Training speed: images per second of one full training step, per config and per speed setting.

One step is exactly what ``LandmarkLearner.training_step`` and Lightning's automatic optimisation do:
TPS pair making on the device, detector + encoder + generator, the reconstruction loss (perceptual
VGG with random weights: no pretrained file is needed and the cost is the same), backward, the
configured gradient clipping and the Adam step with its scheduler. The loop below calls the
learner's own ``training_step``, ``configure_optimizers`` and ``configure_gradient_clipping`` without
a Lightning Trainer (its logging calls are then no-ops), so Lightning's own per-step overhead is not
counted. Data loading is excluded (one fixed batch of images is reused; the TPS pairs still change
every step) and measured on its own as single-process images per second.

Usage::

    python benchmarks/train_speed.py                        # both configs, every variant, CPU
    python benchmarks/train_speed.py --configs cpu --variants fp32 bf16-cl-compile --steps 5
    python benchmarks/train_speed.py --device cuda --batch-size 50
    python benchmarks/train_speed.py --auto-ratio           # trainer.precision auto vs plain float32

``--auto-ratio`` writes nothing: it times, step by step in turn, what ``trainer.precision: auto`` (and
the config's own ``trainer.channels_last``) chooses on this machine against plain float32 eager with
channels_last off, for the ``cpu`` and ``default`` configs, and prints one line with both ratios, the
choice and the CPU's flags. Interleaved steps keep the ratio meaningful on a busy machine.

Results go to ``benchmarks/results/train_speed-<device>.json`` and ``.md`` (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from landmarks.config_loading import load_config
from landmarks.data.sources import build_training_dataset
from landmarks.hardware.cpu_info import cpu_flags, cpu_model
from landmarks.hardware.precision import BF16_CPU_FLAGS, choose_precision
from landmarks.training.module import LandmarkLearner

RESULTS_DIR = Path(__file__).parent / "results"
# The generated .md ends here; what follows this line (dated, hand-written sections) is kept on rewrite.
KEPT_SECTIONS = "<!-- written by hand below this line; train_speed.py keeps it when it rewrites the table -->"


@dataclass(frozen=True)
class Variant:
    """One speed setting: memory format, autocast dtype, what is compiled."""

    name: str
    description: str
    channels_last: bool = False
    autocast: str | None = None  # "bfloat16" or "float16"
    compile_networks: bool = False  # detector, encoder, generator, as ``trainer.compile`` does
    compile_loss: bool = False  # the frozen loss network too
    threads: int | None = None  # torch.set_num_threads for this variant (None: leave as is)
    cuda_only: bool = False


VARIANTS = {
    v.name: v
    for v in (
        Variant("fp32", "plain float32, eager"),
        Variant("fp32-1thread", "plain float32, eager, one intra-op thread", threads=1),
        Variant("cl", "channels_last", channels_last=True),
        Variant("fp32-compile", "float32 + torch.compile of the three networks", compile_networks=True),
        Variant(
            "fp32-compile-all",
            "float32 + torch.compile of the three networks and the loss network",
            compile_networks=True,
            compile_loss=True,
        ),
        Variant("bf16", "bfloat16 autocast", autocast="bfloat16"),
        Variant("bf16-cl", "bfloat16 autocast + channels_last", channels_last=True, autocast="bfloat16"),
        Variant(
            "bf16-cl-compile",
            "bf16 + channels_last + torch.compile of the three networks",
            channels_last=True,
            autocast="bfloat16",
            compile_networks=True,
        ),
        Variant(
            "bf16-cl-compile-all",
            "as bf16-cl-compile, and the loss network compiled too",
            channels_last=True,
            autocast="bfloat16",
            compile_networks=True,
            compile_loss=True,
        ),
        Variant(
            "fp16-cl-compile-all",
            "float16 autocast + GradScaler + channels_last + compile (CUDA only)",
            channels_last=True,
            autocast="float16",
            compile_networks=True,
            compile_loss=True,
            cuda_only=True,
        ),
    )
}
DEFAULT_VARIANTS = (
    "fp32",
    "cl",
    "fp32-compile",
    "fp32-compile-all",
    "bf16",
    "bf16-cl",
    "bf16-cl-compile",
    "bf16-cl-compile-all",
)


def build_learner(config_name: str, variant: Variant, batch_size: int, device: torch.device,
                  extra_overrides: tuple[str, ...] = ()):
    """The learner of a shipped config (with ``extra_overrides``), with random loss weights, set up as
    ``landmarks fit`` does."""
    overrides = [*extra_overrides,
        "loss.random_weights=true",
        "trainer.image_every=0",  # no image grids kept
        f"data.batch_size={batch_size}",
        f"trainer.channels_last={str(variant.channels_last).lower()}",
    ]
    config = load_config(config_name, overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the random-weights warning
        learner = LandmarkLearner.from_config(config).to(device)
    learner.setup("fit")  # seeds the pair stream; channels_last on the networks
    learner.train()
    if variant.compile_networks:  # as landmarks.training.fit does
        for network in (learner.model.detector, learner.model.encoder, learner.model.generator):
            network.compile()
    if variant.compile_loss and getattr(learner.loss, "loss_network", None) is not None:  # not pixel losses
        learner.loss.loss_network.compile()
    return config, learner


def image_batch(config, batch_size: int, device: torch.device) -> dict[str, torch.Tensor]:
    """One batch ``{"image": (B, 3, S, S)}`` of the config's training images, on ``device``."""
    dataset = build_training_dataset(config.data, config.model.image_size)
    images = torch.stack([dataset[i]["image"] for i in range(batch_size)])
    return {"image": images.to(device)}


def loading_speed(config, count: int) -> float:
    """Images per second of reading/generating training images in one process (no DataLoader)."""
    dataset = build_training_dataset(config.data, config.model.image_size)
    start = time.perf_counter()
    for i in range(count):
        dataset[i]
    return count / (time.perf_counter() - start)


class Stepper:
    """One training step as Lightning's automatic optimisation runs it, under the variant's settings."""

    def __init__(self, learner: LandmarkLearner, variant: Variant, device: torch.device):
        self.learner = learner
        self.device = device
        self.dtype = getattr(torch, variant.autocast) if variant.autocast else None
        optimizers = learner.configure_optimizers()
        self.optimizer = optimizers["optimizer"]
        scheduler = optimizers.get("lr_scheduler", {}).get("scheduler")
        # The plateau schedule only steps after validations, which the benchmark never runs.
        self.scheduler = (
            None if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau) else scheduler
        )
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.dtype == torch.float16)

    def _clip(self) -> None:
        optim = self.learner.config.optim
        if optim.clip_mode == "global":  # the learner's own path goes through the Trainer
            torch.nn.utils.clip_grad_norm_(self.learner.model.parameters(), optim.clip)
        else:
            self.learner.configure_gradient_clipping(self.optimizer)

    def __call__(self, batch: dict[str, torch.Tensor], index: int) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
            loss = self.learner.training_step(batch, index)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        self._clip()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach()


def conv_slowdown(variant: Variant, device: torch.device) -> float:
    """How many times slower a 3x3 convolution (forward) runs under the variant's autocast than in fp32.

    CPUs without native bfloat16 (AVX2 only: no AVX512-BF16 or AMX) run oneDNN's reference bf16
    convolutions, 10-100x slower than fp32; a training step there takes minutes, so such variants are
    skipped unless ``--no-skip``.
    """
    if variant.autocast is None:
        return 1.0
    memory_format = torch.channels_last if variant.channels_last else torch.contiguous_format
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).to(device, memory_format=memory_format)
    images = torch.randn(8, 64, 32, 32, device=device).contiguous(memory_format=memory_format)

    def seconds(dtype) -> float:
        with torch.no_grad(), torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            conv(images)  # oneDNN primitive creation
            synchronize(device)
            start = time.perf_counter()
            for _ in range(3):
                conv(images)
            synchronize(device)
            return time.perf_counter() - start

    return seconds(getattr(torch, variant.autocast)) / seconds(None)


AUTO_RATIO_CONFIGS = ("cpu", "default")
# The flags that decide a CPU's speed here: vector width, bfloat16 and int8 dot products, AMX tiles.
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", *BF16_CPU_FLAGS, "amx_tile")


def auto_variant(config_name: str, device: torch.device) -> tuple[Variant, str]:
    """The variant ``trainer.precision: auto`` trains with here (and the config's channels_last),
    and the line saying what auto chose and why."""
    config = load_config(config_name)
    choice = choose_precision("auto", device, config.model.image_size)
    dtype = choice.autocast_dtype
    variant = Variant("auto", f"trainer.precision auto: {choice.precision}",
                      channels_last=config.trainer.channels_last,
                      autocast=None if dtype is None else str(dtype).removeprefix("torch."))
    return variant, choice.line()


def interleaved_seconds(steppers: list, batch, steps: int, device: torch.device) -> list[float]:
    """Median seconds of a step of each stepper, stepping them in turn (after one untimed step each)."""
    times: list[list[float]] = [[] for _ in steppers]
    for index in range(steps + 1):
        for stepper, seconds in zip(steppers, times, strict=True):
            start = time.perf_counter()
            stepper(batch, index)
            synchronize(device)
            seconds.append(time.perf_counter() - start)
    return [statistics.median(seconds[1:]) for seconds in times]


def auto_ratio(config_name: str, args, device: torch.device) -> tuple[float, str]:
    """``(auto's images/s over plain float32's, what auto chose)`` for one config."""
    auto, choice = auto_variant(config_name, device)
    steppers = []
    for variant in (VARIANTS["fp32"], auto):
        torch.manual_seed(0)
        config, learner = build_learner(config_name, variant, args.batch_size, device)
        steppers.append(Stepper(learner, variant, device))
    batch = image_batch(config, args.batch_size, device)
    plain_s, auto_s = interleaved_seconds(steppers, batch, args.steps, device)
    print(f"{config_name}: {config.model.image_size} px, batch {args.batch_size}: float32 {plain_s:.3f} s, "
          f"auto ({auto.description}, channels_last {auto.channels_last}) {auto_s:.3f} s a step "
          f"(medians of {args.steps} interleaved steps)", flush=True)
    return plain_s / auto_s, choice


def print_auto_ratio(args, device: torch.device) -> None:
    """The one line of ``--auto-ratio``: auto vs float32 for each config, the choice, the CPU's flags."""
    ratios = {name: auto_ratio(name, args, device) for name in AUTO_RATIO_CONFIGS}
    flags = " ".join(flag for flag in ISA_FLAGS if flag in cpu_flags()) or "none"
    measured = ", ".join(f"{name} {ratio:.2f}x" for name, (ratio, _) in ratios.items())
    choices = "; ".join(dict.fromkeys(choice for _, choice in ratios.values()))
    print(f"auto vs float32 eager: {measured} | {choices} | {cpu_model()}, flags: {flags} | "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {device.type}")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(config_name: str, variant: Variant, args, device: torch.device) -> dict:
    """Warm up, then time ``args.steps`` steps one by one; images/s and per-step seconds."""
    torch.manual_seed(0)
    config, learner = build_learner(config_name, variant, args.batch_size, device)
    batch = image_batch(config, args.batch_size, device)
    step = Stepper(learner, variant, device)
    load_before = os.getloadavg()[0]
    # Eager variants only need oneDNN's primitives made; compiled ones compile (and recompile) here.
    warmup = args.warmup if variant.compile_networks or variant.compile_loss else min(args.warmup, 1)
    start = time.perf_counter()
    losses = [step(batch, i) for i in range(warmup)]
    synchronize(device)
    warmup_s = time.perf_counter() - start
    seconds = []
    for i in range(args.steps):
        if seconds and sum(seconds) > args.budget:
            break  # a slow variant: fewer timed steps, still at least one
        start = time.perf_counter()
        losses.append(step(batch, warmup + i))
        synchronize(device)
        seconds.append(time.perf_counter() - start)
    finite = bool(torch.isfinite(torch.stack(losses)).all())
    finite &= all(bool(torch.isfinite(p).all()) for p in learner.model.parameters())
    mean_s = statistics.fmean(seconds)
    return {
        "config": config_name,
        "variant": variant.name,
        "description": variant.description,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "image_size": config.model.image_size,
        "batch_size": args.batch_size,
        "images_per_s": args.batch_size / mean_s,
        "step_s_mean": mean_s,
        "step_s_min": min(seconds),
        "step_s_max": max(seconds),
        "step_s_stdev": statistics.stdev(seconds) if len(seconds) > 1 else 0.0,
        "warmup_s": warmup_s,
        "steps": len(seconds),
        "warmup_steps": warmup,
        "finite": finite,
        "last_loss": float(losses[-1]),
        "load_1min_before": load_before,
        "load_1min_after": os.getloadavg()[0],
    }


def run_variant(config_name: str, variant: Variant, args, device: torch.device) -> dict:
    """:func:`measure` with the variant's thread count, restored afterwards."""
    threads = torch.get_num_threads()
    if variant.threads:
        torch.set_num_threads(variant.threads)
    try:
        return measure(config_name, variant, args, device)
    finally:
        torch.set_num_threads(threads)


def machine_info(device: torch.device) -> dict:
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": device.type,
        "load_avg_start": os.getloadavg(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def markdown_table(results: list[dict]) -> str:
    baseline = {r["config"]: r["images_per_s"] for r in results if r["variant"] == "fp32" and r["finite"]}
    lines = [
        "| config | px | variant | images/s | vs fp32 | step s (min-max) | steps | warm-up s | finite "
        "| load 1 min |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r or "skipped" in r:
            why = f"failed: {r['error']}" if "error" in r else f"skipped: {r['skipped']}"
            lines.append(f"| {r['config']} | | {r['variant']} | {why} | | | | | | |")
            continue
        speedup = f"{r['images_per_s'] / baseline[r['config']]:.2f}x" if r["config"] in baseline else ""
        lines.append(
            f"| {r['config']} | {r['image_size']} | {r['variant']} | {r['images_per_s']:.2f} | {speedup} "
            f"| {r['step_s_mean']:.3f} ({r['step_s_min']:.3f}-{r['step_s_max']:.3f}) | {r['steps']} "
            f"| {r['warmup_s']:.1f} "
            f"| {'yes' if r['finite'] else 'NO'} | {r['load_1min_before']:.2f} / {r['load_1min_after']:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs", nargs="+", default=["default", "cpu"], help="shipped configs or YAML files"
    )
    parser.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS), choices=sorted(VARIANTS))
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per variant")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed steps first (compilation happens here)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=40.0,
        help="seconds of timed steps per variant after which no further step is timed (at least one is)",
    )
    parser.add_argument(
        "--max-slowdown",
        type=float,
        default=3.0,
        help="skip an autocast variant whose conv runs this many times slower than fp32",
    )
    parser.add_argument("--no-skip", action="store_true", help="run autocast variants however slow")
    parser.add_argument(
        "--merge", action="store_true", help="keep the output file's rows of configs not measured now"
    )
    parser.add_argument("--auto-ratio", action="store_true",
                        help="only print trainer.precision auto vs float32 for the cpu and default configs")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--loading-images", type=int, default=32, help="images for the loading note; 0: skip")
    parser.add_argument(
        "--output", type=Path, default=None, help="JSON path (default: results/train_speed-DEVICE.json)"
    )
    return parser.parse_args(argv)


def benchmark(config_name: str, variant: Variant, args, device: torch.device) -> dict:
    """One result row: measured, skipped (autocast far slower than fp32 here) or failed."""
    row = {"config": config_name, "variant": variant.name}
    slowdown = conv_slowdown(variant, device)
    if slowdown > args.max_slowdown and not args.no_skip:
        return {**row, "skipped": f"a {variant.autocast} conv is {slowdown:.0f}x slower than fp32 here"}
    try:
        return run_variant(config_name, variant, args, device)
    except Exception as error:  # a setting that does not work here is recorded, not fatal
        return {**row, "error": f"{type(error).__name__}: {error}"[:300]}
    finally:
        torch._dynamo.reset()


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # as landmarks.training.fit does
    warnings.filterwarnings("ignore", message=".*self.log.*")  # no Trainer: logging is a no-op
    if args.auto_ratio:
        print_auto_ratio(args, device)
        return
    report = {"machine": machine_info(device), "args": {k: str(v) for k, v in vars(args).items()}}
    report["variants"] = {name: asdict(v) for name, v in VARIANTS.items() if name in args.variants}
    output = args.output or default_output(device)
    results, loading = kept_rows(output, args) if args.merge else ([], {})
    for config_name in args.configs:
        if args.loading_images:
            config = load_config(config_name, ["loss.random_weights=true"])
            loading[config_name] = loading_speed(config, args.loading_images)
            print(f"{config_name}: data loading {loading[config_name]:.1f} images/s, one process", flush=True)
        for name in args.variants:
            if VARIANTS[name].cuda_only and device.type != "cuda":
                continue
            results.append(benchmark(config_name, VARIANTS[name], args, device))
            print(json.dumps(results[-1]), flush=True)
            write_report(report, results, loading, output)  # after each variant
    print(markdown_table(results))


def kept_rows(output: Path, args) -> tuple[list[dict], dict]:
    """With ``--merge``: the rows and loading notes of ``output`` for configs this run does not measure."""
    if not output.is_file():
        return [], {}
    previous = json.loads(output.read_text())
    rows = [r for r in previous["results"] if r["config"] not in args.configs]
    loading = {k: v for k, v in previous["data_loading_images_per_s"].items() if k not in args.configs}
    return rows, loading


def default_output(device: torch.device) -> Path:
    return RESULTS_DIR / f"train_speed-{device.type}.json"


def write_report(report: dict, results: list[dict], loading: dict, output: Path) -> None:
    """The JSON report and its markdown table next to it (``.md``)."""
    report["machine"]["load_avg_end"] = os.getloadavg()
    report["data_loading_images_per_s"] = loading
    report["results"] = results
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    title = f"# Training speed, {report['machine']['device']}"
    markdown = output.with_suffix(".md")
    kept = markdown.read_text() if markdown.is_file() else ""
    kept = kept[kept.find(KEPT_SECTIONS):] if KEPT_SECTIONS in kept else ""
    text = f"{title}\n\n{_header(report)}\n\n{markdown_table(results)}\n\n{kept}"
    markdown.write_text(text.rstrip() + "\n")


def _header(report: dict) -> str:
    m = report["machine"]
    loading = ", ".join(f"{k}: {v:.1f}" for k, v in report["data_loading_images_per_s"].items())
    return (
        f"Latest run {m['date']} (with --merge, older rows keep their own date and load in the JSON); "
        f"{m['cpu_model']}, {m['cpu_cores']} cores ({m['torch_threads']} torch threads, "
        f"{m['cpu_capability']}){', ' + m['gpu'] if 'gpu' in m else ''}; torch {m['torch_version']}; "
        f"batch {report['args']['batch_size']}, {report['args']['steps']} timed steps after "
        f"{report['args']['warmup']} warm-up steps "
        f"(1 for eager variants; fewer timed steps past --budget). Load average (1, 5, 15 min) at start "
        f"{_loads(m['load_avg_start'])}, at end {_loads(m['load_avg_end'])}."
        + (f" Data loading, one process (images/s): {loading}." if loading else "")
    )


def _loads(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
