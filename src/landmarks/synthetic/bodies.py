"""Built-in video data: short videos of a moving synthetic upper body with BBC-Pose's 7 joints.

Each video is drawn from random parameters (:func:`sample_body_params`): framing (a signer-like
upper-body view), body proportions, appearance (skin, hair, shirt or open jacket, sleeves, clothes
and background textures, lighting, noise) and motion (every joint angle a smooth sum of
low-frequency sinusoids; a slow drift of position and scale). Frame ``f`` of video ``v`` of
collection ``seed`` is a deterministic function of ``(seed, v, f)``: no files are needed and any
worker can draw any frame.

Convention:
    Frames are ``(S, S, 3)`` uint8 RGB. Joints are ``(7, 2)`` pixels ``(x, y)`` of that frame, the
    centre of the top-left pixel at ``(0, 0)``, in :data:`BODY_JOINT_NAMES` order (BBC-Pose's: head,
    wrists, elbows, shoulders; "right" is the figure's right, on the image's left).

Splits (``data.source: synthetic-bodies``): training pairs come from videos ``0 ..
synthetic_videos - 1``; validation from the next ``ceil(validation_count / 8)`` videos; videos for
evaluation (:mod:`landmarks.synthetic.body_videos`) start at :func:`first_unused_video`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from landmarks.config import DataConfig, PairsConfig
from landmarks.data.pair_items import item_generator, pair_item
from landmarks.data.pair_sources import PAIRS_PER_HELD_OUT_GROUP, VALIDATION_SEED
from landmarks.data.preprocess import ResizeSpec
from landmarks.data.tps_pairs import TpsPairMaker, build_pair_maker
from landmarks.data.video_pairs import sample_frame_pair
from landmarks.synthetic.body_drawing import render_body
from landmarks.synthetic.body_kinematics import BODY_JOINT_NAMES, body_joints
from landmarks.synthetic.body_params import BodyParams, sample_body_params

__all__ = [
    "BODY_JOINT_NAMES",
    "BodyParams",
    "SyntheticBodyPairs",
    "body_video_params",
    "build_synthetic_body_pairs",
    "first_unused_video",
    "sample_body_params",
    "synthetic_body_frame",
]

MIN_SIZE, MAX_SIZE = 32, 256


@lru_cache(maxsize=256)
def body_video_params(seed: int, video: int) -> BodyParams:
    """The parameters of video ``video`` of collection ``seed`` (cached: a pair draws two frames)."""
    return sample_body_params(np.random.default_rng([seed, video]))


def synthetic_body_frame(seed: int, video: int, frame: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``frame`` of video ``video`` of collection ``seed``; same arguments, same bytes.

    Returns:
        ``(S, S, 3)`` uint8 RGB frame (``S = size``, 32 to 256) and ``(7, 2)`` float64 pixel joints.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"synthetic bodies are drawn at {MIN_SIZE} to {MAX_SIZE} px, got {size}")
    if min(seed, video, frame) < 0:
        raise ValueError(f"seed, video and frame must be >= 0, got {seed}, {video}, {frame}")
    params = body_video_params(seed, video)
    return render_body(params, frame, size), body_joints(params, frame, size)


class SyntheticBodyPairs(Dataset):
    """Pairs of frames of one synthetic video, ``gap`` frames apart (as :class:`VideoPairs`).

    Videos ``start .. start + videos - 1`` of collection ``seed``, each ``frames`` long. Item ``i``
    belongs to video ``start + i // frames`` and holds ``source`` and ``target`` ``(3, S, S)`` float32
    in ``[0, 1]``, ``mask`` ``(1, S, S)`` when ``warp`` is given, ``keypoints`` ``(2, 7, 2)`` pixel
    joints of source and target, ``video`` (the video's number in the collection) and ``frames``
    ``(2,)`` (source and target frame numbers, drawn by :func:`sample_frame_pair`).

    Args:
        seed: None for fresh pairs every epoch (training); an integer for fixed pairs (validation).
    """

    def __init__(
        self,
        videos: int,
        frames: int,
        size: int,
        *,
        collection: int = 0,
        start: int = 0,
        gap: tuple[int, int] = (3, 30),
        warp: TpsPairMaker | None = None,
        seed: int | None = None,
    ):
        if videos < 1 or start < 0:
            raise ValueError(f"need at least one video and start >= 0, got {videos} and {start}")
        if frames < gap[0] + 1:
            raise ValueError(f"videos of {frames} frames have no two frames {gap[0]} apart")
        self.videos, self.frames, self.size = videos, frames, size
        self.collection, self.start = collection, start
        self.gap, self.warp, self.seed = gap, warp, seed
        self.spec = ResizeSpec(size)

    def __len__(self) -> int:
        return self.videos * self.frames

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} synthetic video frames")
        generator = item_generator(self.seed, index)
        video = self.start + index // self.frames
        frames = sample_frame_pair(self.frames, self.gap, generator)
        (source, source_joints), (target, target_joints) = (
            synthetic_body_frame(self.collection, video, frame, self.size) for frame in frames
        )
        item = pair_item(source, target, self.spec, self.warp, generator)
        keypoints = torch.from_numpy(np.stack([source_joints, target_joints])).float()  # (2, 7, 2)
        return {**item, "keypoints": keypoints, "video": video, "frames": torch.tensor(frames)}


def held_out_videos(config: DataConfig) -> int:
    """How many videos after the training ones give the validation pairs (8 pairs per video)."""
    return math.ceil(max(config.validation_count, 0) / PAIRS_PER_HELD_OUT_GROUP)


def first_unused_video(config: DataConfig) -> int:
    """The first video of ``config.synthetic_seed`` that neither training nor validation uses."""
    return config.synthetic_videos + held_out_videos(config)


def build_synthetic_body_pairs(
    config: DataConfig, image_size: int, *, split: str, pairs: PairsConfig | None = None
) -> Dataset | None:
    """Training or validation pairs of ``data.source: synthetic-bodies`` (splits in the module docstring).

    Validation is ``validation_count`` fixed pairs spread evenly over the held-out videos, the same
    at every validation; None when none are asked for.
    """
    warp = build_pair_maker(pairs) if pairs is not None and pairs.warp_video_pairs else None
    options = {
        "collection": config.synthetic_seed,
        "gap": tuple(config.frame_gap),
        "warp": warp,
    }
    frames = config.synthetic_video_frames
    if split == "train":
        return SyntheticBodyPairs(config.synthetic_videos, frames, image_size, **options)
    held_out = held_out_videos(config)
    if held_out == 0:
        return None
    dataset = SyntheticBodyPairs(
        held_out, frames, image_size, start=config.synthetic_videos, seed=VALIDATION_SEED, **options
    )
    step = len(dataset) / config.validation_count
    return Subset(dataset, [int(i * step) for i in range(config.validation_count)])
