"""Random parameters of one synthetic body video: framing, proportions, appearance and motion.

Sampling is kept apart from posing (:mod:`landmarks.synthetic.body_kinematics`) and drawing
(:mod:`landmarks.synthetic.body_drawing`), so a video can be replayed or edited
(``dataclasses.replace``) and drawn again. All of a video's frames share one :class:`BodyParams`;
only the time ``t`` (the frame number) changes.

Convention:
    Body geometry lives in a body-local frame: ``(x, y)``, x to the image's right and y down, the
    origin at the base of the neck, the unit the distance from the neck to either shoulder. The
    framing maps this frame to the image. Angles are radians. Colours are RGB in ``[0, 255]``.
    The figure faces the viewer, so its right arm is on the image's left (as BBC-Pose's signers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from landmarks.synthetic.colours import Colour, jitter, random_colour, skin_tone
from landmarks.synthetic.face_params import BACKGROUNDS, FACE_TEXTURES, HAIR_COLOURS, SKIN_TONES

# Signer-like upper-body framing (BBC-Pose): the neck a little above the centre, head and arms in view.
NECK_X, NECK_Y = 0.5, 0.47  # base of the neck, fractions of the image side
NECK_JITTER = 0.05  # fraction of the image side, per axis
UNIT_RANGE = (0.15, 0.19)  # neck-to-shoulder distance, fraction of the image side
# Joint limits (radians). Shoulder: the upper arm's angle from straight down, positive away from the
# body. Elbow: the forearm's bend towards the body's midline, 0 = straight arm.
SHOULDER_RANGE = (np.deg2rad(-12.0), np.deg2rad(50.0))
ELBOW_RANGE = (np.deg2rad(5.0), np.deg2rad(150.0))
LEAN_RANGE = (np.deg2rad(-6.0), np.deg2rad(6.0))  # the torso's tilt, clockwise on screen
HEAD_TILT_RANGE = (np.deg2rad(-14.0), np.deg2rad(14.0))  # the head's tilt relative to the torso
# Smooth motion: each angle is a normalised sum of sinusoids of these frequencies (cycles per frame;
# at 25 frames/s 0.004 to 0.025 is one cycle in 10 s to 1.6 s, gesturing speed).
WAVE_COMPONENTS = 3
WAVE_FREQUENCY_RANGE = (0.004, 0.025)
ACTIVITY_RANGE = (0.4, 1.0)  # share of a joint's range a video's motion sweeps
DRIFT_FREQUENCY_RANGE = (0.002, 0.008)  # the slow global drift of position and scale
DRIFT_SHIFT = 0.03  # fraction of the image side, per axis
DRIFT_SCALE = 0.05  # relative
SLEEVES = ("long", "short")
HAIR_STYLES = ("bald", "short", "long")
HAIR_STYLE_PROBS = (0.15, 0.55, 0.3)
JACKET_PROB = 0.4


@dataclass(frozen=True)
class Framing:
    """Where the body is: ``neck`` ``(x, y)`` and ``unit`` (neck-to-shoulder distance) as fractions
    of the image side, before the drift of :class:`Motion`."""

    neck: tuple[float, float] = (NECK_X, NECK_Y)
    unit: float = 0.17


@dataclass(frozen=True)
class Proportions:
    """Lengths and widths in body-local units (see the module docstring)."""

    shoulder_drop: float = 0.15  # shoulders below the neck base
    neck_length: float = 0.4  # neck base to the bottom of the head
    head_height: float = 0.65  # half-height of the head ellipse
    head_aspect: float = 0.8  # head half-width / half-height
    upper_arm: float = 1.25  # shoulder to elbow
    forearm: float = 1.1  # elbow to wrist
    arm_width: float = 0.42  # sleeve thickness at the upper arm
    forearm_width: float = 0.34
    hand_size: float = 0.26  # radius of the hand, which reaches beyond the wrist
    waist: float = 0.9  # half-width of the torso at its bottom
    torso_length: float = 3.5  # neck base to the torso's bottom (below the image)


@dataclass(frozen=True)
class Wave:
    """A smooth signal in ``[-1, 1]``: ``sum_j a_j sin(2 pi f_j t + phi_j) / sum_j a_j``, ``t`` in frames."""

    amplitudes: tuple[float, ...] = (1.0,)
    frequencies: tuple[float, ...] = (0.01,)  # cycles per frame
    phases: tuple[float, ...] = (0.0,)


@dataclass(frozen=True)
class Trajectory:
    """One angle over time: ``low + (high - low) * (centre + activity / 2 * wave(t))``, always in
    ``[low, high]`` since ``centre`` lies in ``[activity / 2, 1 - activity / 2]``."""

    low: float
    high: float
    centre: float = 0.5
    activity: float = 0.0
    wave: Wave = field(default_factory=Wave)


@dataclass(frozen=True)
class Motion:
    """Every moving part: per arm a shoulder and an elbow angle, the torso's lean, the head's tilt,
    and the slow global drift (``shift`` ``(x, y)`` fractions of the side, relative ``scale``)."""

    right_shoulder: Trajectory = Trajectory(*SHOULDER_RANGE)
    right_elbow: Trajectory = Trajectory(*ELBOW_RANGE)
    left_shoulder: Trajectory = Trajectory(*SHOULDER_RANGE)
    left_elbow: Trajectory = Trajectory(*ELBOW_RANGE)
    lean: Trajectory = Trajectory(*LEAN_RANGE)
    head_tilt: Trajectory = Trajectory(*HEAD_TILT_RANGE)
    shift_x: Trajectory = Trajectory(-DRIFT_SHIFT, DRIFT_SHIFT)
    shift_y: Trajectory = Trajectory(-DRIFT_SHIFT, DRIFT_SHIFT)
    scale: Trajectory = Trajectory(1.0 - DRIFT_SCALE, 1.0 + DRIFT_SCALE)


@dataclass(frozen=True)
class Appearance:
    """Colours, clothing and textures. Texture and background kinds are the synthetic faces' ones."""

    skin: Colour = (224, 172, 120)
    hair: Colour = (70, 45, 30)
    hair_style: str = "short"
    shirt: Colour = (40, 60, 120)
    jacket: Colour | None = None  # an open jacket over the shirt, or none
    sleeves: str = "long"
    clothes_texture: str = "plain"
    texture_strength: float = 0.1
    background: str = "flat"
    background_colours: tuple[Colour, Colour] = ((200, 200, 200), (120, 120, 140))
    background_angle: float = 0.0  # radians, direction of gradients and stripes
    background_frequency: float = 4.0  # stripes per image side
    light_angle: float = 0.0  # radians, direction the clothes' shading brightens towards
    light_strength: float = 0.15
    right_arm_in_front: bool = True  # which arm is drawn last where the two cross
    noise_std: float = 3.0  # grey levels of pixel noise on each frame
    texture_seed: int = 0  # seeds the textures (fixed for the video) and each frame's noise


