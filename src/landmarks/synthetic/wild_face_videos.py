"""Videos of wild synthetic faces: one identity per video while pose, expression and light drift.

Video ``v`` of collection ``seed`` keeps one :class:`~landmarks.synthetic.wild_face_params.Identity`
(head shape, colours, textures, accessories, background) and one kind of photo damage. Over its
``F`` frames the pose (position, scale, roll, yaw, pitch), the mouth's opening and smile, blinks,
gaze and the light's direction follow smooth sinusoids of random phase, one to two cycles per video.
Frame ``f`` is a deterministic function of ``(seed, v, f, F)``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from landmarks.synthetic.wild_face_params import (
    MAX_PITCH,
    MAX_ROLL,
    MAX_YAW,
    Expression,
    Pose,
    WildFaceParams,
    sample_wild_face_params,
)
from landmarks.synthetic.wild_faces import render_wild_face

VIDEO_STREAM = 7919  # keeps video identities apart from the still faces of the same seed
CYCLES = (0.5, 2.0)  # cycles of each drift over a video
DRIFT = {"shift": 0.04, "scale": 0.08, "roll": 0.6, "yaw": 0.8, "pitch": 0.6, "light": 0.7}  # amplitudes
BLINKS = (1, 4)  # blinks per video, at least and less than


def wild_face_video_frame(seed: int, video: int, frame: int, frames: int, size: int = 64):
    """Frame ``frame`` of ``frames`` of video ``video``: ``(S, S, 3)`` uint8 image, ``(5, 2)`` pixels."""
    if not 0 <= frame < frames:
        raise ValueError(f"frame {frame} out of range for {frames} frames")
    return render_wild_face(video_frame_params(seed, video, frame / frames), size)


def video_frame_params(seed: int, video: int, time: float) -> WildFaceParams:
    """The parameters at ``time`` in ``[0, 1)`` of the video: its fixed identity, drifting the rest.

    Roll, yaw and pitch drift by ``DRIFT`` times their largest range and stay within it.
    """
    rng = np.random.default_rng([seed, VIDEO_STREAM, video])
    start = sample_wild_face_params(rng)
    waves = rng.uniform(0, 2 * np.pi, 12), rng.uniform(*CYCLES, 12)

    def wave(i: int) -> float:  # in [-1, 1]
        return float(np.sin(waves[0][i] + 2 * np.pi * waves[1][i] * time))

    pose = start.pose
    pose = Pose(
        centre=(pose.centre[0] + DRIFT["shift"] * wave(0), pose.centre[1] + DRIFT["shift"] * wave(1)),
        scale=pose.scale * (1 + DRIFT["scale"] * wave(2)),
        roll=_within(pose.roll + DRIFT["roll"] * MAX_ROLL * wave(3), MAX_ROLL),
        yaw=_within(pose.yaw + DRIFT["yaw"] * MAX_YAW * wave(4), MAX_YAW),
        pitch=_within(pose.pitch + DRIFT["pitch"] * MAX_PITCH * wave(5), MAX_PITCH),
    )
    blinks = rng.integers(*BLINKS)
    expression = Expression(
        mouth_open=max(0.0, 0.07 * wave(6)),
        smile=0.015 + 0.045 * wave(7),
        eyes_open=min(1.0, 4.0 * abs(np.sin(np.pi * (blinks * time + waves[0][8])))),
        gaze=(0.3 * wave(9), 0.3 * wave(10)),
    )
    light = start.light
    turn = DRIFT["light"] * wave(11)
    x, y, z = light.direction
    direction = (x * np.cos(turn) - y * np.sin(turn), x * np.sin(turn) + y * np.cos(turn), z)
    damage = replace(start.damage, seed=start.damage.seed + int(time * 2**20))  # fresh noise per frame
    return replace(
        start,
        pose=pose,
        expression=expression,
        damage=damage,
        light=replace(light, direction=tuple(float(d) for d in direction)),
    )


def _within(angle: float, limit: float) -> float:
    return float(np.clip(angle, -limit, limit))
