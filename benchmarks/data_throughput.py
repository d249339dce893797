"""Data throughput: training pairs per second of every data source, next to the training step's rate.

Each source's loader is the one ``landmarks fit`` trains from: the ``cpu`` config (or ``--config``)
with ``data.source``/``data.root`` set as ``landmarks fit --data NAME --data-root DIR`` sets them
(a named dataset's protocol preprocessing first), its ``LandmarkData`` set up and its
``train_dataloader()`` iterated: the config's batch size and ``data.num_workers`` (capped at the
usable cores; none for preloaded images), ``persistent_workers``, shuffling. A "pair" is one item:
a still image (its TPS pair is made later, on the device, inside the training step) or a ready
``(source, target)`` pair of frames or views (TPS-warped on the device too when
``pairs.warp_video_pairs``: never in the workers).

Sources: the built-in ``synthetic-faces``, ``synthetic-wild-faces`` and ``synthetic-bodies``;
``image-folder``, ``video-folder`` (H.264), ``frame-folders`` and ``multi-view``; every named dataset
(``celeba``, ``aflw``, ``svhn``, ``smallnorb``, ``bbc-pose``, ``human36m``, ``voxceleb``) read from
fixtures this script writes in their distributed formats (``data_fixtures.py``); and ``+preload``
rows (``data.preload=true``: images prepared once, kept in memory), whose preparation time is
reported apart. Each row times ``--seconds`` of batches after the first (worker start-up, reported
apart).

The training rate is measured in the same run: ``--train-steps`` steps of the config's own step
(``LandmarkLearner.training_step`` with its precision as ``trainer.precision: auto`` chooses here,
channels-last as configured, gradient clipping, Adam; loss network with random weights, which costs
the same) on a batch of still images, after one untimed step. The ratio column is pairs/s over
training images/s; the issue's goal is at least 5 for every source.

Usage::

    python benchmarks/data_throughput.py                     # every source, cpu config (~2-3 min on 2 cores)
    python benchmarks/data_throughput.py --quick --output /tmp/dt.json   # a smoke run, small fixtures
    python benchmarks/data_throughput.py --sources video-folder celeba data.num_workers=2

Results: ``benchmarks/results/data_throughput-cpu.json`` and ``.md`` (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import data_fixtures as fixtures
import torch
from train_speed import Stepper, Variant, build_learner

from landmarks.config_loading import load_config
from landmarks.data.preloaded import usable_cpus
from landmarks.datasets import is_dataset, protocol_preprocessing
from landmarks.hardware.cpu_info import cpu_model
from landmarks.hardware.precision import choose_precision
from landmarks.training.data import LandmarkData, data_image_size

RESULTS_DIR = Path(__file__).parent / "results"
GOAL_RATIO = 5.0  # issue 17: pairs/s at least 5x the training images/s


@dataclass(frozen=True)
class Source:
    """One row: ``data.source``, the fixture it reads (None: built in), extra overrides."""

    name: str
    source: str
    fixture: str | None = None
    overrides: tuple[str, ...] = ()


PRELOAD = ("data.preload=true",)
SYNTHETIC_COUNT = ("data.synthetic_count=512",)  # preloading 20,000 faces would take minutes
SOURCES = {s.name: s for s in (
    Source("synthetic-faces", "synthetic-faces"),
    Source("synthetic-faces+preload", "synthetic-faces", None, PRELOAD + SYNTHETIC_COUNT),
    Source("synthetic-wild-faces", "synthetic-wild-faces"),
    Source("synthetic-wild-faces+preload", "synthetic-wild-faces", None, PRELOAD + SYNTHETIC_COUNT),
    Source("synthetic-bodies", "synthetic-bodies"),
    Source("image-folder", "image-folder", "image-folder"),
    Source("image-folder+preload", "image-folder", "image-folder", PRELOAD),
    Source("video-folder", "video-folder", "video-folder"),
    Source("frame-folders", "frame-folders", "frame-folders"),
    Source("multi-view", "multi-view", "multi-view"),
    Source("celeba", "celeba", "celeba"),
    Source("celeba+preload", "celeba", "celeba", PRELOAD),
    Source("aflw", "aflw", "aflw"),
    Source("svhn", "svhn", "svhn"),
    Source("smallnorb", "smallnorb", "smallnorb"),
    Source("bbc-pose", "bbc-pose", "bbc-pose"),
    Source("human36m", "human36m", "human36m"),
    Source("voxceleb", "voxceleb", "voxceleb"),
)}
WRITERS: dict[str, Callable] = {
    "image-folder": fixtures.image_folder, "video-folder": fixtures.video_folder,
    "multi-view": fixtures.multi_view, "celeba": fixtures.celeba, "aflw": fixtures.aflw,
    "svhn": fixtures.svhn, "smallnorb": fixtures.smallnorb, "bbc-pose": fixtures.bbc_pose,
    "human36m": fixtures.human36m, "voxceleb": fixtures.voxceleb,
}
QUICK_SIZES = fixtures.FixtureSizes(images=48, videos=4, frames=40, views=8, clip_frames=32,
                                    bbc_size=(320, 180), h36m_size=256)


class Fixtures:
    """Writes each fixture once, when a source first needs it; remembers how long each took."""

    def __init__(self, folder: Path, sizes: fixtures.FixtureSizes):
        self.folder, self.sizes = folder, sizes
        self.roots: dict[str, Path] = {}
        self.seconds: dict[str, float] = {}

    def root(self, name: str) -> Path:
        if name not in self.roots:
            start = time.perf_counter()
            if name == "frame-folders":
                videos = self.root("video-folder")
                self.roots[name] = fixtures.frame_folders(self.folder / name, self.sizes, videos)
            else:
                self.roots[name] = WRITERS[name](self.folder / name, self.sizes)
            self.seconds[name] = time.perf_counter() - start
        return self.roots[name]


def source_config(config_name: str, source: Source, root: Path | None, overrides: list[str]):
    """The config ``landmarks fit --config NAME --data SOURCE --data-root ROOT [overrides]`` trains."""
    extra = [*source.overrides, *overrides]
    if is_dataset(source.source):  # the dataset's protocol first, as the command line does
        size = load_config(config_name, extra).model.image_size
        extra = protocol_preprocessing(source.source).overrides(size) + extra
    extra.append(f"data.source={source.source}")
    if root is not None:
        extra.append(f"data.root={root}")
    return load_config(config_name, extra)


def measure_source(config, seconds: float, min_batches: int) -> dict:
    """Set up the data module as ``fit`` does, then time its training loader's batches."""
    start = time.perf_counter()
    data = LandmarkData(config.data, data_image_size(config))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a config/protocol mismatch warning is not the point here
        data.setup("fit")
    setup_s = time.perf_counter() - start
    loader = data.train_dataloader()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    batches = iter(loader)
    next(batches)
    first_s = time.perf_counter() - start
    times = []
    begin = time.perf_counter()
    while time.perf_counter() - begin < seconds or len(times) < min_batches:
        tick = time.perf_counter()
        try:
            next(batches)
        except StopIteration:  # a small fixture: a new epoch (persistent workers carry on)
            batches = iter(loader)
            next(batches)
        times.append(time.perf_counter() - tick)
    del batches, loader
    return {
        "pairs_per_s": len(times) * config.data.batch_size / sum(times),
        "batch_s_median": statistics.median(times),
        "batch_s_max": max(times),
        "batches": len(times),
        "first_batch_s": first_s,
        "setup_s": setup_s,
        "workers": 0 if config.data.preload else min(config.data.num_workers, usable_cpus()),
        "items": len(data.train_set),
        "load_1min_before": load_before,
        "load_1min_after": os.getloadavg()[0],
    }


