"""The built-in training data: synthetic face-like images with five MAFL-style annotated points.

Each face is drawn from random parameters (:func:`sample_face_params`): identity (head shape, skin,
eyes, brows, nose, mouth, hair or hat, glasses), expression (mouth open, smile, eye openness),
appearance (background and skin textures, lighting, noise) and pose (position, scale, in-plane
rotation up to 25 degrees, a mild simulated yaw). A face is a deterministic function of
``(seed, index)``, so datasets need no files and any worker can draw any image.

Convention:
    Images are ``(S, S, 3)`` uint8 RGB. Points are ``(5, 2)`` pixels ``(x, y)`` of that image, the
    centre of the top-left pixel at ``(0, 0)``, in :data:`SYNTHETIC_FACE_POINT_NAMES` order: eye
    centres, nose tip, mouth corners; "left" is the one on the image's left in an upright face.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from landmarks.synthetic import face_accessories as accessories
from landmarks.synthetic import face_drawing as drawing
from landmarks.synthetic.drawn_images import DrawnImages
from landmarks.synthetic.face_params import FaceParams, sample_face_params
from landmarks.synthetic.face_textures import add_pixel_noise, background, skin_layer

__all__ = [
    "SYNTHETIC_FACE_EYES",
    "SYNTHETIC_FACE_POINT_NAMES",
    "FaceParams",
    "SyntheticFaces",
    "render_face",
    "sample_face_params",
    "synthetic_face",
    "write_synthetic_faces",
]

SYNTHETIC_FACE_POINT_NAMES = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
SYNTHETIC_FACE_EYES = (0, 1)  # indexes of the two eye centres, for inter-ocular normalisation
DEFAULT_SIZE = 128
MIN_SIZE, MAX_SIZE = 32, 256
FRONT_PARTS = (  # drawn over the skin, in this order
    drawing.brow_shapes,
    drawing.eye_shapes,
    drawing.nose_shapes,
    drawing.mouth_shapes,
    accessories.front_hair_shapes,
    accessories.glasses_shapes,
    accessories.occluder_shapes,
)
CSV_HEADER = ("image", "x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")


def render_face(params: FaceParams, size: int = DEFAULT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Draw one face.

    Args:
        params: the face (see :class:`~landmarks.synthetic.face_params.FaceParams`).
        size: side S of the square image, 32 to 256.

    Returns:
        ``(S, S, 3)`` uint8 RGB image, and ``(5, 2)`` float64 pixel ``(x, y)`` of the five points.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"synthetic faces are drawn at {MIN_SIZE} to {MAX_SIZE} px, got {size}")
    rng = np.random.default_rng(params.appearance.texture_seed)
    frame = drawing.FaceFrame.from_params(params, size)
    side = size * drawing.SUPERSAMPLE
    canvas = background(params.appearance, side, rng)
    draw = ImageDraw.Draw(canvas)
    drawing.paint(draw, frame, accessories.behind_head_shapes(params))
    head_mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(head_mask).polygon(
        frame.canvas(drawing.head_outline(params.geometry)).ravel().tolist(), fill=255
    )
    canvas.paste(skin_layer(params.appearance, side, rng), (0, 0), head_mask)
    drawing.paint(draw, frame, [shape for part in FRONT_PARTS for shape in part(params)])
    image = add_pixel_noise(np.asarray(canvas.reduce(drawing.SUPERSAMPLE)), params.appearance.noise_std, rng)
    points, depths = drawing.keypoints_local(params.geometry)
    return image, frame.to_pixels(points, depths)


def synthetic_face(seed: int, index: int, size: int = DEFAULT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The ``index``-th face of collection ``seed``; same arguments, same bytes (see :func:`render_face`)."""
    return render_face(sample_face_params(np.random.default_rng([seed, index])), size)


class SyntheticFaces(DrawnImages):
    """``count`` synthetic faces ``synthetic_face(seed, start + i, size)``, drawn on demand.

    Item ``i``: ``image`` ``(3, S, S)`` float32 in ``[0, 1]``, ``keypoints`` ``(5, 2)`` float32 pixels
    ``(x, y)``, ``index`` = ``i``. Use disjoint ``start`` ranges (or seeds) for disjoint splits.
    """

    draw = staticmethod(synthetic_face)
    name = "synthetic faces"

    def __init__(self, count: int, size: int = DEFAULT_SIZE, seed: int = 0, *, start: int = 0):
        super().__init__(count, size, seed, start=start)


def write_synthetic_faces(
    folder: str | Path,
    count: int,
    size: int = DEFAULT_SIZE,
    seed: int = 0,
    split_name: str = "train",
    *,
    start: int = 0,
) -> Path:
    """Write faces ``start .. start + count - 1`` of collection ``seed`` as PNGs with an annotation CSV.

    Images go to ``folder/split_name/000000.png`` and so on; the CSV ``folder/split_name.csv`` has the
    header ``image,x0,y0,...,x4,y4``, the image path relative to ``folder`` and the five points in
    pixels of that image (:data:`SYNTHETIC_FACE_POINT_NAMES` order). Splits written with the same
    seed need disjoint ``start`` ranges to be disjoint. Returns the CSV's path.
    """
    folder = Path(folder)
    (folder / split_name).mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{split_name}.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for index in range(start, start + count):
            image, keypoints = synthetic_face(seed, index, size)
            relative = f"{split_name}/{index:06d}.png"
            Image.fromarray(image).save(folder / relative)
            writer.writerow([relative, *(f"{value:.3f}" for value in keypoints.reshape(-1))])
    return csv_path
