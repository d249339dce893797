"""What a camera and a web pipeline do to a picture: colour cast, contrast, blur, grey, noise, JPEG.

Convention:
    Images are ``(S, S, 3)`` uint8 RGB in and out. Damage never moves content, so annotated points
    stay where they are.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from landmarks.synthetic.wild_face_params import Damage

GREY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601 luma
MID_GREY = 128.0  # contrast changes pivot about this level


def damage_photo(image: np.ndarray, damage: Damage) -> np.ndarray:
    """``image`` after ``damage``'s colour changes, blur, grey conversion, noise and JPEG, in that order."""
    pixels = image.astype(np.float32) * np.asarray(damage.cast, dtype=np.float32)
    pixels = (pixels - MID_GREY) * damage.contrast + MID_GREY + damage.brightness
    if damage.grey:
        pixels = np.repeat(pixels @ GREY_WEIGHTS[:, None], 3, axis=2)  # (S, S, 3)
    image = np.clip(pixels, 0, 255).astype(np.uint8)
    if damage.blur > 0:
        image = np.array(Image.fromarray(image).filter(ImageFilter.GaussianBlur(damage.blur)))
    if damage.noise > 0:
        rng = np.random.default_rng(damage.seed)
        noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(damage.noise)
        image = np.clip(image + noise, 0, 255).astype(np.uint8)
    if damage.jpeg_quality is not None:
        image = jpeg(image, damage.jpeg_quality)
    return image


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` encoded as JPEG at ``quality`` (1-95) and decoded again."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    return np.array(Image.open(buffer).convert("RGB"))  # a writable copy