@dataclass(frozen=True)
class BodyParams:
    """Everything needed to draw any frame of one video deterministically."""

    framing: Framing = Framing()
    proportions: Proportions = Proportions()
    appearance: Appearance = Appearance()
    motion: Motion = Motion()


def sample_body_params(rng: np.random.Generator) -> BodyParams:
    """Draw a random video: framing, body proportions, appearance and motion all vary."""
    return BodyParams(
        framing=_sample_framing(rng),
        proportions=_sample_proportions(rng),
        appearance=_sample_appearance(rng),
        motion=_sample_motion(rng),
    )


def _sample_framing(rng: np.random.Generator) -> Framing:
    jitter = rng.uniform(-NECK_JITTER, NECK_JITTER, size=2)
    return Framing(neck=(NECK_X + jitter[0], NECK_Y + jitter[1]), unit=rng.uniform(*UNIT_RANGE))


def _sample_proportions(rng: np.random.Generator) -> Proportions:
    u = rng.uniform
    return Proportions(
        shoulder_drop=u(0.08, 0.25),
        neck_length=u(0.3, 0.5),
        head_height=u(0.55, 0.75),
        head_aspect=u(0.72, 0.9),
        upper_arm=u(1.1, 1.4),
        forearm=u(0.95, 1.2),
        arm_width=u(0.34, 0.5),
        forearm_width=u(0.27, 0.38),
        hand_size=u(0.2, 0.3),
        waist=u(0.8, 1.1),
    )


def _sample_appearance(rng: np.random.Generator) -> Appearance:
    return Appearance(
        skin=skin_tone(rng, SKIN_TONES),
        hair=jitter(rng, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))], 15),
        hair_style=str(rng.choice(HAIR_STYLES, p=HAIR_STYLE_PROBS)),
        shirt=random_colour(rng),
        jacket=random_colour(rng) if rng.random() < JACKET_PROB else None,
        sleeves=str(rng.choice(SLEEVES)),
        clothes_texture=str(rng.choice(FACE_TEXTURES)),
        texture_strength=rng.uniform(0.04, 0.16),
        background=str(rng.choice(BACKGROUNDS)),
        background_colours=(random_colour(rng), random_colour(rng)),
        background_angle=rng.uniform(0, 2 * np.pi),
        background_frequency=rng.uniform(2.0, 9.0),
        light_angle=rng.uniform(0, 2 * np.pi),
        light_strength=rng.uniform(0.0, 0.3),
        right_arm_in_front=bool(rng.random() < 0.5),
        noise_std=rng.uniform(0.0, 6.0),
        texture_seed=int(rng.integers(2**31)),
    )


def _sample_motion(rng: np.random.Generator) -> Motion:
    return Motion(
        right_shoulder=sample_trajectory(rng, *SHOULDER_RANGE),
        right_elbow=sample_trajectory(rng, *ELBOW_RANGE),
        left_shoulder=sample_trajectory(rng, *SHOULDER_RANGE),
        left_elbow=sample_trajectory(rng, *ELBOW_RANGE),
        lean=sample_trajectory(rng, *LEAN_RANGE),
        head_tilt=sample_trajectory(rng, *HEAD_TILT_RANGE),
        shift_x=sample_trajectory(rng, -DRIFT_SHIFT, DRIFT_SHIFT, DRIFT_FREQUENCY_RANGE),
        shift_y=sample_trajectory(rng, -DRIFT_SHIFT, DRIFT_SHIFT, DRIFT_FREQUENCY_RANGE),
        scale=sample_trajectory(rng, 1.0 - DRIFT_SCALE, 1.0 + DRIFT_SCALE, DRIFT_FREQUENCY_RANGE),
    )


def sample_trajectory(
    rng: np.random.Generator,
    low: float,
    high: float,
    frequencies: tuple[float, float] = WAVE_FREQUENCY_RANGE,
) -> Trajectory:
    """A random smooth trajectory within ``[low, high]``, frequencies uniform in ``frequencies``."""
    activity = rng.uniform(*ACTIVITY_RANGE)
    wave = Wave(
        amplitudes=tuple(rng.uniform(0.3, 1.0, WAVE_COMPONENTS)),
        frequencies=tuple(rng.uniform(*frequencies, WAVE_COMPONENTS)),
        phases=tuple(rng.uniform(0, 2 * np.pi, WAVE_COMPONENTS)),
    )
    centre = rng.uniform(activity / 2, 1 - activity / 2)
    return Trajectory(low, high, centre, activity, wave)
