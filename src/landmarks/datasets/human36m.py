"""Human3.6M: 11 actors filmed by 4 cameras; loose crops around the actor from the 2-D poses.

Layout (as distributed, per subject; the licence forbids redistribution, so nothing is downloaded)::

    ROOT/S1/Videos/Directions 1.54138969.mp4                    <action>.<camera>.mp4
    ROOT/S1/MyPoseFeatures/D2_Positions/Directions 1.54138969.cdf   variable Pose: (1, F, 64),
                                                                32 joints as x, y in pixels per frame

Training pairs (paper sec. 4.3): two frames of one video 3 to 30 frames apart, each cropped to a
loose square box around the actor's 2-D joints in that frame and resized to the model size.
Subjects: S1, S5, S6, S7, S8, S9 for training; S11 is held out (the supplement shows S1 and S11 as
test actors; the paper gives no split, this is the common one). The paper reports no Human3.6M
numbers, so there is nothing to evaluate. Videos without a pose file are skipped.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from torch.utils.data import Dataset

from landmarks.data.frame_boxes import FrameBoxes
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.data.video_index import IndexedVideo, index_videos
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing, no_annotations
from landmarks.datasets.files import expect_folder
from landmarks.datasets.video_sets import video_pairs
from landmarks.errors import DataError

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9")
FRAME_GAP = (3, 30)  # paper sec. 4.3
LOOSE_CROP = 1.5  # box side / the joints' larger extent. NOTE(paper): says only "loose crops"
POSE_VARIABLE = "Pose"
JOINTS = 32


def read_poses(path: Path) -> np.ndarray:
    """A ``D2_Positions`` CDF file as ``(F, 32, 2)`` pixel ``(x, y)``.

    CDF is NASA's Common Data Format; cdflib (a maintained pure-Python reader) reads it.
    """
    import cdflib

    try:
        pose = np.asarray(cdflib.CDF(str(path)).varget(POSE_VARIABLE), dtype=np.float64)
    except (OSError, ValueError, KeyError) as error:
        raise DataError(path, f"cannot read variable {POSE_VARIABLE!r} of a CDF file ({error})") from None
    if pose.size % (2 * JOINTS):
        raise DataError(path, f"Pose must hold 64 numbers per frame, got shape {pose.shape}")
    return pose.reshape(-1, JOINTS, 2)  # (F, 32, 2)


def loose_boxes(poses: np.ndarray, scale: float = LOOSE_CROP) -> np.ndarray:
    """``(F, 32, 2)`` joints -> ``(F, 4)`` square boxes ``(x0, y0, x1, y1)`` (pixel centres, as
    :mod:`landmarks.data.frame_boxes`) centred on the joints' bounding box, ``scale`` times its
    larger side."""
    low, high = poses.min(axis=1), poses.max(axis=1)  # (F, 2)
    centre = (low + high) / 2
    half = scale * (high - low).max(axis=1, keepdims=True) / 2  # (F, 1)
    return np.concatenate([centre - half, centre + half], axis=1)


class Human36M:
    """Human3.6M videos with pose-derived loose crops (module docstring)."""

    name = "human36m"
    preprocessing = Preprocessing("stretch")
    training_kind = "pairs"

    def __init__(self, root: str | Path, subjects: tuple[str, ...] = TRAIN_SUBJECTS):
        self.root = Path(root)
        self.subjects = subjects
        for subject in subjects:
            expect_folder(self.root, f"{subject}/Videos", "Human3.6M")
            expect_folder(self.root, f"{subject}/MyPoseFeatures/D2_Positions", "Human3.6M")

    @cached_property
    def videos(self) -> tuple[list[IndexedVideo], FrameBoxes]:
        """The training subjects' videos that have poses, and a loose box for each of their frames.

        Videos are indexed (frame counts and timestamps) once and cached, as by ``video-folder``."""
        index = index_videos(self.root, "video-files")
        videos, boxes = [], {}
        for video in index.videos:
            subject, folder, file_name = (video.name.split("/") + ["", ""])[:3]
            pose_file = self.root / subject / "MyPoseFeatures/D2_Positions" / f"{Path(file_name).stem}.cdf"
            if subject not in self.subjects or folder != "Videos" or not pose_file.is_file():
                continue
            poses = read_poses(pose_file)
            count = min(video.frame_count, len(poses))  # pose and video frame counts may differ by a few
            videos.append(dataclasses.replace(video, frame_count=count))
            boxes[video.name] = (np.arange(count), loose_boxes(poses[:count]))
        if not videos:
            raise DataError(self.root, f"no video with a pose file for subjects {', '.join(self.subjects)}")
        return videos, FrameBoxes(boxes)

    def training_pairs(
        self,
        spec: ResizeSpec,
        *,
        split: Literal["train", "validation"],
        validation_count: int,
        warp: TpsPairMaker | None = None,
    ) -> Dataset | None:
        videos, boxes = self.videos
        return video_pairs(
            videos,
            spec,
            split=split,
            validation_count=validation_count,
            gap=FRAME_GAP,
            boxes=boxes,
            warp=warp,
            root=self.root,
        )

    def evaluation_splits(self) -> EvaluationSplits:
        raise no_annotations(self.name)
