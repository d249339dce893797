"""Drawing one frame of a synthetic body with PIL on a supersampled canvas.

Back to front: background, long hair, neck, torso (shirt, or an open jacket over it), head with
hair and a face, then the two arms (sleeves, forearms, hands), the arm in front last. Clothes are
pasted from a textured, shaded layer through each part's mask, with a darker outline so that an arm
in front of the torso stays visible. Every part is placed by the same :class:`BodyFrame` as the
joints, so the joints sit exactly on the drawn body: the head joint at the centre of the face
ellipse, shoulders, elbows and wrists on the centre lines of the limbs.

Convention:
    Images are ``(S, S, 3)`` uint8 RGB. The canvas is ``SUPERSAMPLE`` times larger and is
    box-downsampled; PIL fills pixel ``i`` for coordinates around ``i + 0.5``, hence :func:`_canvas`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw

from landmarks.synthetic.body_kinematics import BodyFrame, Skeleton, pose_skeleton, rotation
from landmarks.synthetic.body_params import Appearance, BodyParams
from landmarks.synthetic.face_params import Appearance as FaceAppearance
from landmarks.synthetic.face_textures import add_pixel_noise, background, skin_layer

SUPERSAMPLE = 2  # canvas pixels per image pixel and axis (antialiasing)
ELLIPSE_POINTS = 32
OUTLINE = 0.06  # body-local units of darker outline around each clothed part
OUTLINE_SHADE = 0.55  # outline colour / part colour
NECK_WIDTH = 0.22  # half-width, body-local units
COLLAR = 0.45  # half-width of the torso at the neck
JACKET_OPENING = 0.28  # half-width at the neck of the shirt showing between the jacket's sides
HAIR_GROWTH = 1.1  # hair ellipse / head ellipse
HAIR_RISE = 0.16  # the hair ellipse sits this much (head half-heights) above the face
EYE = (0.32, -0.12, 0.08)  # x and y (head half-width / half-height units), radius (half-heights)
MOUTH = (0.28, 0.45, 0.05)  # half-width, y, thickness (head units as EYE)
FEATURES = (25, 20, 20)


def render_body(params: BodyParams, frame: int, size: int) -> np.ndarray:
    """Draw frame ``frame`` of the video ``params``: ``(S, S, 3)`` uint8 RGB, ``S = size``."""
    appearance = params.appearance
    side = size * SUPERSAMPLE
    textures = np.random.default_rng(appearance.texture_seed)  # the same textures in every frame
    canvas = background(_textures(appearance, appearance.shirt), side, textures)
    shirt = skin_layer(_textures(appearance, appearance.shirt), side, textures)
    jacket = None
    if appearance.jacket is not None:
        jacket = skin_layer(_textures(appearance, appearance.jacket), side, textures)
    skeleton = pose_skeleton(params, frame)
    painter = _Painter(canvas, BodyFrame.at(params, frame, size), params)
    painter.hair_behind(skeleton)
    painter.neck(skeleton)
    painter.torso(skeleton, shirt, jacket)
    painter.head(skeleton)
    arms = (0, 1) if appearance.right_arm_in_front else (1, 0)  # the one in front last
    for arm in reversed(arms):
        painter.arm(skeleton, arm, jacket if jacket is not None else shirt)
    image = np.asarray(canvas.reduce(SUPERSAMPLE))
    noise = np.random.default_rng([appearance.texture_seed, frame])  # new noise in every frame
    return add_pixel_noise(image, appearance.noise_std, noise)


def _textures(appearance: Appearance, colour) -> FaceAppearance:
    """The synthetic faces' texture settings for a layer of ``colour`` (backgrounds and clothes)."""
    return FaceAppearance(
        skin=colour,
        background=appearance.background,
        background_colours=appearance.background_colours,
        background_angle=appearance.background_angle,
        background_frequency=appearance.background_frequency,
        face_texture=appearance.clothes_texture,
        texture_strength=appearance.texture_strength,
        light_angle=appearance.light_angle,
        light_strength=appearance.light_strength,
    )


def ellipse_points(centre: np.ndarray, half_width: float, half_height: float, angle: float) -> np.ndarray:
    """``(ELLIPSE_POINTS, 2)`` outline of an ellipse turned by ``angle`` radians about ``centre``."""
    t = np.linspace(0, 2 * np.pi, ELLIPSE_POINTS, endpoint=False)
    local = np.stack([half_width * np.cos(t), half_height * np.sin(t)], axis=1)  # (N, 2)
    return centre + local @ rotation(angle).T


def _rgb(colour, shade: float = 1.0) -> tuple[int, int, int]:
    return tuple(int(np.clip(round(c * shade), 0, 255)) for c in colour)


