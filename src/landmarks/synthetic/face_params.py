"""Random parameters of one synthetic face: pose, facial geometry and appearance.

Sampling is kept apart from drawing (:mod:`landmarks.synthetic.face_drawing`), so a face can be
replayed or edited (``dataclasses.replace``) and drawn again.

Convention:
    Facial geometry lives in a face-local frame: ``(x, y)``, x to the image's right and y down for an
    upright face, the origin at the centre of the head outline, whose half-height is 1 (half-width
    ``aspect``). The pose maps this frame to the image. Colours are RGB triples in ``[0, 255]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landmarks.synthetic.colours import Colour, jitter, random_colour, skin_tone

MAX_ROTATION = 25.0  # degrees of in-plane rotation, either way
MAX_YAW = 14.0  # degrees of simulated out-of-plane turn, either way
HALF_HEIGHT_RANGE = (0.29, 0.39)  # head outline half-height, fraction of the image side
CENTRE_JITTER = 0.08  # fraction of the image side, per axis
CENTRE_Y = 0.54  # the head sits a little low, leaving room for hair and hats
# Skin tones from light to dark; a face takes a random point between two neighbours.
SKIN_TONES = ((255, 226, 204), (241, 194, 150), (224, 172, 120), (198, 134, 80), (141, 88, 50), (90, 58, 40))
HAIR_COLOURS = ((25, 20, 18), (70, 45, 30), (120, 80, 45), (200, 160, 90), (160, 60, 30), (170, 170, 165))
UNUSUAL_COLOUR_PROB = 0.08  # skin or hair of any colour (painted faces, dyed hair)
HAIR_STYLES = ("bald", "short", "long", "fringe", "hat")
HAIR_STYLE_PROBS = (0.08, 0.34, 0.28, 0.15, 0.15)
BACKGROUNDS = ("flat", "gradient", "stripes", "radial", "blotches")
FACE_TEXTURES = ("plain", "noise", "stripes", "blotches")
FACE_TEXTURE_PROBS = (0.4, 0.3, 0.1, 0.2)
NOSE_STYLES = ("lines", "shaded", "nostrils")
GLASSES_PROB = 0.15
OCCLUDER_PROB = 0.12


@dataclass(frozen=True)
class Pose:
    """Where the head is in the image.

    ``centre`` is the head's centre ``(x, y)`` as fractions of the image side; ``half_height`` the
    head outline's half-height as a fraction of the image side; ``rotation`` in degrees, positive
    turns the face clockwise on screen; ``yaw`` in degrees, positive turns the face towards the
    image's right (features shift right, the right half is foreshortened).
    """

    centre: tuple[float, float] = (0.5, CENTRE_Y)
    half_height: float = 0.32
    rotation: float = 0.0
    yaw: float = 0.0


@dataclass(frozen=True)
class Geometry:
    """Shapes of the head and of each feature, in face-local units (see module docstring)."""

    aspect: float = 0.78  # head half-width / half-height
    jaw: float = 0.85  # width of the lower head relative to the upper
    squareness: float = 2.3  # superellipse exponent of the outline: 2 = ellipse, larger = squarer
    eye_y: float = -0.12
    eye_spacing: float = 0.3  # half the distance between the eye centres
    eye_width: float = 0.14  # half-width of one eye
    eye_openness: float = 0.45  # eye half-height / half-width
    iris: float = 0.5  # iris radius / eye half-width
    brow_gap: float = 0.13  # from eye centre up to the brow
    brow_arch: float = 0.04
    brow_tilt: float = 0.0  # outer ends raised (> 0) or lowered
    brow_thickness: float = 0.04
    nose_y: float = 0.27  # the nose tip
    nose_width: float = 0.11
    nose_depth: float = 0.25  # how far the tip stands out (moves with yaw)
    mouth_y: float = 0.55  # the mouth's centre line at the corners
    mouth_width: float = 0.26  # half-width: corner to centre
    mouth_open: float = 0.0  # half-height of the opening
    smile: float = 0.03  # corners raised by this much
    lip_thickness: float = 0.05
    asymmetry: float = 0.0  # the right eye and brow sit this much lower


@dataclass(frozen=True)
class Appearance:
    """Colours, styles and textures."""

    skin: Colour = (224, 172, 120)
    hair: Colour = (70, 45, 30)
    hair_style: str = "short"
    hairline: float = 0.25  # from the brows up to the hairline; small for a fringe
    hair_length: float = 1.2  # how far long hair falls, face-local y
    hat: Colour = (150, 40, 40)
    iris: Colour = (60, 90, 120)
    lips: Colour = (170, 80, 80)
    clothes: Colour = (40, 60, 120)
    background: str = "flat"
    background_colours: tuple[Colour, Colour] = ((200, 200, 200), (120, 120, 140))
    background_angle: float = 0.0  # radians, direction of gradients and stripes
    background_frequency: float = 4.0  # stripes per image side
    face_texture: str = "plain"
    texture_strength: float = 0.1  # relative brightness change of the face texture
    light_angle: float = 0.0  # radians, direction the shading brightens towards
    light_strength: float = 0.15
    nose_style: str = "lines"
    glasses: Colour | None = None  # frame colour, or no glasses
    occluder: tuple[float, float, Colour] | None = None  # (angle radians, radius, colour)
    noise_std: float = 3.0  # grey levels of pixel noise on the final image
    texture_seed: int = 0  # seeds the noise of textures and of the final image


@dataclass(frozen=True)
class FaceParams:
    """Everything needed to draw one face deterministically."""

    pose: Pose = Pose()
    geometry: Geometry = Geometry()
    appearance: Appearance = Appearance()


def sample_face_params(rng: np.random.Generator) -> FaceParams:
    """Draw a random face: identity, expression, appearance and pose all vary."""
    return FaceParams(
        pose=_sample_pose(rng), geometry=_sample_geometry(rng), appearance=_sample_appearance(rng)
    )


def _sample_pose(rng: np.random.Generator) -> Pose:
    centre = (
        0.5 + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER),
        CENTRE_Y + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER),
    )
    return Pose(
        centre=centre,
        half_height=rng.uniform(*HALF_HEIGHT_RANGE),
        rotation=rng.uniform(-MAX_ROTATION, MAX_ROTATION),
        yaw=rng.uniform(-MAX_YAW, MAX_YAW),
    )


def _sample_geometry(rng: np.random.Generator) -> Geometry:
    u = rng.uniform
    mouth_open = u(0.01, 0.09) if rng.random() < 0.35 else 0.0
    eye_y = u(-0.18, -0.04)
    nose_y = eye_y + u(0.3, 0.4)
    return Geometry(
        aspect=u(0.68, 0.88),
        jaw=u(0.72, 1.0),
        squareness=u(2.0, 3.2),
        eye_y=eye_y,
        eye_spacing=u(0.27, 0.35),
        eye_width=u(0.13, 0.18),
        eye_openness=u(0.22, 0.6),
        iris=u(0.38, 0.6),
        brow_gap=u(0.1, 0.17),
        brow_arch=u(0.0, 0.06),
        brow_tilt=u(-0.04, 0.05),
        brow_thickness=u(0.025, 0.06),
        nose_y=nose_y,
        nose_width=u(0.08, 0.14),
        nose_depth=u(0.15, 0.35),
        mouth_y=nose_y + u(0.22, 0.3),
        mouth_width=u(0.18, 0.3),
        mouth_open=mouth_open,
        smile=u(-0.03, 0.08),
        lip_thickness=u(0.025, 0.07),
        asymmetry=u(-0.025, 0.025),
    )


def _sample_appearance(rng: np.random.Generator) -> Appearance:
    hair_style = str(rng.choice(HAIR_STYLES, p=HAIR_STYLE_PROBS))
    return Appearance(
        skin=_sample_skin(rng),
        hair=_sample_hair(rng),
        hair_style=hair_style,
        hairline=rng.uniform(-0.02, 0.05) if hair_style == "fringe" else rng.uniform(0.15, 0.4),
        hair_length=rng.uniform(0.6, 1.8),
        hat=random_colour(rng),
        iris=random_colour(rng, 20, 160),
        lips=jitter(rng, (180, 80, 85), 40),
        clothes=random_colour(rng),
        background=str(rng.choice(BACKGROUNDS)),
        background_colours=(random_colour(rng), random_colour(rng)),
        background_angle=rng.uniform(0, 2 * np.pi),
        background_frequency=rng.uniform(2.0, 9.0),
        face_texture=str(rng.choice(FACE_TEXTURES, p=FACE_TEXTURE_PROBS)),
        texture_strength=rng.uniform(0.04, 0.14),
        light_angle=rng.uniform(0, 2 * np.pi),
        light_strength=rng.uniform(0.0, 0.3),
        nose_style=str(rng.choice(NOSE_STYLES)),
        glasses=random_colour(rng, 0, 120) if rng.random() < GLASSES_PROB else None,
        occluder=_sample_occluder(rng) if rng.random() < OCCLUDER_PROB else None,
        noise_std=rng.uniform(0.0, 6.0),
        texture_seed=int(rng.integers(2**31)),
    )


def _sample_skin(rng: np.random.Generator) -> Colour:
    if rng.random() < UNUSUAL_COLOUR_PROB:
        return random_colour(rng, 40, 255)
    return skin_tone(rng, SKIN_TONES)


def _sample_hair(rng: np.random.Generator) -> Colour:
    if rng.random() < UNUSUAL_COLOUR_PROB:
        return random_colour(rng)
    return jitter(rng, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))], 15)


def _sample_occluder(rng: np.random.Generator) -> tuple[float, float, Colour]:
    # Around the lower or outer head, never over the five annotated points.
    return (rng.uniform(0, 2 * np.pi), rng.uniform(0.12, 0.22), random_colour(rng))
