"""``landmarks serve MODEL``: a local web page where a dropped image or short video shows its landmarks.

A plain :mod:`http.server` on this machine (``127.0.0.1`` by default): no UI library, no outside
resources. ``GET /`` is the page; ``POST /detect`` takes the file's bytes (its name in the
``X-Filename`` header, for the video suffix) and answers JSON: ``landmarks`` (pixels of each frame,
``[frames][K][2]``) and ``overlay``, a PNG (data URL) of the image, or of up to :data:`STRIP_FRAMES`
frames of a video side by side, with the landmarks drawn; ``GET /last`` answers the last such result
(the page shows it when opened). Requests are served one at a time.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import tempfile
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
from PIL import Image

from landmarks.errors import LandmarksError

logger = logging.getLogger(__name__)
MAX_UPLOAD = 200 * 1024 * 1024  # bytes
MAX_FRAMES = 300  # a short video: at most this many frames are detected
STRIP_FRAMES = 6  # video frames shown in the overlay
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>landmarks</title>
<style>
body { font-family: sans-serif; margin: 2em; }
#drop { border: 2px dashed #888; padding: 2em; text-align: center; }
#drop.over { background: #eef; }
#result { max-width: 90%; image-rendering: pixelated; margin-top: 1em; }
</style></head>
<body>
<h1>landmarks: MODEL_NAME</h1>
<div id="drop">Drop an image or a short video here, or <input type="file" id="file"
 accept="image/*,video/*"></div>
<p id="status"></p>
<img id="result" alt="">
<script>
const drop = document.getElementById("drop"), status = document.getElementById("status");
async function send(file) {
  status.textContent = "finding the landmarks of " + file.name + " ...";
  const answer = await fetch("/detect", {method: "POST", body: file,
                                          headers: {"X-Filename": encodeURIComponent(file.name)}});
  const result = await answer.json();
  if (!answer.ok) { status.textContent = result.error; return; }
  show(file.name, result);
}
function show(name, result) {
  document.getElementById("result").src = result.overlay;
  status.textContent = name + ": " + result.landmarks.length + " frame(s), " +
                       result.landmarks[0].length + " landmarks";
}
fetch("/last").then((answer) => answer.ok ? answer.json() : null)
              .then((result) => { if (result) show(result.name, result); });
document.getElementById("file").onchange = (e) => send(e.target.files[0]);
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); send(e.dataTransfer.files[0]); };
</script></body></html>
"""


def detect_upload(detector, data: bytes, filename: str) -> dict:
    """``{"landmarks": [frames][K][2] pixels, "overlay": PNG data URL}`` for an uploaded file's bytes.

    Raises:
        LandmarksError: the bytes are not a readable image or video.
    """
    from landmarks.inference.overlays import overlay_image

    frames = _frames(data, filename)
    landmarks = detector.detect(frames)  # (N, K, 2) pixels
    shown = np.linspace(0, len(frames) - 1, min(STRIP_FRAMES, len(frames))).round().astype(int)
    strip = np.concatenate([overlay_image(frames[i], landmarks[i]) for i in shown], axis=1)
    buffer = io.BytesIO()
    Image.fromarray(strip).save(buffer, format="PNG")
    overlay = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"landmarks": np.round(landmarks, 2).tolist(), "overlay": overlay}


def _frames(data: bytes, filename: str) -> list[np.ndarray]:
    """The ``(H, W, 3)`` uint8 frames of an image (one) or a video (up to :data:`MAX_FRAMES`)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        try:
            with Image.open(io.BytesIO(data)) as image:
                return [np.asarray(image.convert("RGB"))]
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise LandmarksError(f"{filename}: not a readable image ({error})") from None
    from landmarks.inference.inputs import InputFile, read_frames

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        frames = []
        for frame in read_frames(InputFile(path, filename, is_video=True)):
            frames.append(frame.image)
            if len(frames) == MAX_FRAMES:
                break
    if not frames:
        raise LandmarksError(f"{filename}: the video has no frames")
    return frames


def make_server(detector, *, host: str = "127.0.0.1", port: int = 8000, title: str = "") -> HTTPServer:
    """An :class:`HTTPServer` answering as the module says (``port`` 0: any free port)."""
    page = PAGE.replace("MODEL_NAME", _escape(title)).encode("utf-8")
    last: dict = {}  # the last result, with the file's name

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/last":
                return self._json(HTTPStatus.OK, last) if last else self._json(HTTPStatus.NOT_FOUND, {})
            if self.path not in ("/", "/index.html"):
                return self._answer(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            self._answer(HTTPStatus.OK, page, "text/html; charset=utf-8")

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/detect":
                return self._answer(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_UPLOAD:
                return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length else HTTPStatus.BAD_REQUEST,
                                  {"error": f"send one file of at most {MAX_UPLOAD >> 20} MB"})
            from urllib.parse import unquote

            name = unquote(self.headers.get("X-Filename") or "upload")
            data = self.rfile.read(length)
            try:
                last.update(detect_upload(detector, data, name), name=name)
                self._json(HTTPStatus.OK, last)
            except LandmarksError as error:
                logger.warning("%s", error)
                self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(error)})

        def _json(self, status: HTTPStatus, body: dict) -> None:
            self._answer(status, json.dumps(body).encode("utf-8"), "application/json")

        def _answer(self, status: HTTPStatus, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
            logger.debug("%s " + format, self.address_string(), *args)

    return HTTPServer((host, port), Handler)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
