"""Writing annotated synthetic body videos for evaluation: frame images, an annotation CSV, MP4s.

Layout written under ``folder`` for a split called ``name``::

    folder/name/v000123/f0000.png ...   the frames of video 123 of the collection
    folder/name/v000123.mp4             the same frames as a video (with ``mp4=True``)
    folder/name.csv                     image,head_x,head_y,right_wrist_x,... (annotations.py format)

The CSV is what ``landmarks evaluate --train/--test`` reads (:mod:`landmarks.evaluation.annotations`):
image paths relative to ``folder``, the 7 joints in pixels of the frame, BBC-Pose's order. The MP4s
are for ``landmarks detect`` and ``landmarks track``; they are lossy, the PNGs are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from landmarks.config import DataConfig
from landmarks.evaluation.annotations import write_annotations
from landmarks.synthetic.bodies import BODY_JOINT_NAMES, first_unused_video, synthetic_body_frame

FRAME_RATE = 25  # frames per second of the MP4s (BBC-Pose's broadcasts are 25 fps)
MP4_CODEC = "libx264"
MP4_QUALITY = "18"  # x264 constant rate factor: visually lossless


def write_synthetic_body_videos(
    folder: str | Path,
    videos: Iterable[int],
    frames: int,
    size: int,
    *,
    seed: int = 0,
    name: str = "test",
    every: int = 1,
    mp4: bool = False,
) -> Path:
    """Write frames ``0, every, 2 every, ... < frames`` of each of ``videos`` of collection ``seed``.

    Args:
        folder: where to write (created if missing).
        videos: video numbers of the collection; use ones training never saw
            (:func:`~landmarks.synthetic.bodies.first_unused_video` and after).
        frames: frames per video; ``size``: side of each frame in pixels (32 to 256).
        every: keep every ``every``-th frame in the images and CSV (neighbouring frames are alike).
        mp4: also write each video's kept frames as an MP4 (H.264) at :data:`FRAME_RATE`.

    Returns:
        The annotation CSV's path, ``folder/name.csv``.
    """
    folder = Path(folder)
    if frames < 1 or every < 1:
        raise ValueError(f"frames and every must be at least 1, got {frames} and {every}")
    image_paths, points = [], []
    for video in videos:
        video_dir = folder / name / f"v{video:06d}"
        video_dir.mkdir(parents=True, exist_ok=True)
        images = []
        for frame in range(0, frames, every):
            image, joints = synthetic_body_frame(seed, video, frame, size)
            relative = video_dir.relative_to(folder) / f"f{frame:04d}.png"
            Image.fromarray(image).save(folder / relative)
            image_paths.append(relative)
            points.append(joints)
            images.append(image)
        if mp4:
            write_mp4(video_dir.with_suffix(".mp4"), images)
    if not image_paths:
        raise ValueError("no videos to write")
    csv_path = folder / f"{name}.csv"
    write_annotations(csv_path, folder, image_paths, np.stack(points), BODY_JOINT_NAMES)
    return csv_path


@dataclass(frozen=True)
class BodyEvaluationSet:
    """The two annotation CSVs of :func:`write_body_evaluation_set` and the videos they hold."""

    train_csv: Path  # for fitting the regressor (``landmarks evaluate --train``)
    test_csv: Path  # for reporting errors (``--test``)
    train_videos: range
    test_videos: range


def write_body_evaluation_set(
    folder: str | Path,
    config: DataConfig,
    *,
    train_videos: int,
    test_videos: int,
    frames: int,
    size: int,
    every: int = 1,
    mp4: bool = True,
) -> BodyEvaluationSet:
    """Write a regression (``train``) and a ``test`` split of videos that ``config`` never trains or
    validates on: ``train_videos`` then ``test_videos`` consecutive videos of ``config.synthetic_seed``
    from :func:`~landmarks.synthetic.bodies.first_unused_video`. MP4s only for the test split."""
    first = first_unused_video(config)
    train = range(first, first + train_videos)
    test = range(train.stop, train.stop + test_videos)
    options = {"frames": frames, "size": size, "seed": config.synthetic_seed, "every": every}
    return BodyEvaluationSet(
        write_synthetic_body_videos(folder, train, name="train", **options),
        write_synthetic_body_videos(folder, test, name="test", mp4=mp4, **options),
        train,
        test,
    )


def write_mp4(path: Path, images: list[np.ndarray], rate: int = FRAME_RATE) -> None:
    """Encode ``(S, S, 3)`` uint8 RGB frames (even ``S``) as an H.264 MP4 with PyAV."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(MP4_CODEC, rate=Fraction(rate), options={"crf": MP4_QUALITY})
        stream.height, stream.width = images[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for image in images:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())  # flush the encoder
