"""Every image of a report shows: checked by parsing the page (always) and in a headless browser (slow).

The end-to-end case builds the page a user gets: a checkpoint, `landmarks evaluate` (which writes the
paper's figures, Fig. 4's matched landmarks among them) and `landmarks report`.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.cli import main
from landmarks.config import ExperimentConfig, ModelConfig
from landmarks.config_loading import to_dict
from landmarks.models import build_model
from landmarks.report import Section, build_report, check_report_images
from landmarks.report.check import image_sources

SMALL = ModelConfig(image_size=32, num_landmarks=4, base_width=4, generator_width=8, generator_min_width=4)
EVALUATION_FIGURES = (
    "sample_efficiency.png", "pck_curve.png", "regressed_points.png", "matched_landmarks.png"
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _png(path: Path, size=(6, 8)) -> Path:
    Image.fromarray(np.full((*size, 3), 90, np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory) -> Path:
    """A run folder with a tiny checkpoint and `landmarks evaluate`'s output in RUN/evaluation."""
    run = tmp_path_factory.mktemp("run")
    (run / "checkpoints").mkdir()
    torch.manual_seed(0)
    state = {f"model.{k}": v for k, v in build_model(SMALL).state_dict().items()}
    checkpoint = {"hyper_parameters": {"config": to_dict(ExperimentConfig(model=SMALL))}, "state_dict": state}
    torch.save(checkpoint, run / "checkpoints" / "last.ckpt")
    data = run / "faces"
    data.mkdir()
    rng = np.random.default_rng(0)
    for split, count in (("train", 12), ("test", 4)):
        rows = []
        for i in range(count):
            _png(data / f"{split}{i}.png", size=(40, 36))
            points = rng.uniform(5, 30, 6)
            rows.append(",".join([f"{split}{i}.png", *(f"{v:.2f}" for v in points)]))
        (data / f"{split}.csv").write_text("image,x0,y0,x1,y1,x2,y2\n" + "\n".join(rows) + "\n")
    code = main(["evaluate", str(run), "--train", str(data / "train.csv"), "--test", str(data / "test.csv"),
                 "--draws", "1"])
    assert code == 0
    return run


@pytest.fixture(scope="module")
def report(evaluated_run) -> Path:
    assert main(["report", str(evaluated_run)]) == 0
    return evaluated_run / "report.html"


def test_evaluate_writes_fig4_and_the_report_shows_every_figure(evaluated_run, report):
    for name in EVALUATION_FIGURES:
        assert (evaluated_run / "evaluation" / name).is_file()
    sources = image_sources(report)
    assert sorted(sources) == sorted(f"evaluation/{name}" for name in EVALUATION_FIGURES)
    assert check_report_images(report) == []


def test_broken_images_are_found(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    good, truncated, jpeg = _png(run / "good.png"), _png(run / "cut.png", (64, 64)), run / "photo.png"
    truncated.write_bytes(truncated.read_bytes()[:60])
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(jpeg, format="JPEG")
    page = build_report(run, title="t", sections=[Section("F", "images", [good, truncated, jpeg])])
    (run / "good.png").rename(run / "moved.png")
    problems = {problem.source: problem.problem for problem in check_report_images(page)}
    assert problems.keys() == {"good.png", "cut.png", "photo.png"}
    assert "does not exist" in problems["good.png"]
    assert "does not decode" in problems["cut.png"]
    assert "JPEG" in problems["photo.png"]


@pytest.mark.parametrize("tag, problem", [
    ('<img src="/abs/a.png">', "not a path relative"),
    ('<img src="file:///tmp/a.png">', "not a path relative"),
    ('<img alt="x">', "no src"),
])
def test_links_that_break_when_the_folder_moves_are_problems(tmp_path, tag, problem):
    page = tmp_path / "page.html"
    page.write_text(f"<html><body>{tag}</body></html>")
    [found] = check_report_images(page)
    assert problem in found.problem


def _browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


# Runs at the page's load event, which waits for every (eager) image to load or fail, and writes what
# the browser saw into the DOM, which --dump-dom prints. Synchronous on purpose: an async probe may
# not finish before the dump.
PROBE = """<script>
window.addEventListener("load", () => {
  const seen = [...document.images].map((image) => ({
    src: image.getAttribute("src"), complete: image.complete, width: image.naturalWidth}));
  const out = document.createElement("pre");
  out.id = "image-probe";
  out.textContent = JSON.stringify(seen);
  document.body.appendChild(out);
});
</script>"""


def images_in_browser(browser: str, page: Path, profile: Path) -> list[dict]:
    """What a headless browser makes of each ``<img>`` of ``page``: ``src``, complete, naturalWidth.

    The probe is a copy of the page beside it (relative links resolve the same) with the script above
    added and lazy loading turned off, so that the load event waits for every image.
    """
    text = page.read_text(encoding="utf-8").replace(' loading="lazy"', "")
    probe = page.with_name("probe_" + page.name)
    probe.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", f"--user-data-dir={profile}",
               "--window-size=1200,900", "--virtual-time-budget=5000", "--dump-dom", probe.resolve().as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False).stdout
    start = dom.find('<pre id="image-probe">')
    assert start >= 0, f"the browser ran no probe; it printed: {dom[:500]!r}"
    text = dom[start + len('<pre id="image-probe">') : dom.index("</pre>", start)]
    return json.loads(text.replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.slow
@pytest.mark.skipif(_browser() is None, reason=f"needs a headless browser ({', '.join(BROWSERS)})")
def test_every_report_image_loads_in_a_headless_browser(report, tmp_path):
    seen = images_in_browser(_browser(), report, tmp_path / "profile")
    assert sorted(image["src"] for image in seen) == sorted(image_sources(report))
    assert all(image["complete"] and image["width"] > 0 for image in seen), seen


@pytest.mark.slow
@pytest.mark.skipif(_browser() is None, reason=f"needs a headless browser ({', '.join(BROWSERS)})")
def test_the_browser_probe_sees_a_broken_image(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    page = build_report(run, title="t", sections=[Section("F", "images", [_png(run / "a.png"),
                                                                          _png(run / "b.png")])])
    (run / "b.png").write_bytes(b"not a png")
    seen = {image["src"]: image for image in images_in_browser(_browser(), page, tmp_path / "profile")}
    assert seen["a.png"]["complete"] and seen["a.png"]["width"] == 8
    assert seen["b.png"]["complete"] and seen["b.png"]["width"] == 0  # loaded, but did not decode


def test_report_command_warns_about_an_image_that_does_not_decode(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.txt").write_text("error 0.05\n")  # an evaluation folder
    _png(run / "fine.png")
    (run / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # a PNG signature and nothing else
    assert main(["report", str(run)]) == 0
    error = capsys.readouterr().err
    assert "cut.png" in error and "does not decode" in error and "fine.png" not in error
