"""Shard throughput: training pairs per second read from WebDataset shards vs from the folder source.

Issue 21, item 4: sharded pairs/s must be at least 5x the training rate of the ``default`` config
(128 px) on the same machine. For each source (an image folder, frame folders, video files), each
size (64 px: the ``cpu`` config; 128 px: ``default``) and each number of DataLoader workers, the
script times

- ``folder``: the source as ``landmarks fit`` reads it (``build_training_dataset``, a shuffled
  DataLoader), and
- ``shards``: the same source written by ``landmarks shard`` (``write_shards``, JPEG, clips of
  ``--clip-frames``), read as ``fit --data shards`` reads it
  (:class:`landmarks.data.shard_stream.ShardStream`, a shuffle buffer of ``--buffer`` items),

with the fixtures and the timing loop of ``data_throughput.py`` (real JPEGs of CelebA's size; H.264
videos; the first batch, worker start-up included, reported apart). Each row is printed as it is
measured, after a header line with the CPU model; the conversion time and shard sizes per source and
size are printed and recorded too. The last column divides pairs/s by the training rate of
``default`` (images/s per process): ``--train-rate``, else the ``default`` / ``fp32`` row of
``results/train_speed-cpu.json`` when present.

Usage (on a quiet machine: the numbers mean nothing on shared, busy cores)::

    python benchmarks/shard_throughput.py                         # 3 sources x 64, 128 px x 0, 2, 4 workers
    python benchmarks/shard_throughput.py --sources frame-folders --sizes 128 --workers 4 --seconds 20
    python benchmarks/shard_throughput.py --tiny --output /tmp/shards.json    # a smoke run in seconds

Results go to ``benchmarks/results/shard_throughput-cpu.json`` and ``.md`` (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))  # the fixtures of data_throughput.py

import data_fixtures as fixtures  # noqa: E402
from torch.utils.data import DataLoader, IterableDataset  # noqa: E402

from landmarks.config import DataConfig  # noqa: E402
from landmarks.data.shard_format import check_shards, read_manifest  # noqa: E402
from landmarks.data.shard_stream import ShardStream  # noqa: E402
from landmarks.data.shard_writer import write_shards  # noqa: E402
from landmarks.data.sources import build_training_dataset  # noqa: E402
from landmarks.hardware.cpu_info import cpu_model  # noqa: E402

RESULTS_DIR = Path(__file__).parent / "results"
SOURCES = ("image-folder", "frame-folders", "video-folder")


def source_config(source: str, roots: dict[str, Path]) -> DataConfig:
    """The data config ``fit`` would use; pairs 3-30 frames apart for videos (the default gap)."""
    resize = "center-crop" if source == "image-folder" else "stretch"
    return DataConfig(source=source, root=str(roots[source]), validation_count=0, resize=resize,
                      frame_gap=(3, 30))


def shard_source(config: DataConfig, size: int, folder: Path, args) -> dict:
    """Write the shards of one source and size; the conversion time, shard count and bytes."""
    start = time.perf_counter()
    manifest = write_shards(config, size, folder, clip_frames=args.clip_frames, workers=args.shard_workers,
                            units_per_shard=args.shard_size)
    return {"convert_s": time.perf_counter() - start, "shards": len(manifest.shards),
            "bytes": sum(entry.bytes for entry in manifest.shards), "items": manifest.items,
            "kind": manifest.kind}


def measure(dataset, workers: int, args) -> dict:
    """Pairs per second of batches after the first (timed apart), as data_throughput.py measures; a
    map-style dataset is shuffled (a new epoch where it runs out), a stream is read as it comes."""
    stream = isinstance(dataset, IterableDataset)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=not stream, drop_last=not stream,
                        num_workers=workers)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    batches = iter(loader)
    next(batches)
    first, times = time.perf_counter() - start, []
    begin = time.perf_counter()
    while time.perf_counter() - begin < args.seconds or len(times) < args.min_batches:
        tick = time.perf_counter()
        try:
            next(batches)
        except StopIteration:  # a small folder: a new epoch (its start-up is counted)
            batches = iter(loader)
            next(batches)
        times.append(time.perf_counter() - tick)
    del batches
    return {"pairs_per_s": len(times) * args.batch_size / sum(times), "batches": len(times),
            "first_batch_s": first, "load_1min_before": load_before, "load_1min_after": os.getloadavg()[0]}


def shard_stream(folder: Path, args) -> ShardStream:
    manifest = read_manifest(folder)
    return ShardStream(check_shards(folder, manifest), manifest, buffer=args.buffer)


def default_training_rate(args) -> float | None:
    """Images per second of one ``default`` training step on this machine: ``--train-rate``, or the
    recorded ``default`` / ``fp32`` row of train_speed.py's CPU results."""
    if args.train_rate is not None:
        return args.train_rate
    recorded = RESULTS_DIR / "train_speed-cpu.json"
    if not recorded.is_file():
        return None
    rows = json.loads(recorded.read_text())["results"]
    rates = [r["images_per_s"] for r in rows if r["config"] == "default" and r["variant"] == "fp32"]
    return rates[0] if rates else None


