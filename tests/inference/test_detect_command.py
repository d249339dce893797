"""`landmarks detect` on folders, odd files and videos: the API's numbers, bad files skipped and named."""

import csv
import json
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

import landmarks
from landmarks.cli import main
from landmarks.evaluation.regression import LinearMap
from landmarks.evaluation.saved_regressor import save_regressor

VIDEO_FRAMES = 6


def _read_csv(path):
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _learned(row, k=3) -> np.ndarray:
    return np.array([[float(row[f"x{i}"]), float(row[f"y{i}"])] for i in range(k)])


def _write_video(path, frames: list[np.ndarray], rate: int = 10, options=None) -> None:
    with av.open(str(path), mode="w", options=options or {}) as container:
        stream = container.add_stream("mpeg4", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())


def _decode(path) -> list[np.ndarray]:
    """Every frame FFmpeg decodes before the file's first error (a cut file may end in one: how far
    the cut lands inside the last packet depends on the encoder's threads)."""
    frames = []
    with av.open(str(path)) as container:
        try:
            for frame in container.decode(video=0):
                frames.append(frame.to_ndarray(format="rgb24"))
        except av.error.InvalidDataError:
            pass
    return frames


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder with RGB, grey, RGBA and 16-bit PNGs of odd sizes, a corrupt PNG, and a video."""
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    (root / "sub").mkdir()
    Image.fromarray(rng.integers(0, 256, (53, 37, 3), np.uint8)).save(root / "rgb.png")
    Image.fromarray(rng.integers(0, 256, (7, 5), np.uint8)).save(root / "sub" / "grey.png")
    Image.fromarray(rng.integers(0, 256, (9, 11, 4), np.uint8)).save(root / "sub" / "rgba.png")
    Image.fromarray(rng.integers(0, 65536, (20, 30), np.uint16)).save(root / "grey16.png")
    (root / "sub" / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    frames = [np.roll(rng.integers(0, 256, (30, 40, 3), np.uint8), 3 * i, axis=1)
              for i in range(VIDEO_FRAMES)]
    _write_video(root / "clip.mp4", frames)
    (root / "notes.txt").write_text("ignored: neither image nor video")
    return root


def test_folder_with_a_corrupt_file_and_a_missing_path(checkpoint, inputs, tmp_path, capsys):
    run = checkpoint.parent.parent
    out = tmp_path / "out"
    code = main(["detect", str(run), str(inputs), str(tmp_path / "missing.png"), "--output", str(out),
                 "--batch-size", "4"])
    err = capsys.readouterr().err
    assert code == 1  # some files were skipped; the rest is written
    skipped_lines = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped_lines) == 2 and "Traceback" not in err
    assert any("corrupt.jpg" in line and "cannot read image" in line for line in skipped_lines)
    assert any("missing.png" in line and "does not exist" in line for line in skipped_lines)
    assert "skipped 2 file(s)" in err

    rows = _read_csv(out / "landmarks.csv")
    images = [row for row in rows if row["frame"] == ""]
    video = [row for row in rows if row["frame"] != ""]
    names = [r["image"].rsplit("/", 1)[-1] for r in images]
    assert names == ["grey16.png", "rgb.png", "grey.png", "rgba.png"]  # sorted paths: sub/ after rgb.png
    assert [int(r["frame"]) for r in video] == list(range(VIDEO_FRAMES))
    assert [(int(r["width"]), int(r["height"])) for r in images] == [(30, 20), (37, 53), (5, 7), (11, 9)]

    detector = landmarks.load(run)
    expected = detector.detect([row["image"] for row in images])
    np.testing.assert_allclose(np.stack([_learned(r) for r in images]), expected, atol=1e-4)
    expected_video = detector.detect(_decode(inputs / "clip.mp4"))
    np.testing.assert_allclose(np.stack([_learned(r) for r in video]), expected_video, atol=1e-4)

    document = json.loads((out / "landmarks.json").read_text())
    assert document["num_landmarks"] == 3 and len(document["detections"]) == len(rows)
    assert {item["path"].rsplit("/", 1)[-1] for item in document["skipped"]} == {"corrupt.jpg", "missing.png"}
    np.testing.assert_allclose(document["detections"][0]["landmarks"], _learned(rows[0]), atol=1e-4)


def test_overlays_and_regressed_points(checkpoint, inputs, tmp_path):
    regressor = save_regressor(LinearMap(np.eye(6)[:, :4], np.zeros(4)), ["a", "b"],
                               tmp_path / "regressor.safetensors")  # a, b = learned landmarks 0, 1
    out, overlay = tmp_path / "out", tmp_path / "overlay"
    code = main(["detect", str(checkpoint), str(inputs / "sub" / "grey.png"), str(inputs / "clip.mp4"),
                 "--output", str(out), "--overlay", str(overlay), "--regressor", str(regressor)])
    assert code == 0
    rows = _read_csv(out / "landmarks.csv")
    assert list(rows[0])[-4:] == ["a_x", "a_y", "b_x", "b_y"] and len(rows) == 1 + VIDEO_FRAMES
    for row in rows:
        assert (float(row["a_x"]), float(row["b_y"])) == (float(row["x0"]), float(row["y1"]))
    grey = np.asarray(Image.open(overlay / "grey.png"))
    assert grey.shape == (7, 5, 3)
    drawn = _decode(overlay / "clip.mp4")
    assert len(drawn) == VIDEO_FRAMES and drawn[0].shape == (30, 40, 3)
    with av.open(str(overlay / "clip.mp4")) as container:
        assert container.streams.video[0].average_rate == Fraction(10)


def test_a_broken_video_is_skipped_and_the_rest_goes_on(checkpoint, tmp_path, capsys):
    rng = np.random.default_rng(1)
    _write_video(tmp_path / "small.mp4", [rng.integers(0, 256, (8, 6, 3), np.uint8) for _ in range(3)])
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    Image.fromarray(rng.integers(0, 256, (7, 5, 3), np.uint8)).save(tmp_path / "odd.png")
    out = tmp_path / "out"
    code = main(["detect", str(checkpoint), str(tmp_path / "small.mp4"), str(tmp_path / "broken.mp4"),
                 str(tmp_path / "odd.png"), "--output", str(out), "--overlay", str(tmp_path / "ov")])
    err = capsys.readouterr().err
    assert code == 1 and "broken.mp4" in err and "Traceback" not in err
    assert len(_read_csv(out / "landmarks.csv")) == 3 + 1
    assert np.asarray(Image.open(tmp_path / "ov" / "odd.png")).shape == (7, 5, 3)


def test_overlay_video_of_odd_frames_is_padded_to_even_sides(tmp_path):
    from landmarks.inference.inputs import Frame, InputFile
    from landmarks.inference.overlays import OverlayWriter

    source = InputFile(tmp_path / "v.mkv", "v.mkv", is_video=True)
    with OverlayWriter(tmp_path / "ov") as writer:
        for index in range(3):
            frame = Frame(source, index, np.full((7, 5, 3), 100, np.uint8), Fraction(5))
            writer.write(frame, np.array([[2.0, 3.0]]))
    frames = _decode(tmp_path / "ov" / "v.mp4")
    assert len(frames) == 3 and frames[0].shape == (8, 6, 3)


def test_nothing_readable_is_still_a_clean_exit_1(checkpoint, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["detect", str(checkpoint), str(tmp_path / "empty"), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "holds no image or video files" in err
    assert _read_csv(tmp_path / "out" / "landmarks.csv") == []


def test_a_bad_model_is_a_one_line_error(tmp_path, capsys):
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    assert main(["detect", str(tmp_path / "no-run"), str(tmp_path / "a.png")]) == 2
    err = capsys.readouterr().err
    assert "no-run" in err and "Traceback" not in err


@pytest.mark.parametrize("name, options", [("cut.mp4", {"movflags": "faststart"}), ("cut.mkv", {})])
def test_a_truncated_video_keeps_its_frames_and_is_reported(checkpoint, tmp_path, capsys, name, options):
    rng = np.random.default_rng(2)
    whole = tmp_path / f"whole{name[3:]}"
    _write_video(whole, [rng.integers(0, 256, (24, 32, 3), np.uint8) for _ in range(20)], options=options)
    data = whole.read_bytes()
    (tmp_path / name).write_bytes(data[: int(len(data) * 0.6)])  # a download cut short
    decodable = len(_decode(tmp_path / name))
    assert 0 < decodable < 20  # FFmpeg itself decodes what is there without complaint
    code = main(["detect", str(checkpoint), str(tmp_path / name), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    # Where the cut lands decides whether FFmpeg ends early (reported as truncated) or raises on the
    # last packet (reported as undecodable after the last good frame): both keep the decoded frames.
    assert code == 1
    assert f"{name}: truncated" in err or f"{name}: video cannot be decoded after frame" in err
    assert len(_read_csv(tmp_path / "out" / "landmarks.csv")) == decodable
