"""Checking a written report page: every image it shows exists beside it and decodes.

Parses the page with :mod:`html.parser` (no browser), resolves each ``<img src>`` against the page's
folder as a browser would for a local file, and decodes the file fully with PIL. The tests run this on
every report they build; a headless-browser check of the same page lives in the (slow) report tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = ("PNG",)  # what the report writes; anything else is a broken link in the making


@dataclass(frozen=True)
class ImageProblem:
    """One ``<img>`` of a page that would not show: its ``src`` as written and what is wrong."""

    source: str
    problem: str

    def __str__(self) -> str:
        return f"{self.source}: {self.problem}"


class _ImageSources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src"))


def image_sources(page: str | Path) -> list[str | None]:
    """The ``src`` attribute of every ``<img>`` of the HTML file ``page``, in order (None if absent)."""
    parser = _ImageSources()
    parser.feed(Path(page).read_text(encoding="utf-8"))
    parser.close()
    return parser.sources


def check_report_images(page: str | Path) -> list[ImageProblem]:
    """Problems with the images of the HTML file ``page``; an empty list when all of them show.

    An image is fine when its ``src`` is a relative path (the report must survive being moved) to a
    file beside the page that PIL decodes completely, in one of :data:`IMAGE_FORMATS`.
    """
    page = Path(page)
    return [problem for source in image_sources(page) if (problem := _check_image(source, page.parent))]


def _check_image(source: str | None, folder: Path) -> ImageProblem | None:
    if not source:
        return ImageProblem(str(source), "no src")
    parts = urlsplit(source)
    if parts.scheme or parts.netloc or parts.path.startswith("/"):
        return ImageProblem(source, "not a path relative to the page")
    path = folder / unquote(parts.path)
    if not path.is_file():
        return ImageProblem(source, f"file {path} does not exist")
    try:
        with Image.open(path) as image:
            image.load()  # decodes every pixel: catches truncated files that open() alone accepts
            image_format = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        return ImageProblem(source, f"does not decode ({error.__class__.__name__}: {error})")
    if image_format not in IMAGE_FORMATS:
        return ImageProblem(source, f"is {image_format}, expected one of {IMAGE_FORMATS}")
    return None
