"""BBC-Pose: sign-language interpreters in 20 BBC videos, 7 upper-body joints (paper sec. 4.3).

Layout (as distributed: the frames and the toolkit's annotation file)::

    ROOT/bbcpose.mat          (or ROOT/code/bbcpose.mat) struct array ``bbcpose``, one entry per video
                              with fields videoName, type, source, train_frames (1, N),
                              train_joints (2, 7, N), test_frames (1, M), test_joints (2, 7, M)
    ROOT/1/<frame>.jpg ...    the frames of video 1 (file name = frame number), up to ROOT/20/

Splits (REFERENCE sec. 5): videos 1-10 train, 11-15 validation, 16-20 test. Evaluation: the regressor
is fitted on the annotated frames of the training videos (``train_joints``), validated on videos
11-15 and tested on videos 16-20, using each video's manual ground truth (``test_*``) where it has
one, else ``train_*``. Joints are in pixels of the frames as distributed; accuracy is PCK (no
inter-ocular normalisation) at 6 pixels of the official toolkit's half-resolution frames
(``TOOLKIT_PCK_SCALE``). Training pairs: two frames of one training video (any gap), the whole
frame resized to the model size (the paper gives no crop for BBC-Pose).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from torch.utils.data import Dataset

from landmarks.data.image_folder import ImageFolder
from landmarks.data.images import IMAGE_SUFFIXES
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker
from landmarks.data.video_index import natural_key
from landmarks.datasets.adapter import EvaluationSplits, Preprocessing
from landmarks.datasets.files import check_files_exist, expect_folder, load_mat
from landmarks.datasets.video_sets import frame_folder_video, video_pairs
from landmarks.errors import DataError
from landmarks.evaluation.annotations import AnnotationSet

ANNOTATION_FILES = ("bbcpose.mat", "code/bbcpose.mat")
SPLIT_VIDEOS = {"train": range(1, 11), "val": range(11, 16), "test": range(16, 21)}  # 1-based
JOINT_NAMES = (
    "head",
    "right_wrist",
    "left_wrist",
    "right_elbow",
    "left_elbow",
    "right_shoulder",
    "left_shoulder",
)  # the toolkit's order
MATLAB_ORIGIN = 1.0  # the toolkit's joints are 1-based (MATLAB) pixel coordinates
# The official evaluation halves predictions and ground truth, (p - 1) / 2 + 1, before its 6-pixel test:
# PCK@6 is 6 pixels of half-resolution frames, 12 of the frames as distributed.
TOOLKIT_PCK_SCALE = 0.5


def find_annotation_file(root: Path) -> Path:
    for relative in ANNOTATION_FILES:
        if (root / relative).is_file():
            return root / relative
    raise DataError(
        root / ANNOTATION_FILES[0],
        f"expected BBC-Pose toolkit file is missing "
        f"(looked for {' and '.join(ANNOTATION_FILES)} under {root})",
    )


def read_bbcpose(path: Path) -> list[dict[str, np.ndarray]]:
    """The ``bbcpose`` struct array: per video, ``train``/``test`` frame numbers ``(N,)`` int and
    joints ``(N, 7, 2)`` pixel ``(x, y)`` (0-based, our convention)."""
    mat = load_mat(path)
    if "bbcpose" not in mat:
        raise DataError(path, "no variable 'bbcpose'")
    videos = []
    for number, entry in enumerate(np.asarray(mat["bbcpose"]).reshape(-1), start=1):
        video = {}
        for kind in ("train", "test"):
            try:
                frames, joints = entry[f"{kind}_frames"], entry[f"{kind}_joints"]
            except (KeyError, ValueError, IndexError):
                raise DataError(path, f"video {number}: no fields {kind}_frames and {kind}_joints") from None
            video[kind] = _frames_and_joints(path, number, kind, np.asarray(frames), np.asarray(joints))
        videos.append(video)
    return videos


def _frames_and_joints(path: Path, number: int, kind: str, frames: np.ndarray, joints: np.ndarray):
    frames = frames.reshape(-1).astype(np.int64)
    if joints.size == 0 and frames.size == 0:
        return frames, np.zeros((0, len(JOINT_NAMES), 2))
    if joints.shape != (2, len(JOINT_NAMES), len(frames)):
        raise DataError(
            path, f"video {number}: {kind}_joints must be (2, 7, {len(frames)}), got {joints.shape}"
        )
    return frames, joints.transpose(2, 1, 0).astype(np.float64) - MATLAB_ORIGIN  # (N, 7, 2)


class BBCPose:
    """BBC-Pose frames and toolkit annotations (module docstring)."""

    name = "bbc-pose"
    preprocessing = Preprocessing("stretch")
    training_kind = "pairs"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._annotation_file = find_annotation_file(self.root)
        for number in SPLIT_VIDEOS["train"]:
            expect_folder(self.root, str(number), "BBC-Pose")

    @cached_property
    def annotations(self) -> list[dict[str, np.ndarray]]:
        videos = read_bbcpose(self._annotation_file)
        if len(videos) < max(SPLIT_VIDEOS["test"]):
            raise DataError(self._annotation_file, f"expected 20 videos, found {len(videos)}")
        return videos

    def frame_files(self, number: int) -> list[str]:
        """The frame files of video ``number`` in time order."""
        folder = expect_folder(self.root, str(number), "BBC-Pose")
        names = [p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        return sorted(names, key=natural_key)

    def training_images(self, spec: ResizeSpec, validation_count: int = 0) -> Dataset:
        paths = [self.root / str(n) / f for n in SPLIT_VIDEOS["train"] for f in self.frame_files(n)]
        return ImageFolder(self.root, spec, paths=paths)

    def validation_images(self, spec: ResizeSpec, count: int) -> Dataset | None:
        paths = [self.root / str(n) / f for n in SPLIT_VIDEOS["val"] for f in self.frame_files(n)]
        return ImageFolder(self.root, spec, paths=paths[:count]) if count > 0 and paths else None

    def training_pairs(
        self,
        spec: ResizeSpec,
        *,
        split: Literal["train", "validation"],
        validation_count: int,
        warp: TpsPairMaker | None = None,
    ) -> Dataset | None:
        """Two frames of one training video; validation pairs from held-out training videos."""
        videos = [
            frame_folder_video(str(n), self.root / str(n), self.frame_files(n)) for n in SPLIT_VIDEOS["train"]
        ]
        return video_pairs(
            videos, spec, split=split, validation_count=validation_count, warp=warp, root=self.root
        )

    def evaluation_splits(self) -> EvaluationSplits:
        train = self._annotations("train", ground_truth=False)
        return EvaluationSplits(train, self._annotations("val"), self._annotations("test"), eye_indices=None,
                                pck_scale=TOOLKIT_PCK_SCALE)

    def _annotations(self, split: str, ground_truth: bool = True) -> AnnotationSet:
        paths, points = [], []
        for number in SPLIT_VIDEOS[split]:
            video = self.annotations[number - 1]
            frames, joints = video["test"] if ground_truth and len(video["test"][0]) else video["train"]
            paths += [Path(str(number)) / f"{frame}.jpg" for frame in frames]
            points.append(joints)
        if not paths:
            raise DataError(self._annotation_file, f"no annotated frames in the {split} videos")
        check_files_exist(self.root, paths, f"BBC-Pose {split} frames")
        return AnnotationSet(self.root, paths, np.concatenate(points), point_names=JOINT_NAMES)
