"""VoxCeleb (1 or 2): face tracks of celebrities speaking, as frames or as videos.

Layout (as distributed, either form)::

    ROOT/<identity>/<video id>/<utterance>/<frame>.jpg     frames (VoxCeleb1's face-track frames)
    ROOT/<identity>/<video id>/<utterance>.mp4             videos (VoxCeleb2's dev/mp4 folder)
    ROOT/excluded_identities.txt                           optional: identities to leave out, one a line

Training pairs (paper sec. 4.2): two frames of one video; with frames, the utterances of a video form
one sequence, so a pair may span two utterances, as in the paper. With videos each utterance is its
own sequence (pairs within an utterance). Identities listed in ``excluded_identities.txt`` are left
out: the paper removes identities that overlap the MAFL and AFLW test sets (it does not publish the
list). Nothing to evaluate: VoxCeleb-trained models are evaluated on MAFL and AFLW.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from torch.utils.data import Dataset

from landmarks.data.images import IMAGE_SUFFIXES
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.data.video_files import VIDEO_SUFFIXES
from landmarks.data.video_index import IndexedVideo, index_videos, natural_key
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing, no_annotations
from landmarks.datasets.files import read_lines
from landmarks.datasets.video_sets import frame_folder_video, video_pairs
from landmarks.errors import DataError

EXCLUDED_FILE = "excluded_identities.txt"


class VoxCeleb:
    """VoxCeleb face tracks (module docstring)."""

    name = "voxceleb"
    preprocessing = Preprocessing("stretch")
    training_kind = "pairs"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.identities = sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
        if not self.identities:
            raise DataError(self.root, "expected one folder per VoxCeleb identity, found none")
        excluded_file = self.root / EXCLUDED_FILE
        self.excluded = set(read_lines(excluded_file)) if excluded_file.is_file() else set()

    @property
    def kept_identities(self) -> list[str]:
        return [identity for identity in self.identities if identity not in self.excluded]

    @cached_property
    def videos(self) -> list[IndexedVideo]:
        """One sequence per video (frames) or per utterance (video files), of the kept identities."""
        kept = set(self.kept_identities)
        frame_videos = []
        for identity in sorted(kept):
            for video in sorted(p for p in (self.root / identity).iterdir() if p.is_dir()):
                frames = [
                    f.relative_to(video).as_posix()
                    for f in video.glob("*/*")
                    if f.suffix.lower() in IMAGE_SUFFIXES
                ]
                if frames:
                    frame_videos.append(
                        frame_folder_video(f"{identity}/{video.name}", video, sorted(frames, key=natural_key))
                    )
        if frame_videos:
            return frame_videos
        if not any(p.suffix.lower() in VIDEO_SUFFIXES for p in self.root.glob("*/*/*")):
            raise DataError(
                self.root,
                "found neither frames (<identity>/<video>/<utterance>/*.jpg) nor "
                "videos (<identity>/<video>/<utterance>.mp4)",
            )
        index = index_videos(self.root, "video-files")
        return [video for video in index.videos if video.name.split("/")[0] in kept]

    def training_pairs(
        self,
        spec: ResizeSpec,
        *,
        split: Literal["train", "validation"],
        validation_count: int,
        warp: TpsPairMaker | None = None,
    ) -> Dataset | None:
        return video_pairs(
            self.videos, spec, split=split, validation_count=validation_count, warp=warp, root=self.root
        )

    def evaluation_splits(self) -> EvaluationSplits:
        raise no_annotations(self.name)
