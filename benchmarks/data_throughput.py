"""Data throughput: training pairs per second a DataLoader delivers, per source, image size and workers.

A "pair" is one training item: a still image for the ``synthetic-faces`` and ``image-folder`` sources
(the TPS pair is then made on the device inside the training step; its CPU cost is measured on its
own here), or a ready ``(source, target)`` pair of frames for the video sources. Fixtures are written
to a temporary folder first, in their real formats:

- ``image-folder``: JPEG files of CelebA's size (178 x 218, quality 95), smooth random content.
- ``video-folder``: H.264 ``.mp4`` files (yuv420p, a key frame every ``--gop`` frames, as many
  camera files have) of ``--video-size`` pixels square; ``video-folder-warped`` adds the TPS warp of
  both frames in the workers (``pairs.warp_video_pairs``); ``frame-folders``: the same frames as JPEGs.
- ``synthetic-faces``: the built-in renderer (nothing on disk).

Each (source, size, workers) row builds the dataset as ``landmarks fit`` does
(:func:`landmarks.data.sources.build_training_dataset`), then times batches of a shuffled DataLoader
for ``--seconds`` (at least ``--min-batches``) after the first batch, whose time (worker start-up
included) is reported apart. The video index is built before the rows; its cold and cached build
times are recorded too.

Usage::

    python benchmarks/data_throughput.py                      # every source, 64 and 128 px, 0/1/2 workers
    python benchmarks/data_throughput.py --sources video-folder --sizes 128 --workers 2 --seconds 10

Results go to ``benchmarks/results/data_throughput-cpu.json`` and ``.md`` (see benchmarks/README.md).
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
from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

from landmarks.config import DataConfig, PairsConfig
from landmarks.data.sources import build_training_dataset
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.data.video_index import index_videos

RESULTS_DIR = Path(__file__).parent / "results"
SOURCES = ("synthetic-faces", "image-folder", "video-folder", "video-folder-warped", "frame-folders")
CELEBA_SIZE = (178, 218)  # (W, H) of CelebA's aligned images


def smooth_image(rng: np.random.Generator, width: int, height: int, shift: float = 0.0) -> np.ndarray:
    """``(H, W, 3)`` uint8: a coarse random pattern, upsampled (compresses like a photo, unlike noise)."""
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    big = Image.fromarray(coarse).resize((width * 2, height * 2), Image.BICUBIC)
    left = int(shift) % width
    return np.asarray(big)[height // 2 : height // 2 + height, left : left + width]


def write_image_folder(root: Path, count: int) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for index in range(count):
        Image.fromarray(smooth_image(rng, *CELEBA_SIZE)).save(root / f"{index:06d}.jpg", quality=95)
    return root


def write_videos(root: Path, count: int, frames: int, size: int, gop: int) -> Path:
    """H.264 videos of a pattern panning by 2 pixels per frame."""
    root.mkdir(parents=True)
    for number in range(count):
        rng = np.random.default_rng(number)
        with av.open(str(root / f"clip{number:03d}.mp4"), "w") as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.options = {"g": str(gop), "preset": "veryfast", "crf": "20"}
            pattern = smooth_image(rng, size, size)
            for index in range(frames):
                pixels = np.roll(pattern, 2 * index, axis=1)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
            container.mux(stream.encode())
    return root


def write_frame_folders(videos: Path, root: Path) -> Path:
    for video in sorted(videos.glob("*.mp4")):
        folder = root / video.stem
        folder.mkdir(parents=True)
        with av.open(str(video)) as container:
            for index, frame in enumerate(container.decode(video=0)):
                frame.to_image().save(folder / f"{index:05d}.jpg", quality=95)
    return root


def dataset_for(source: str, roots: dict[str, Path], size: int, count: int):
    pairs = None
    if source == "synthetic-faces":
        config = DataConfig(source=source, synthetic_count=count, validation_count=0)
    elif source == "image-folder":
        config = DataConfig(source=source, root=str(roots[source]), validation_count=0, resize="center-crop")
    else:
        kind = "frame-folders" if source == "frame-folders" else "video-folder"
        config = DataConfig(source=kind, root=str(roots[source]), validation_count=0, frame_gap=(3, 30))
        pairs = PairsConfig(warp_video_pairs=source.endswith("warped"))
    return build_training_dataset(config, size, pairs)


def measure(dataset, workers: int, args) -> dict:
    loader = DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, num_workers=workers, drop_last=True
    )
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    batches = iter(loader)
    next(batches)
    first = time.perf_counter() - start
    times = []
    begin = time.perf_counter()
    while time.perf_counter() - begin < args.seconds or len(times) < args.min_batches:
        tick = time.perf_counter()
        try:
            next(batches)
        except StopIteration:
            batches = iter(loader)  # a small dataset: a new epoch (its start-up is counted)
            next(batches)
        times.append(time.perf_counter() - tick)
    elapsed = sum(times)
    del batches
    return {
        "pairs_per_s": len(times) * args.batch_size / elapsed,
        "batch_s_mean": statistics.mean(times),
        "batch_s_max": max(times),
        "batches": len(times),
        "first_batch_s": first,
        "load_1min_before": load_before,
        "load_1min_after": os.getloadavg()[0],
    }


def tps_pair_speed(size: int, batch_size: int, repeats: int = 5) -> float:
    """Pairs per second of the TPS pair maker on a CPU batch: what the training step adds to a still image."""
    maker = build_pair_maker(PairsConfig())
    images = torch.rand(batch_size, 3, size, size)
    generator = torch.Generator().manual_seed(0)
    maker(images, generator)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        maker(images, generator)
    return repeats * batch_size / (time.perf_counter() - start)


def index_times(root: Path, layout: str) -> dict:
    for cache in root.glob(".landmarks-index-*.json"):
        cache.unlink()
    start = time.perf_counter()
    index = index_videos(root, layout)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    index_videos(root, layout)
    return {
        "videos": len(index.videos),
        "frames": sum(v.frame_count for v in index.videos),
        "cold_s": cold,
        "cached_s": time.perf_counter() - start,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "pyav_version": av.__version__,
        "python_version": platform.python_version(),
        "load_avg_start": os.getloadavg(),
    }


def markdown(report: dict) -> str:
    m, s = report["machine"], report["settings"]
    lines = [
        f"Run {m['date']}; {m['cpu_model']}, {m['cpu_cores']} cores, torch {m['torch_version']} "
        f"({m['torch_threads']} threads in the main process), PyAV {m['pyav_version']}. "
        f"Batch {s['batch_size']}, about {s['seconds']} s of batches per row. "
        "Load average (1, 5, 15 min) at start "
        f"{', '.join(f'{v:.2f}' for v in m['load_avg_start'])}, at end "
        f"{', '.join(f'{v:.2f}' for v in m['load_avg_end'])}.",
        "",
        f"Fixtures: {s['images']} JPEGs of 178x218; {s['videos']} H.264 videos of {s['frames']} frames, "
        f"{s['video_size']} px square, a key frame every {s['gop']}; "
        "frame folders: the same frames as JPEGs.",
        "",
        "| source | px | workers | pairs/s | batch s (mean / max) | batches | first batch s | load 1 min |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['source']} | {r['size']} | {r['workers']} | {r['pairs_per_s']:.1f} | "
            f"{r['batch_s_mean']:.3f} / {r['batch_s_max']:.3f} | {r['batches']} | {r['first_batch_s']:.2f} | "
            f"{r['load_1min_before']:.2f} / {r['load_1min_after']:.2f} |"
        )
    lines += [
        "",
        "TPS pair maker on the CPU (batch of the training step, main process): "
        + ", ".join(f"{size} px {speed:.0f} pairs/s" for size, speed in report["tps_pairs_per_s"].items())
        + ".",
    ]
    for layout, t in report["index"].items():
        lines.append(
            f"Video index ({layout}, {t['videos']} videos, {t['frames']} frames): built in "
            f"{t['cold_s']:.2f} s, {t['cached_s']:.3f} s from its cache."
        )
    return "\n".join(lines) + "\n"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 128])
    parser.add_argument("--workers", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0, help="timed batches per row (seconds)")
    parser.add_argument("--min-batches", type=int, default=3)
    parser.add_argument("--images", type=int, default=256, help="JPEG files of the image folder")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=250, help="frames per video")
    parser.add_argument("--video-size", type=int, default=256)
    parser.add_argument("--gop", type=int, default=25, help="frames between key frames")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "data_throughput-cpu.json")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    report = {
        "machine": machine_info(),
        "settings": {k: v for k, v in vars(args).items() if k != "output"},
        "rows": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        videos = write_videos(folder / "videos", args.videos, args.frames, args.video_size, args.gop)
        roots = {
            "image-folder": write_image_folder(folder / "images", args.images),
            "video-folder": videos,
            "video-folder-warped": videos,
            "frame-folders": write_frame_folders(videos, folder / "frames"),
        }
        report["index"] = {
            "video-files": index_times(videos, "video-files"),
            "frame-folders": index_times(roots["frame-folders"], "frame-folders"),
        }
        for source in args.sources:
            for size in args.sizes:
                dataset = dataset_for(source, roots, size, count=args.images)
                for workers in args.workers:
                    row = {
                        "source": source,
                        "size": size,
                        "workers": workers,
                        **measure(dataset, workers, args),
                    }
                    print(f"{source:20s} {size:4d} px  {workers} workers  {row['pairs_per_s']:8.1f} pairs/s")
                    report["rows"].append(row)
    report["tps_pairs_per_s"] = {size: tps_pair_speed(size, args.batch_size) for size in args.sizes}
    report["machine"]["load_avg_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    args.output.with_suffix(".md").write_text(markdown(report))
    print(f"results: {args.output} and {args.output.with_suffix('.md')}")


if __name__ == "__main__":
    main()
