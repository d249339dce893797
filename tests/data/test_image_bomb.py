"""Decompression bombs (a small file claiming a huge image) are refused file by file."""

from __future__ import annotations

import pytest
from PIL import Image

from landmarks.data.header_scan import readable_header
from landmarks.data.images import MAX_IMAGE_PIXELS, load_image
from landmarks.errors import DataError


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """A PNG of a few KB that decodes to 20000 x 10000 pixels (more than twice PIL's limit)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    Image.new("1", (20000, 10000)).save(path)
    assert path.stat().st_size < 100_000
    return path


def test_a_bomb_is_refused_naming_the_file(bomb):
    with pytest.raises(DataError, match="bomb.png: .*decompression bomb"):
        load_image(bomb)


def test_an_image_just_over_the_limit_is_refused_too(tmp_path):
    path = tmp_path / "large.png"  # between the limit and twice it: PIL itself only warns
    Image.new("1", (MAX_IMAGE_PIXELS // 8000 + 1, 8000)).save(path)
    with pytest.raises(DataError, match="large.png: .* pixels, more than"):
        load_image(path)


def test_a_bomb_is_not_a_usable_training_image(bomb):
    assert not readable_header(bomb)
