"""``landmarks detect``: landmarks of every image and video frame under some paths, written to files.

Frames are read one at a time (:mod:`landmarks.inference.inputs`), detected in batches, and each
batch's rows written before the next is read: memory holds one batch of frames (and the K points per
frame kept for the JSON file), whatever the number of images or the length of a video. A file that
cannot be read is reported on one line (the file and the problem) and skipped; the rest goes on, and
the summary counts the skipped files.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from landmarks.errors import DataError
from landmarks.inference.detector import LandmarkDetector
from landmarks.inference.inputs import Frame, InputFile, count_frames, expand_inputs, read_frames
from landmarks.inference.overlays import OverlayWriter
from landmarks.inference.results_file import ResultsWriter


@dataclass
class DetectSummary:
    """What a :func:`detect_files` run did.

    frames: images and video frames detected. files: input files found. skipped: one error per file
    (or named path) that could not be read wholly; a video that broke part-way keeps its earlier rows.
    outputs: the files written.
    """

    frames: int = 0
    files: int = 0
    skipped: list[DataError] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


def detect_files(
    detector: LandmarkDetector,
    inputs: Sequence[str | Path],
    output_dir: str | Path,
    *,
    overlay_dir: str | Path | None = None,
    batch_size: int = 32,
    progress: bool | None = None,
    model_name: str = "",
    report: Callable[[str], None] | None = None,
) -> DetectSummary:
    """Detect landmarks on the images and videos of ``inputs``; write ``landmarks.csv`` and
    ``landmarks.json`` into ``output_dir`` (:mod:`landmarks.inference.results_file`) and overlays
    into ``overlay_dir`` if given.

    Args:
        detector: the model (with a regressor, regressed points are written too).
        inputs: image files, video files and folders of them.
        batch_size: frames per forward pass.
        progress: show a progress bar; by default only when stderr is a terminal.
        model_name: recorded in the JSON file.
        report: called with one line per skipped file (default: printed to stderr above the bar).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    say = report or (lambda line: tqdm.write(line, file=sys.stderr))
    files, problems = expand_inputs(inputs)
    summary = DetectSummary(files=len(files))
    for problem in problems:
        _skip(summary, problem, say)
    show = sys.stderr.isatty() if progress is None else progress
    with ExitStack() as stack:
        results = stack.enter_context(ResultsWriter(output_dir, num_landmarks=detector.num_landmarks,
                                                    point_names=detector.point_names, model=model_name))
        overlays = None if overlay_dir is None else stack.enter_context(OverlayWriter(overlay_dir))
        total = count_frames(files) if show else None
        bar = stack.enter_context(tqdm(total=total, desc="detect", unit="frame", disable=not show))
        for batch in _batches(_frames(files, summary, say, bar), batch_size):
            landmarks = detector.detect([frame.image for frame in batch], batch_size=len(batch))  # (B, K, 2)
            points = None if detector.regressor is None else detector.regress(landmarks)  # (B, L, 2)
            for i, frame in enumerate(batch):
                results.write(frame, landmarks[i], None if points is None else points[i])
                if overlays is not None:
                    overlays.write(frame, landmarks[i], None if points is None else points[i])
            summary.frames += len(batch)
            bar.update(len(batch))
        if overlays is not None:
            overlays.close()
            summary.outputs += overlays.written
        summary.outputs[:0] = results.close(summary.skipped)
    return summary


def _frames(files: Sequence[InputFile], summary: DetectSummary, say, bar) -> Iterator[Frame]:
    for source in files:
        try:
            yield from read_frames(source)
        except DataError as error:
            _skip(summary, error, say)
            if not source.is_video:
                bar.update(1)  # the bar counted it (count_frames)


def _skip(summary: DetectSummary, error: DataError, say) -> None:
    summary.skipped.append(error)
    say(f"skipped {error}")


def _batches(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

