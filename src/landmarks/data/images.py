"""Reading images from disk into one in-memory form, with clear errors.

Every image, whatever its file (8- or 16-bit, grayscale, palette, RGBA, CMYK), is read as an
``(H, W, 3)`` ``uint8`` RGB array. Failures raise :class:`~landmarks.errors.DataError` naming the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from landmarks.data.file_walk import files_under
from landmarks.errors import DataError

# Images of more pixels are refused, file by file: a 24 KB PNG can claim 20000 x 10000 pixels and
# take 600 MB to decode (a "decompression bomb"). PIL's own limit, which only warns below twice it.
MAX_IMAGE_PIXELS = 89_478_485
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def load_image(path: str | Path) -> np.ndarray:
    """Read one image file as ``(H, W, 3)`` ``uint8`` RGB (alpha dropped, 16-bit scaled to 8)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused just below
            with Image.open(path) as image:
                check_image_size(path, image.size)
                image.load()
                return pil_to_rgb8(image)
    except Image.DecompressionBombError:
        raise DataError(path, f"image has too many pixels (over {2 * MAX_IMAGE_PIXELS}): refused as a "
                              f"likely decompression bomb") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise DataError(path, f"cannot read image ({error.__class__.__name__}: {error})") from None


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header alone (nothing is decoded).

    Raises:
        DataError: naming the file, if it is missing, not an image, or too large (a likely bomb).
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused just below
            with Image.open(path) as image:
                size = image.size
    except FileNotFoundError:
        raise DataError(path, "image file does not exist") from None
    except Image.DecompressionBombError:
        size = (2 * MAX_IMAGE_PIXELS, 1)  # over the limit: refused below
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise DataError(path, f"cannot read image ({error.__class__.__name__}: {error})") from None
    check_image_size(path, size)
    return size


def check_image_size(path: str | Path, size: tuple[int, int]) -> None:
    """Raise :class:`DataError` if an image of ``size`` (width, height), read from its header, has
    more than :data:`MAX_IMAGE_PIXELS` pixels."""
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise DataError(path, f"image is {width} x {height} pixels, more than {MAX_IMAGE_PIXELS}: "
                              f"refused as a likely decompression bomb")


def pil_to_rgb8(image: Image.Image) -> np.ndarray:
    """A loaded PIL image of any mode as ``(H, W, 3)`` ``uint8`` RGB (alpha dropped, 16-bit scaled to 8)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        gray = np.clip(np.round(array / peak * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=-1)
    if image.mode == "F":
        gray = np.clip(np.round(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=-1)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def list_images(root: str | Path) -> list[Path]:
    """All image files under ``root`` (recursively, sorted). Raises if there is none."""
    root = Path(root)
    if not root.exists():
        raise DataError(root, "image folder does not exist")
    if not root.is_dir():
        raise DataError(root, "expected a folder of images, got a file")
    # Through linked folders too (landmarks.data.file_walk); hidden files are left out.
    paths = sorted(p for p in files_under(root) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not paths:
        suffixes = ", ".join(IMAGE_SUFFIXES)
        raise DataError(root, f"image folder holds no image files (looked for {suffixes})")
    return paths