def row_line(row: dict, train_rate: float | None) -> str:
    ratio = f"{row['pairs_per_s'] / train_rate:.1f}x" if train_rate else "n/a"
    return (f"| {row['source']} | {row['read_from']} | {row['size']} | {row['workers']} | "
            f"{row['pairs_per_s']:.1f} | {row['first_batch_s']:.2f} | {ratio} | "
            f"{row['load_1min_before']:.2f} / {row['load_1min_after']:.2f} |")


TABLE_HEAD = ["| source | read from | px | workers | pairs/s | first batch s | x default's training rate "
              "| load 1 min |", "|---|---|---|---|---|---|---|---|"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 128])
    parser.add_argument("--workers", nargs="+", type=int, default=[0, 2, 4])
    parser.add_argument("--batch-size", type=int, default=50, help="default's batch")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed batches per row (seconds)")
    parser.add_argument("--min-batches", type=int, default=5)
    parser.add_argument("--images", type=int, default=2000, help="JPEG files of the image folder")
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument("--frames", type=int, default=250, help="frames per video")
    parser.add_argument("--video-size", type=int, default=256)
    parser.add_argument("--gop", type=int, default=25, help="frames between key frames")
    parser.add_argument("--clip-frames", type=int, default=32)
    parser.add_argument("--shard-size", type=int, help="units per shard (default: landmarks shard's)")
    parser.add_argument("--shard-workers", type=int, default=os.cpu_count() or 1, help="writing processes")
    parser.add_argument("--buffer", type=int, default=1000, help="shuffle buffer (data.shuffle_buffer)")
    parser.add_argument("--train-rate", type=float, help="default's training images/s (per process)")
    parser.add_argument("--tiny", action="store_true", help="a smoke run: few files, one row each")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "shard_throughput-cpu.json")
    args = parser.parse_args(argv)
    if args.tiny:
        args.images, args.videos, args.frames, args.video_size = 24, 2, 40, 64
        args.sizes, args.workers, args.seconds, args.min_batches = [64], [0], 0.5, 2
        args.batch_size, args.buffer, args.shard_size, args.shard_workers = 8, 16, 4, 1
    return args


def machine_info() -> dict:
    """The machine and versions, recorded with every table."""
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch_version": torch.__version__, "python_version": platform.python_version(),
            "load_avg_start": os.getloadavg()}


def main(argv=None) -> None:
    args = parse_args(argv)
    train_rate = default_training_rate(args)
    machine = machine_info()
    report = {"machine": machine, "settings": {k: str(v) for k, v in vars(args).items()},
              "default_training_images_per_s": train_rate, "conversions": [], "rows": []}
    print(f"{machine['cpu_model']}, {machine['cpu_cores']} cores, torch {machine['torch_version']}; "
          f"batch {args.batch_size}; default (128 px) trains at {_rate(train_rate)} images/s per process")
    print("\n".join(TABLE_HEAD))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        sizes = fixtures.FixtureSizes(images=args.images, videos=args.videos, frames=args.frames,
                                      video_size=args.video_size, gop=args.gop)
        videos = fixtures.video_folder(scratch / "videos", sizes)
        roots = {"image-folder": fixtures.image_folder(scratch / "images", sizes), "video-folder": videos,
                 "frame-folders": fixtures.frame_folders(scratch / "frames", sizes, videos)}
        for source in args.sources:
            config = source_config(source, roots)
            for size in args.sizes:
                shards = scratch / f"shards-{source}-{size}"
                conversion = {"source": source, "size": size, **shard_source(config, size, shards, args)}
                report["conversions"].append(conversion)
                readers = {"folder": build_training_dataset(config, size),
                           "shards": shard_stream(shards, args)}
                for read_from, dataset in readers.items():
                    for workers in args.workers:
                        row = {"source": source, "read_from": read_from, "size": size, "workers": workers,
                               **measure(dataset, workers, args)}
                        report["rows"].append(row)
                        print(row_line(row, train_rate), flush=True)
    machine["load_avg_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    args.output.with_suffix(".md").write_text(markdown(report, train_rate))
    print(f"results: {args.output} and {args.output.with_suffix('.md')}")


def markdown(report: dict, train_rate: float | None) -> str:
    m = report["machine"]
    lines = [f"Run {m['date']}; {m['cpu_model']}, {m['cpu_cores']} cores, torch {m['torch_version']}. "
             f"`default` (128 px) trains at {_rate(train_rate)} images/s per process on this machine.", "",
             *TABLE_HEAD, *(row_line(row, train_rate) for row in report["rows"]), "",
             "| source | px | shards | MB | items | conversion s |", "|---|---|---|---|---|---|"]
    lines += [f"| {c['source']} | {c['size']} | {c['shards']} | {c['bytes'] / 1e6:.1f} | {c['items']} | "
              f"{c['convert_s']:.1f} |" for c in report["conversions"]]
    return "\n".join(lines) + "\n"


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.2f}"


if __name__ == "__main__":
    main()
