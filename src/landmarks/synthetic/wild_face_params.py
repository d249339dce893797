"""Random parameters of one wild synthetic face: identity, expression, pose, light and photo damage.

Sampling is kept apart from drawing (:mod:`landmarks.synthetic.wild_faces`): a face can be replayed or
edited (``dataclasses.replace``), and a video keeps one :class:`Identity` while the rest drifts
(:mod:`landmarks.synthetic.wild_face_videos`).

Convention:
    Head units: the cranium's half-height is 1. The head frame has x to the image's right and y down
    for an upright frontal face, z out of the face (towards the camera), the origin at the cranium's
    centre. Angles are radians; colours RGB in ``[0, 255]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landmarks.synthetic.colours import Colour, jitter, random_colour, skin_tone

# Pose: the "as varied as in-the-wild crops".
CENTRE = (0.5, 0.46)  # the head's centre, fractions of the image side (room for neck and shoulders)
MAX_SHIFT = 0.1  # of the image side, per axis
HALF_HEIGHT = 0.31  # cranium half-height, fraction of the image side, before scaling
MAX_SCALE_CHANGE = 0.2  # the scale is HALF_HEIGHT times 1 +- this
MAX_ROLL = np.deg2rad(20.0)
MAX_YAW = np.deg2rad(30.0)
MAX_PITCH = np.deg2rad(15.0)
SKIN_TONES = ((255, 224, 196), (234, 188, 150), (214, 160, 112), (176, 118, 74), (120, 78, 46), (72, 48, 34))
HAIR_COLOURS = ((20, 16, 14), (62, 40, 26), (112, 74, 40), (196, 156, 96), (150, 56, 28), (172, 170, 164))
HAIR_STYLES = ("bald", "short", "long", "fringe")
HAIR_STYLE_PROBS = (0.1, 0.4, 0.3, 0.2)
HAT_PROB = 0.15
GLASSES_PROB = 0.25
DARK_GLASSES_PROB = 0.3  # of the glasses
BEARD_PROB = 0.2
MOUSTACHE_PROB = 0.15
FOREGROUND_PROB = 0.2  # an object partly in front of the face's edge
CLOTHES_PATTERNS = ("plain", "stripes", "checks")
OPEN_MOUTH_PROB = 0.35
BLINK_PROB = 0.1  # eyes half or wholly shut
BLUR_PROB, MAX_BLUR = 0.5, 1.2  # Gaussian sigma in output pixels
MAX_NOISE = 10.0  # grey levels of Gaussian noise
JPEG_PROB, JPEG_QUALITY = 0.7, (20, 90)  # PIL quality, both ends included
GREY_PROB = 0.1


@dataclass(frozen=True)
class Identity:
    """What stays fixed through a video: head shape, features, colours, accessories, background."""

    cranium: tuple[float, float] = (0.78, 0.92)  # half-width and half-depth (half-height is 1)
    jaw: tuple[float, float, float, float] = (
        0.6,
        0.4,
        0.68,
        0.7,
    )  # half-width, centre y, half-height, half-depth
    eye_y: float = -0.08
    eye_spacing: float = 0.32  # half the distance between the eye centres
    eye_width: float = 0.15  # half-width of one eye
    eye_openness: float = 0.42  # eye half-height / half-width, fully open
    iris: float = 0.5  # iris radius / eye half-width
    brow_gap: float = 0.16
    brow_thickness: float = 0.05
    nose: tuple[float, float, float] = (0.11, 0.26, 0.16)  # half-width, half-length, half-depth
    nose_tilt: float = 0.35  # the top leans into the face by this angle
    nose_drop: float = 0.33  # from the eyes down to the nose's centre
    mouth_drop: float = 0.28  # from the nose tip down to the mouth corners
    mouth_width: float = 0.25  # half-width: corner to centre
    lip_thickness: float = 0.05
    skin: Colour = (214, 160, 112)
    lips: Colour = (176, 86, 86)
    iris_colour: Colour = (70, 90, 110)
    hair: Colour = (62, 40, 26)
    hair_style: str = "short"
    hairline: float = 0.3  # from the brows up to the hairline (negative: a fringe over the brows)
    hat: Colour | None = None
    glasses: Colour | None = None  # frame colour, or none
    dark_lenses: bool = False
    beard: float = 0.0  # coverage in [0, 1]
    moustache: float = 0.0
    clothes: Colour = (40, 60, 120)
    clothes_pattern: str = "plain"
    background_seed: int = 0  # the background's colours, textures and distractor shapes
    foreground: bool = False  # an object partly in front of the face's edge
    texture_seed: int = 0  # the solid noise of skin, hair and clothes


@dataclass(frozen=True)
class Pose:
    """``centre`` fractions of the image side; ``scale`` cranium half-height as a fraction of the side."""

    centre: tuple[float, float] = CENTRE
    scale: float = HALF_HEIGHT
    roll: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0


@dataclass(frozen=True)
class Expression:
    """Mouth opening and smile (head units), eye openness (1 open, 0 shut), gaze (fractions of the eye)."""

    mouth_open: float = 0.0
    smile: float = 0.02
    eyes_open: float = 1.0
    gaze: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Light:
    """A directional light ``direction`` (world, unit, towards the light), ambient and specular parts."""

    direction: tuple[float, float, float] = (0.3, -0.4, 0.866)
    ambient: float = 0.35
    specular: float = 0.15
    shininess: float = 16.0
    colour: Colour = (255.0, 255.0, 255.0)


@dataclass(frozen=True)
class Damage:
    """What the camera and compression do: all off by default."""

    blur: float = 0.0  # Gaussian sigma in output pixels
    noise: float = 0.0  # grey levels
    jpeg_quality: int | None = None
    cast: Colour = (1.0, 1.0, 1.0)  # per-channel gain
    contrast: float = 1.0
    brightness: float = 0.0  # grey levels added
    grey: bool = False
    seed: int = 0


@dataclass(frozen=True)
class WildFaceParams:
    """Everything needed to draw one wild face deterministically."""

    identity: Identity = Identity()
    expression: Expression = Expression()
    pose: Pose = Pose()
    light: Light = Light()
    damage: Damage = Damage()


def sample_wild_face_params(rng: np.random.Generator) -> WildFaceParams:
    """A random face: identity, expression, pose, light and damage all vary."""
    return WildFaceParams(
        sample_identity(rng), sample_expression(rng), sample_pose(rng), sample_light(rng), sample_damage(rng)
    )


def sample_identity(rng: np.random.Generator) -> Identity:
    """A random head shape, features, colours, accessories, background and texture seeds (head units)."""
    u = rng.uniform
    half_width = u(0.7, 0.86)
    style = str(rng.choice(HAIR_STYLES, p=HAIR_STYLE_PROBS))
    hair = jitter(rng, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))], 15)
    glasses = rng.random() < GLASSES_PROB
    return Identity(
        cranium=(half_width, u(0.85, 1.0)),
        jaw=(half_width * u(0.72, 0.92), u(0.3, 0.48), u(0.6, 0.76), u(0.62, 0.78)),
        eye_y=u(-0.14, 0.0),
        eye_spacing=u(0.28, 0.35),
        eye_width=u(0.13, 0.17),
        eye_openness=u(0.32, 0.5),
        iris=u(0.42, 0.58),
        brow_gap=u(0.13, 0.2),
        brow_thickness=u(0.03, 0.07),
        nose=(u(0.09, 0.13), u(0.2, 0.28), u(0.12, 0.18)),
        nose_tilt=u(0.2, 0.45),
        nose_drop=u(0.28, 0.36),
        mouth_drop=u(0.22, 0.3),
        mouth_width=u(0.19, 0.28),
        lip_thickness=u(0.03, 0.07),
        skin=skin_tone(rng, SKIN_TONES),
        lips=jitter(rng, (176, 86, 86), 35),
        iris_colour=random_colour(rng, 20, 150),
        hair=hair,
        hair_style=style,
        hairline=u(-0.12, 0.05) if style == "fringe" else u(0.18, 0.45),
        hat=random_colour(rng) if rng.random() < HAT_PROB else None,
        glasses=random_colour(rng, 0, 140) if glasses else None,
        dark_lenses=bool(glasses and rng.random() < DARK_GLASSES_PROB),
        beard=u(0.4, 1.0) if rng.random() < BEARD_PROB else 0.0,
        moustache=u(0.5, 1.0) if rng.random() < MOUSTACHE_PROB else 0.0,
        clothes=random_colour(rng),
        clothes_pattern=str(rng.choice(CLOTHES_PATTERNS)),
        background_seed=int(rng.integers(2**31)),
        foreground=bool(rng.random() < FOREGROUND_PROB),
        texture_seed=int(rng.integers(2**31)),
    )


def sample_expression(rng: np.random.Generator) -> Expression:
    """An open or closed mouth, a smile or frown, open or blinking eyes, a gaze."""
    mouth_open = rng.uniform(0.01, 0.08) if rng.random() < OPEN_MOUTH_PROB else 0.0
    eyes_open = rng.uniform(0.0, 0.4) if rng.random() < BLINK_PROB else rng.uniform(0.7, 1.0)
    return Expression(mouth_open, rng.uniform(-0.03, 0.06), eyes_open, tuple(rng.uniform(-0.3, 0.3, 2)))


def sample_pose(rng: np.random.Generator) -> Pose:
    """Shift, scale, roll, yaw and pitch uniform within the module's ranges."""
    shift = rng.uniform(-MAX_SHIFT, MAX_SHIFT, 2)
    return Pose(
        centre=(CENTRE[0] + shift[0], CENTRE[1] + shift[1]),
        scale=HALF_HEIGHT * (1.0 + rng.uniform(-MAX_SCALE_CHANGE, MAX_SCALE_CHANGE)),
        roll=rng.uniform(-MAX_ROLL, MAX_ROLL),
        yaw=rng.uniform(-MAX_YAW, MAX_YAW),
        pitch=rng.uniform(-MAX_PITCH, MAX_PITCH),
    )


