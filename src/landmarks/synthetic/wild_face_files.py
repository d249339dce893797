"""Writing wild synthetic faces to disk: still images and identity videos with annotation CSVs.

Layout under ``folder``::

    folder/train/000000.png ...           faces start .. start + count - 1 of the collection
    folder/train.csv                      image,x0,y0,...,x4,y4 (the annotations.py format)
    folder/videos/id000000/000000.png ... the frames of each identity video (frame-folders layout)
    folder/videos.csv                     the frames' points, paths relative to ``folder``

Points are in pixels of the written images, :data:`~landmarks.synthetic.wild_faces.WILD_FACE_POINT_NAMES`
order. PNGs are lossless, so reading them back gives the drawn bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from landmarks.evaluation.annotations import write_annotations
from landmarks.synthetic.wild_face_videos import wild_face_video_frame
from landmarks.synthetic.wild_faces import wild_face

CHUNK = 64  # images per worker task


def write_wild_faces(
    folder: str | Path,
    split: str,
    *,
    start: int,
    count: int,
    size: int = 64,
    seed: int = 0,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """Write faces ``start .. start + count - 1`` of collection ``seed`` under ``folder/split``; the CSV."""
    jobs = [
        (f"{split}/{index:06d}.png", partial(wild_face, seed, index, size))
        for index in range(start, start + count)
    ]
    return _write(Path(folder), f"{split}.csv", jobs, workers, progress)


def write_wild_face_videos(
    folder: str | Path,
    *,
    videos: Sequence[int],
    frames: int,
    size: int = 64,
    seed: int = 0,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """Write ``frames`` frames of each identity video in ``videos`` to ``folder/videos``; returns the CSV."""
    jobs = [
        (
            f"videos/id{video:06d}/{frame:06d}.png",
            partial(wild_face_video_frame, seed, video, frame, frames, size),
        )
        for video in videos
        for frame in range(frames)
    ]
    return _write(Path(folder), "videos.csv", jobs, workers, progress)


def _write(
    folder: Path, csv_name: str, jobs: list[tuple[str, Callable]], workers: int, progress: bool
) -> Path:
    """Draw and save every ``(relative path, draw)`` job in ``workers`` processes, then write the CSV."""
    for directory in {str(Path(path).parent) for path, _ in jobs}:
        (folder / directory).mkdir(parents=True, exist_ok=True)
    chunks = [(folder, jobs[i : i + CHUNK]) for i in range(0, len(jobs), CHUNK)]
    points = []
    executor = ProcessPoolExecutor(workers) if workers > 1 else nullcontext()
    with (
        executor as pool,
        tqdm(total=len(jobs), desc=csv_name.removesuffix(".csv"), unit="image", disable=not progress) as bar,
    ):
        for chunk_points in (pool.map if workers > 1 else map)(_draw_and_save, chunks):
            points.append(chunk_points)
            bar.update(len(chunk_points))
    csv_path = folder / csv_name
    stacked = np.concatenate(points) if points else np.zeros((0, 5, 2))
    write_annotations(csv_path, folder, [path for path, _ in jobs], stacked)
    return csv_path


def _draw_and_save(chunk: tuple[Path, list[tuple[str, Callable]]]) -> np.ndarray:
    """Draw and save one chunk of jobs; ``(n, 5, 2)`` their points."""
    folder, jobs = chunk
    points = []
    for relative, draw in jobs:
        image, image_points = draw()
        Image.fromarray(image).save(folder / relative)
        points.append(image_points)
    return np.stack(points)
