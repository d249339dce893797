"""``landmarks track``: a trained model's landmarks followed through a video, as figures (paper Fig. 5).

Reads a video file (or a folder of frame images, in name order) frame by frame, finds the learned
landmarks of every frame with :func:`landmarks.load` (each frame brought to the model's input as in
training, landmarks mapped back to the frame's own pixels), and writes ``filmstrip.png`` (every n-th
frame with its landmarks) and ``trajectories.png`` (each landmark's path and its x, y over time) with
the pure drawing functions of :mod:`landmarks.viz.tracking`. Frames are decoded a batch at a time and
only the frames the filmstrip shows are kept, so long videos need little memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from landmarks.errors import DataError, LandmarksError
from landmarks.figures import save_png
from landmarks.inference.inputs import expand_inputs, read_frames
from landmarks.viz.heatmaps import figure_to_array
from landmarks.viz.tracking import MAX_FRAMES, filmstrip, trajectories_figure

MAX_VIDEO_FRAMES = 3000  # frames tracked at most (the first ones): 2 minutes at 25 fps
BATCH_FRAMES = 32  # frames per forward pass


def track_video(model, video: str | Path, *, every: int = 1, strip_frames: int | None = MAX_FRAMES,
                max_frames: int | None = MAX_VIDEO_FRAMES, batch_size: int = BATCH_FRAMES
                ) -> tuple[np.ndarray, dict[int, np.ndarray], float | None]:
    """The landmarks of every frame of ``video``, and the frames a filmstrip shows.

    Args:
        model: a :class:`~landmarks.inference.LandmarkDetector` (``landmarks.load(path)``).
        video: a video file, or a folder of frame images (read in name order).
        every, strip_frames: the filmstrip shows frames ``0, every, 2 * every, ...``, at most
            ``strip_frames``.
        max_frames: track at most this many frames (the first ones; None: all).

    Returns:
        ``(T, K, 2)`` pixel ``(x, y)`` of each frame; ``{t: (H, W, 3) uint8}`` the kept frames; the
        video's frames per second (None for a folder of images).
    """
    _check_counts(every=every, strip_frames=strip_frames, max_frames=max_frames, batch_size=batch_size)
    landmarks, frames, rate = [], {}, None
    batch: list[np.ndarray] = []
    for t, (image, frame_rate) in enumerate(_frames(video, max_frames)):
        rate = frame_rate
        if t % every == 0 and (strip_frames is None or t // every < strip_frames):  # as in strip_indices
            frames[t] = image
        batch.append(image)
        if len(batch) == batch_size:
            landmarks.append(model.detect(batch, batch_size=batch_size))
            batch = []
    if batch:
        landmarks.append(model.detect(batch, batch_size=batch_size))
    return np.concatenate(landmarks), frames, None if rate is None else float(rate)


def tracking_figures(model, video: str | Path, folder: str | Path, *, every: int = 1,
                     strip_frames: int | None = MAX_FRAMES, columns: int | None = None,
                     max_frames: int | None = MAX_VIDEO_FRAMES) -> list[Path]:
    """Write ``filmstrip.png`` and ``trajectories.png`` of ``video`` into ``folder``; return their paths.

    ``model`` is a :class:`~landmarks.inference.LandmarkDetector`; see :func:`track_video` for the rest.
    """
    folder = Path(folder)
    _check_counts(columns=columns)
    landmarks, frames, fps = track_video(model, video, every=every, strip_frames=strip_frames,
                                         max_frames=max_frames)
    shown = sorted(frames)
    strip = filmstrip([frames[t] for t in shown], landmarks[shown], max_frames=None, columns=columns)
    paths = figure_to_array(trajectories_figure(landmarks, background=frames[0], fps=fps))
    return [save_png(strip, folder / "filmstrip.png"), save_png(paths, folder / "trajectories.png")]


def _check_counts(**counts: int | None) -> None:
    for name, value in counts.items():
        if value is not None and value < 1:
            raise LandmarksError(f"{name} must be >= 1, got {value}")


def _frames(video: str | Path, max_frames: int | None) -> Iterator[tuple[np.ndarray, object]]:
    """``(frame (H, W, 3) uint8, frames per second or None)`` in order, at most ``max_frames``."""
    files, problems = expand_inputs([video])
    if problems:
        raise problems[0]
    if len(files) > 1 and any(file.is_video for file in files):
        raise DataError(video, "give one video file, or a folder of frame images (not a folder of videos)")
    count = 0
    for file in files:
        for frame in read_frames(file):
            yield frame.image, frame.rate
            count += 1
            if count == max_frames:
                return
