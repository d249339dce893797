"""landmarks serve: the page, and landmarks of an uploaded image and video, over HTTP on localhost."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

import landmarks
from landmarks.config_loading import load_config
from landmarks.models.checkpoint import TrainedModel
from landmarks.models.export import save_safetensors
from landmarks.models.landmark_model import build_model
from landmarks.serve import make_server

K = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    config = load_config("default", ["model.image_size=32", f"model.num_landmarks={K}", "model.base_width=8",
                                     "model.generator_width=16", "model.generator_min_width=8",
                                     "model.heatmap_size=8"])
    save_safetensors(TrainedModel(build_model(config.model), config, 0), folder)
    server = make_server(landmarks.load(folder, precision="32-true"), port=0, title="test model")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _post(url: str, data: bytes, name: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{url}/detect", data=data, headers={"X-Filename": name})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(buffer, "PNG")  # grey
    return buffer.getvalue()


def test_the_page_and_an_image(server):
    with urllib.request.urlopen(server, timeout=30) as answer:
        page = answer.read().decode()
    assert "Drop an image or a short video" in page and "test model" in page
    status, result = _post(server, _png(60, 40), "a.png")
    assert status == 200 and np.array(result["landmarks"]).shape == (1, K, 2)
    overlay = Image.open(io.BytesIO(base64.b64decode(result["overlay"].split(",", 1)[1])))
    assert overlay.size == (60, 40)


def test_a_short_video_and_a_bad_file(server, tmp_path):
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        for i in range(8):
            frame = av.VideoFrame.from_ndarray(np.full((32, 48, 3), 30 * i, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    status, result = _post(server, path.read_bytes(), "clip.mp4")
    assert status == 200 and np.array(result["landmarks"]).shape == (8, K, 2)
    status, result = _post(server, b"not an image", "x.png")
    assert status == 422 and result["error"].startswith("x.png: not a readable image")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
def test_the_page_in_a_headless_browser_shows_the_landmarks_drawn(server, tmp_path):
    assert _post(server, _png(200, 150), "grey.png")[0] == 200  # the page shows the last result
    shot = tmp_path / "shot.png"
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=800,700",
               "--virtual-time-budget=10000", server]
    subprocess.run(command, check=False, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    colourful = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 100  # a grey image, white page, black text
    print(f"screenshot {shot}: {colourful.sum()} pixels of the landmarks' colours")
    assert colourful.sum() > 20
