"""Posing a synthetic body at time ``t``: joint angles from the trajectories, then joint positions.

A 2-D kinematic chain: the torso leans about the neck base; the shoulders hang off the torso; each
arm is an upper arm and a forearm turning at the shoulder and the elbow; the head tilts on the neck.

Convention:
    :class:`Skeleton` holds body-local points (see :mod:`landmarks.synthetic.body_params`);
    :meth:`BodyFrame.to_pixels` maps them to pixels of the ``size x size`` image (x right, y down,
    the centre of the top-left pixel at ``(0, 0)``). Joints are returned in
    :data:`BODY_JOINT_NAMES` order, BBC-Pose's (``landmarks.datasets.bbc_pose.JOINT_NAMES``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landmarks.synthetic.body_params import BodyParams, Trajectory, Wave

BODY_JOINT_NAMES = (
    "head",
    "right_wrist",
    "left_wrist",
    "right_elbow",
    "left_elbow",
    "right_shoulder",
    "left_shoulder",
)  # BBC-Pose's order; "right" is the figure's right, on the image's left


def wave_value(wave: Wave, t: float) -> float:
    """The wave at time ``t`` (frames), in ``[-1, 1]``."""
    amplitudes = np.asarray(wave.amplitudes)
    phases = 2 * np.pi * np.asarray(wave.frequencies) * t + np.asarray(wave.phases)
    return float(amplitudes @ np.sin(phases) / amplitudes.sum())


def trajectory_value(trajectory: Trajectory, t: float) -> float:
    """The trajectory at time ``t`` (frames), in ``[low, high]``."""
    fraction = trajectory.centre + 0.5 * trajectory.activity * wave_value(trajectory.wave, t)
    return trajectory.low + (trajectory.high - trajectory.low) * fraction


def rotation(angle: float) -> np.ndarray:
    """``(2, 2)``: turns vectors by ``angle`` radians, clockwise on screen (y down)."""
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, -sin], [sin, cos]])


@dataclass(frozen=True)
class Skeleton:
    """One posed body in body-local units. Every point is ``(2,)``; ``head_angle`` in radians."""

    head: np.ndarray  # centre of the head ellipse
    head_angle: float  # the head's total tilt (lean plus head tilt)
    neck: np.ndarray  # base of the neck (the origin)
    shoulders: tuple[np.ndarray, np.ndarray]  # right, left
    elbows: tuple[np.ndarray, np.ndarray]
    wrists: tuple[np.ndarray, np.ndarray]
    hips: tuple[np.ndarray, np.ndarray]  # the torso's bottom corners, right, left
    lean: float

    def joints(self) -> np.ndarray:
        """``(7, 2)`` body-local joints in :data:`BODY_JOINT_NAMES` order."""
        return np.stack([self.head, *self.wrists, *self.elbows, *self.shoulders])


def pose_skeleton(params: BodyParams, t: float) -> Skeleton:
    """The body of ``params`` at frame ``t``."""
    body, motion = params.proportions, params.motion
    lean = trajectory_value(motion.lean, t)
    torso = rotation(lean)
    neck = np.zeros(2)
    head_angle = lean + trajectory_value(motion.head_tilt, t)
    head = neck + rotation(head_angle) @ np.array([0.0, -(body.neck_length + body.head_height)])
    shoulders, elbows, wrists, hips = [], [], [], []
    # side: -1 for the figure's right (image left), +1 for its left
    for side, shoulder_path, elbow_path in (
        (-1.0, motion.right_shoulder, motion.right_elbow),
        (1.0, motion.left_shoulder, motion.left_elbow),
    ):
        shoulder = neck + torso @ np.array([side, body.shoulder_drop])
        raised = trajectory_value(shoulder_path, t)  # away from the body
        bent = trajectory_value(elbow_path, t)  # towards the midline
        upper_direction = torso @ np.array([side * np.sin(raised), np.cos(raised)])
        fore_direction = torso @ np.array([side * np.sin(raised - bent), np.cos(raised - bent)])
        elbow = shoulder + body.upper_arm * upper_direction
        shoulders.append(shoulder)
        elbows.append(elbow)
        wrists.append(elbow + body.forearm * fore_direction)
        hips.append(neck + torso @ np.array([side * body.waist, body.torso_length]))
    return Skeleton(head, head_angle, neck, tuple(shoulders), tuple(elbows), tuple(wrists), tuple(hips), lean)


@dataclass(frozen=True)
class BodyFrame:
    """The map from body-local units to image pixels at one time: scale, then shift."""

    origin: np.ndarray  # (2,) pixels of the neck base
    scale: float  # pixels per body-local unit

    @classmethod
    def at(cls, params: BodyParams, t: float, size: int) -> BodyFrame:
        motion, framing = params.motion, params.framing
        shift = np.array([trajectory_value(motion.shift_x, t), trajectory_value(motion.shift_y, t)])
        origin = (np.asarray(framing.neck) + shift) * (size - 1)
        return cls(origin, framing.unit * trajectory_value(motion.scale, t) * size)

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """``(N, 2)`` body-local points to ``(N, 2)`` pixels."""
        return self.origin + self.scale * np.asarray(points, dtype=np.float64)


def body_joints(params: BodyParams, t: float, size: int) -> np.ndarray:
    """``(7, 2)`` float64 pixel ``(x, y)`` of the joints at frame ``t`` in a ``size``-pixel image."""
    return BodyFrame.at(params, t, size).to_pixels(pose_skeleton(params, t).joints())