def sample_light(rng: np.random.Generator) -> Light:
    """A light from any side, 14 to 75 degrees above the image plane, of any strength and a slight tint."""
    azimuth, elevation = rng.uniform(0, 2 * np.pi), rng.uniform(0.25, 1.3)
    direction = (np.cos(azimuth) * np.cos(elevation), np.sin(azimuth) * np.cos(elevation), np.sin(elevation))
    return Light(
        direction=tuple(float(d) for d in direction),
        ambient=rng.uniform(0.15, 0.55),
        specular=rng.uniform(0.0, 0.35),
        shininess=rng.uniform(6.0, 30.0),
        colour=jitter(rng, (235, 235, 235), 20),
    )


def sample_damage(rng: np.random.Generator) -> Damage:
    """Blur, noise, JPEG, a colour cast, contrast and brightness changes, sometimes grey."""
    return Damage(
        blur=rng.uniform(0.0, MAX_BLUR) if rng.random() < BLUR_PROB else 0.0,
        noise=rng.uniform(0.0, MAX_NOISE),
        jpeg_quality=int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
        if rng.random() < JPEG_PROB
        else None,
        cast=tuple(float(g) for g in rng.uniform(0.8, 1.2, 3)),
        contrast=rng.uniform(0.6, 1.3),
        brightness=rng.uniform(-35.0, 35.0),
        grey=bool(rng.random() < GREY_PROB),
        seed=int(rng.integers(2**31)),
    )
