"""Draw docs/images/wild-faces.png: 4 x 8 wild synthetic faces at 64 px, upscaled 3x, their 5 points as rings.

    python docs/images/make_wild_faces_sheet.py [--seed 0] [--out docs/images/wild-faces.png]

Ring colours, in point order: left eye, right eye, nose tip, left and right mouth corner
(matplotlib's tab10, as every figure of the library draws 5 points).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from landmarks.synthetic.wild_faces import wild_face
from landmarks.viz.draw import draw_landmarks
from landmarks.viz.grids import image_grid

ROWS, COLUMNS, SIZE, ZOOM = 4, 8, 64, 3


def zoomed(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The face upscaled ``ZOOM`` times (nearest), with its points as rings in the upscaled pixels."""
    big = np.asarray(Image.fromarray(image).resize((SIZE * ZOOM,) * 2, Image.NEAREST))
    centres = points * ZOOM + (ZOOM - 1) / 2  # pixel centre i maps to the centre of its ZOOM x ZOOM block
    return draw_landmarks(big, centres, radius=4, marker="hollow")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("wild-faces.png"))
    args = parser.parse_args()
    faces = [zoomed(*wild_face(args.seed, index, SIZE)) for index in range(ROWS * COLUMNS)]
    rows = [faces[row * COLUMNS : (row + 1) * COLUMNS] for row in range(ROWS)]
    Image.fromarray(image_grid(rows)).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
