"""``landmarks fit --data-root DIR``: training on a folder of the user's images, in any size and mode."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

# (name, size (W, H), PIL mode): sizes and aspect ratios all differ from the model's 32 x 32.
IMAGES = [
    ("a.png", (40, 30), "RGB"),
    ("b.png", (64, 64), "RGBA"),
    ("c.png", (50, 90), "L"),
    ("d.png", (33, 47), "P"),
    ("e.jpg", (120, 80), "RGB"),
    ("f.jpeg", (31, 31), "L"),
    ("g.jpg", (200, 60), "RGB"),
    ("h.png", (48, 48), "LA"),
    ("sub/i.png", (70, 35), "RGB"),
    ("sub/j.jpg", (45, 100), "RGB"),
    ("sub/k.bmp", (36, 36), "RGB"),
    ("sub/l.png", (16, 24), "RGB"),
]


def write_images(root, images=IMAGES, seed=0):
    rng = np.random.default_rng(seed)
    for name, (width, height), mode in images:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).convert(mode).save(path)
    return root


def test_fit_on_an_image_folder(tmp_path, training):
    root = write_images(tmp_path / "images")
    run = training.fit(
        tmp_path / "run",
        "data.validation_count=2",
        "trainer.max_steps=4",
        "trainer.log_every=1",
        "trainer.val_every=4",
        options=("--data-root", str(root)),
    )
    assert (run / "checkpoints" / "last.ckpt").is_file()
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 4
    data = checkpoint["hyper_parameters"]["config"]["data"]
    assert data["source"] == "image-folder" and data["root"] == str(root)
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == 4 and all(math.isfinite(value) for value in losses)
    assert len(training.scalars(run, "val/loss")) == 1


def test_one_corrupt_image_is_skipped_with_a_warning(tmp_path, training, capsys):
    root = write_images(tmp_path / "images")
    (root / "broken.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    run = training.fit(
        tmp_path / "run",
        "data.validation_count=0",
        "trainer.max_steps=2",
        options=("--data-root", str(root)),
    )
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning:" in line]
    assert any("broken.jpg" in line for line in warnings)
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 2