class _Painter:
    """Draws body-local shapes onto one canvas through one :class:`BodyFrame`."""

    def __init__(self, canvas: Image.Image, frame: BodyFrame, params: BodyParams):
        self.canvas, self.frame, self.params = canvas, frame, params
        self.draw = ImageDraw.Draw(canvas)
        self.body, self.look = params.proportions, params.appearance

    def _canvas(self, points: np.ndarray) -> list[float]:
        """Body-local ``(N, 2)`` points as a flat list of canvas coordinates."""
        pixels = self.frame.to_pixels(np.reshape(points, (-1, 2)))
        return (pixels * SUPERSAMPLE + SUPERSAMPLE / 2).ravel().tolist()

    def _width(self, units: float) -> int:
        return max(1, round(units * self.frame.scale * SUPERSAMPLE))

    def _capsule(self, draw: ImageDraw.ImageDraw, start, end, width: float, fill) -> None:
        """A thick segment with round ends, ``width`` body-local units across."""
        draw.line(self._canvas(np.stack([start, end])), fill=fill, width=self._width(width))
        for point in (start, end):
            draw.polygon(self._canvas(ellipse_points(point, width / 2, width / 2, 0.0)), fill=fill)

    def _paste(self, layer: Image.Image, shapes) -> None:
        """Paste ``layer`` through the union of ``shapes``: ``(kind, args)`` with kind polygon or capsule."""
        mask = Image.new("L", self.canvas.size, 0)
        draw = ImageDraw.Draw(mask)
        for kind, args in shapes:
            if kind == "polygon":
                draw.polygon(self._canvas(args), fill=255)
            else:
                self._capsule(draw, *args, fill=255)
        self.canvas.paste(layer, (0, 0), mask)

    def hair_behind(self, skeleton: Skeleton) -> None:
        if self.look.hair_style != "long":
            return
        half_width = HAIR_GROWTH * self.body.head_height * self.body.head_aspect
        top = skeleton.head - rotation(skeleton.head_angle) @ np.array([0.0, self.body.head_height])
        bottom = skeleton.neck + np.array([0.0, self.body.shoulder_drop + 0.3])
        self._capsule(self.draw, top, bottom, 2 * half_width, _rgb(self.look.hair))

    def neck(self, skeleton: Skeleton) -> None:
        self._capsule(self.draw, skeleton.neck, skeleton.head, 2 * NECK_WIDTH, _rgb(self.look.skin, 0.9))

    def torso(self, skeleton: Skeleton, shirt: Image.Image, jacket: Image.Image | None) -> None:
        body, turn = self.body, rotation(skeleton.lean)
        (right, left), (right_hip, left_hip) = skeleton.shoulders, skeleton.hips
        outline = np.stack([
            turn @ np.array([-COLLAR, -0.02]), right + turn @ np.array([0.0, -body.arm_width / 2]),
            right + turn @ np.array([-body.arm_width / 2, 0.3]), right_hip,
            left_hip, left + turn @ np.array([body.arm_width / 2, 0.3]),
            left + turn @ np.array([0.0, -body.arm_width / 2]), turn @ np.array([COLLAR, -0.02]),
        ])
        shoulders = [("capsule", (point, point, body.arm_width)) for point in (right, left)]
        self._paste(jacket if jacket is not None else shirt, [("polygon", outline), *shoulders])
        if jacket is not None:
            opening = np.stack([
                turn @ np.array([-JACKET_OPENING, -0.02]), turn @ np.array([JACKET_OPENING, -0.02]),
                turn @ np.array([0.0, body.torso_length * 0.6]),
            ])
            self._paste(shirt, [("polygon", opening)])

    def head(self, skeleton: Skeleton) -> None:
        body, angle, centre = self.body, skeleton.head_angle, skeleton.head
        turn = rotation(angle)
        half_height, half_width = body.head_height, body.head_height * body.head_aspect
        if self.look.hair_style != "bald":
            hair_centre = centre - turn @ np.array([0.0, HAIR_RISE * half_height])
            hair = ellipse_points(hair_centre, HAIR_GROWTH * half_width, HAIR_GROWTH * half_height, angle)
            self.draw.polygon(self._canvas(hair), fill=_rgb(self.look.hair))
        self.draw.polygon(self._canvas(ellipse_points(centre, half_width, half_height, angle)),
                          fill=_rgb(self.look.skin))
        eye_x, eye_y, eye_radius = EYE
        for side in (-1.0, 1.0):
            eye = centre + turn @ np.array([side * eye_x * half_width, eye_y * half_height])
            radius = eye_radius * half_height
            self.draw.polygon(self._canvas(ellipse_points(eye, radius, radius, 0.0)), fill=FEATURES)
        mouth_width, mouth_y, thickness = MOUTH
        ends = np.stack([centre + turn @ np.array([s * mouth_width * half_width, mouth_y * half_height])
                         for s in (-1.0, 1.0)])
        self.draw.line(self._canvas(ends), fill=FEATURES, width=self._width(thickness * half_height))

    def arm(self, skeleton: Skeleton, arm: int, clothes: Image.Image) -> None:
        """Arm 0 is the figure's right, 1 its left: bare forearm (short sleeves), sleeve, hand."""
        body, look = self.body, self.look
        shoulder, elbow, wrist = skeleton.shoulders[arm], skeleton.elbows[arm], skeleton.wrists[arm]
        direction = (wrist - elbow) / max(np.linalg.norm(wrist - elbow), 1e-9)
        hand = wrist + 0.7 * body.hand_size * direction
        cuff = wrist if look.sleeves == "long" else elbow + 0.35 * (wrist - elbow)
        if look.sleeves == "short":
            self._capsule(self.draw, elbow, wrist, body.forearm_width, _rgb(look.skin, 0.85))
            self._capsule(self.draw, elbow, wrist, body.forearm_width - OUTLINE, _rgb(look.skin))
        sleeve_colour = look.jacket if look.jacket is not None else look.shirt
        outline = _rgb(sleeve_colour, OUTLINE_SHADE)
        self._capsule(self.draw, shoulder, elbow, body.arm_width + OUTLINE, outline)
        self._capsule(self.draw, elbow, cuff, body.forearm_width + OUTLINE, outline)
        self._paste(clothes, [("capsule", (shoulder, elbow, body.arm_width)),
                              ("capsule", (elbow, cuff, body.forearm_width))])
        self._capsule(self.draw, wrist, hand, 2 * body.hand_size, _rgb(look.skin, 0.85))  # outline
        self._capsule(self.draw, wrist, hand, 2 * body.hand_size - OUTLINE, _rgb(look.skin))


def with_appearance(params: BodyParams, **changes) -> BodyParams:
    """``params`` with some appearance fields replaced (e.g. for tests: no noise, flat background)."""
    return replace(params, appearance=replace(params.appearance, **changes))
