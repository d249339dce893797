"""``landmarks fit --data video-folder``: training on frame pairs of a folder of videos."""

from __future__ import annotations

import math

import av
import numpy as np


def write_videos(root, count=3, frames=12, seed=0):
    rng = np.random.default_rng(seed)
    for number in range(count):
        with av.open(str(root / f"clip{number}.mkv"), "w") as container:
            stream = container.add_stream("ffv1", rate=25)
            stream.width, stream.height, stream.pix_fmt = 40, 30, "bgr0"
            for _ in range(frames):
                pixels = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
            container.mux(stream.encode())
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 cut short")
    return root


def test_fit_on_a_video_folder(tmp_path, training, caplog):
    root = tmp_path / "videos"
    root.mkdir()
    write_videos(root)
    run = training.fit(
        tmp_path / "run",
        "data.validation_count=4",
        "data.frame_gap=[2, 6]",
        "pairs.warp_video_pairs=true",
        "trainer.max_steps=3",
        "trainer.log_every=1",
        "trainer.val_every=3",
        options=("--data", "video-folder", "--data-root", str(root)),
    )
    assert "skipped 1 of 4 videos" in caplog.text and "broken.mp4" in caplog.text
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 3
    data = checkpoint["hyper_parameters"]["config"]["data"]
    assert data["source"] == "video-folder" and data["frame_gap"] == [2, 6]
    losses = [value for _, value in training.scalars(run, "train/loss")]
    assert len(losses) == 3 and all(math.isfinite(value) for value in losses)
    assert len(training.scalars(run, "val/loss")) == 1


def test_fit_on_one_frame_folder_has_no_validation_and_ends_cleanly(tmp_path, training):
    # One video: no whole video can be held out, so there is no validation loop (the loader over
    # "nothing held out" used to end the run in a TypeError at its first validation).
    from PIL import Image

    rng = np.random.default_rng(0)
    folder = tmp_path / "frames" / "only-one"
    folder.mkdir(parents=True)
    for index in range(10):
        Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(folder / f"{index:04d}.png")
    run = training.fit(tmp_path / "run", "data.frame_gap=[1, 4]", "pairs.warp_video_pairs=true",
                       "trainer.max_steps=4", "trainer.val_every=2", "trainer.log_every=1",
                       options=("--data", "frame-folders", "--data-root", str(tmp_path / "frames")))
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 4
    assert "val/loss" not in training.events(run).Tags()["scalars"]