def training_rate(config_name: str, overrides: list[str], steps: int) -> dict:
    """Images/s of the config's training step, its precision resolved as ``landmarks fit`` does
    (``auto``: this machine's choice) and ``trainer.channels_last`` as configured."""
    device = torch.device("cpu")
    config = load_config(config_name, overrides)
    choice = choose_precision(config.trainer.precision, device, config.model.image_size)
    dtype = choice.autocast_dtype
    variant = Variant("as configured", choice.precision, channels_last=config.trainer.channels_last,
                      autocast=None if dtype is None else str(dtype).removeprefix("torch."))
    torch.manual_seed(0)
    _, learner = build_learner(config_name, variant, config.data.batch_size, device, tuple(overrides))
    step = Stepper(learner, variant, device)
    size = data_image_size(config)
    batch = {"image": torch.rand(config.data.batch_size, 3, size, size)}
    step(batch, 0)  # oneDNN primitives made
    seconds = []
    for index in range(1, steps + 1):
        start = time.perf_counter()
        step(batch, index)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    return {"images_per_s": config.data.batch_size / median, "step_s_median": median, "steps": steps,
            "batch_size": config.data.batch_size, "image_size": size, "precision": choice.line(),
            "threads": torch.get_num_threads()}


def markdown(report: dict) -> str:
    m, t = report["machine"], report["training"]
    lines = [
        f"Run {m['date']}; {m['cpu_model']}, {m['cpu_cores']} cores ({m['usable_cpus']} usable), torch "
        f"{m['torch_version']} ({t['threads']} threads). Config `{report['config']}`"
        f"{' ' + ' '.join(report['overrides']) if report['overrides'] else ''}: batch {t['batch_size']}, "
        f"{t['image_size']} px. Load average (1, 5, 15 min) at start {_loads(m['load_avg_start'])}, at end "
        f"{_loads(m['load_avg_end'])}.",
        "",
        f"Training step: {t['images_per_s']:.1f} images/s (median of {t['steps']} steps, "
        f"{t['step_s_median']:.3f} s; {t['precision']}).",
        "",
        "| source | pairs/s | x training | workers | batch s (median / max) | batches | first batch s "
        "| setup s | load 1 min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        if "error" in r:
            lines.append(f"| {r['source']} | failed: {r['error']} | | | | | | | |")
            continue
        lines.append(
            f"| {r['source']} | {r['pairs_per_s']:.1f} | {r['ratio']:.1f}x{_short(r['ratio'])} "
            f"| {r['workers']} | {r['batch_s_median']:.3f} / {r['batch_s_max']:.3f} | {r['batches']} "
            f"| {r['first_batch_s']:.2f} | {r['setup_s']:.1f} | {r['load_1min_before']:.2f} / "
            f"{r['load_1min_after']:.2f} |")
    written = ", ".join(f"{name} {seconds:.1f}" for name, seconds in report["fixture_s"].items())
    lines += ["", f"Fixtures written in (s): {written}; sizes: {report['fixture_sizes']}."]
    return "\n".join(lines) + "\n"


def _short(ratio: float) -> str:
    return "" if ratio >= GOAL_RATIO else f" (under {GOAL_RATIO:.0f}x)"


def _loads(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="config overrides of every row: data.num_workers=2")
    parser.add_argument("--config", default="cpu", help="shipped config or YAML file (default: cpu)")
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--seconds", type=float, default=3.0, help="timed batches per source (seconds)")
    parser.add_argument("--min-batches", type=int, default=3)
    parser.add_argument("--train-steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--quick", action="store_true", help="small fixtures, short rows: a smoke run")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "data_throughput-cpu.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.min_batches, args.train_steps = 0.3, 1, 1
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    sizes = QUICK_SIZES if args.quick else fixtures.FixtureSizes()
    warnings.filterwarnings("ignore", message=".*self.log.*")  # no Trainer: logging is a no-op
    report = {
        "machine": {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(), "usable_cpus": usable_cpus(),
                    "torch_version": torch.__version__, "python_version": platform.python_version(),
                    "load_avg_start": os.getloadavg()},
        "config": args.config, "overrides": args.overrides, "fixture_sizes": vars(sizes) | {},
        "rows": [],
    }
    report["training"] = training_rate(args.config, args.overrides, args.train_steps)
    rate = report["training"]["images_per_s"]
    print(f"{cpu_model()}: training {rate:.1f} images/s ({report['training']['precision']})", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        written = Fixtures(Path(folder), sizes)
        for name in args.sources:
            source = SOURCES[name]
            row = {"source": name}
            try:
                root = written.root(source.fixture) if source.fixture else None
                config = source_config(args.config, source, root, args.overrides)
                row |= measure_source(config, args.seconds, args.min_batches)
                row["ratio"] = row["pairs_per_s"] / rate
                print(f"{name:24s} {row['pairs_per_s']:8.1f} pairs/s  {row['ratio']:6.1f}x training  "
                      f"({row['workers']} workers, {cpu_model()})", flush=True)
            except Exception as error:  # one broken source is recorded, not fatal
                row["error"] = f"{type(error).__name__}: {error}"[:300]
                print(f"{name:24s} failed: {row['error']}", flush=True)
            report["rows"].append(row)
        report["fixture_s"] = written.seconds
    report["machine"]["load_avg_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    print(f"results: {args.output} and {args.output.with_suffix('.md')}")


if __name__ == "__main__":
    main()
