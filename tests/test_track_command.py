"""`landmarks track`: a checkpoint's landmarks through a video, drawn as a filmstrip and trajectories."""

import av
import numpy as np
import pytest
import torch
from PIL import Image

import landmarks
from landmarks.cli import main
from landmarks.config import ExperimentConfig, ModelConfig
from landmarks.config_loading import to_dict
from landmarks.models import build_model
from landmarks.tracking import track_video

SMALL = ModelConfig(image_size=32, num_landmarks=3, base_width=4, generator_width=8, generator_min_width=4)
HEIGHT, WIDTH, FRAMES, PAD = 48, 64, 12, 2


def _frames() -> list[np.ndarray]:
    """A bright square moving right over a dark background."""
    frames = []
    for t in range(FRAMES):
        image = np.full((HEIGHT, WIDTH, 3), 30, np.uint8)
        image[16:32, 4 + 3 * t : 20 + 3 * t] = 220
        frames.append(image)
    return frames


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    (run / "checkpoints").mkdir()
    torch.manual_seed(0)
    state = {f"model.{k}": v for k, v in build_model(SMALL).state_dict().items()}
    checkpoint = {"hyper_parameters": {"config": to_dict(ExperimentConfig(model=SMALL))}, "state_dict": state}
    torch.save(checkpoint, run / "checkpoints" / "last.ckpt")
    return run


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.height, stream.width, stream.pix_fmt = HEIGHT, WIDTH, "yuv420p"
        for image in _frames():
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_track_writes_a_filmstrip_of_every_nth_frame_and_trajectories(run_dir, video, tmp_path):
    code = main(["track", str(run_dir), str(video), "--output", str(tmp_path), "--every", "5"])
    assert code == 0
    strip = np.asarray(Image.open(tmp_path / "filmstrip.png"))
    assert strip.shape == (HEIGHT + 2 * PAD, 3 * (WIDTH + PAD) + PAD, 3)  # frames 0, 5, 10
    with Image.open(tmp_path / "trajectories.png") as figure:
        assert figure.format == "PNG" and min(figure.size) > 200


def test_video_landmarks_equal_those_of_its_frames_and_a_folder_of_frames_works(run_dir, video, tmp_path):
    model = landmarks.load(run_dir)
    points, kept, fps = track_video(model, video, every=4, strip_frames=2, batch_size=5)
    assert points.shape == (FRAMES, 3, 2) and sorted(kept) == [0, 4] and fps == 10.0
    with av.open(str(video)) as container:
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    np.testing.assert_allclose(points, model.detect(decoded), atol=1e-5)  # batching changes nothing
    np.testing.assert_array_equal(kept[4], decoded[4])
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, image in enumerate(decoded):
        Image.fromarray(image).save(folder / f"frame{t:03d}.png")
    from_folder, _, no_rate = track_video(model, folder, max_frames=7)
    np.testing.assert_allclose(from_folder, points[:7], atol=1e-5)
    assert no_rate is None


def test_a_missing_video_is_one_line_exit_2(run_dir, tmp_path, capsys):
    code = main(["track", str(run_dir), str(tmp_path / "nothing.mp4"), "--output", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and "nothing.mp4" in error and "Traceback" not in error


@pytest.mark.parametrize("option", ["--every", "--frames", "--columns", "--max-frames"])
def test_a_count_below_one_is_one_line_exit_2(run_dir, video, tmp_path, capsys, option):
    code = main(["track", str(run_dir), str(video), "--output", str(tmp_path), option, "0"])
    error = capsys.readouterr().err
    assert code == 2 and ">= 1" in error and "Traceback" not in error
