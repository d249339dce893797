import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image

from landmarks.errors import DataError
from landmarks.report import Section, build_report, collect_run_sections

CHROMIUM = Path("/usr/bin/chromium")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _fake_run(run_dir: Path) -> Path:
    (run_dir / "figures").mkdir(parents=True)
    metrics = {"val/error": 0.0512, "<script>alert(1)</script>": 3, "test": {"mean_error": 0.0734}}
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    for name in ("quadruplets_step_100.png", "heat maps.png"):
        Image.fromarray(np.full((16, 24, 3), 90, np.uint8)).save(run_dir / "figures" / name)
    (run_dir / "config.yaml").write_text("model:\n  num_landmarks: 10\nnote: a < b & c\n")
    return run_dir


def test_report_of_a_run_folder(tmp_path):
    run_dir = _fake_run(tmp_path / "run")
    report = build_report(run_dir, title="Run <1>", sections=collect_run_sections(run_dir))
    assert report == run_dir / "report.html"
    page = _parse(report)
    assert len(page.images) == 2
    for source in page.images:
        assert not source.startswith(("/", "file:")), "images are linked relative to the report"
        assert (report.parent / unquote(source)).is_file()
    text = "".join(page.text)
    for expected in ("0.0512", "test.mean_error", "0.0734", "quadruplets step 100", "num_landmarks: 10"):
        assert expected in text
    raw = report.read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "a &lt; b &amp; c" in raw and "<title>Run &lt;1&gt;</title>" in raw


def test_report_survives_moving_the_folder(tmp_path):
    run_dir = _fake_run(tmp_path / "run")
    build_report(run_dir, title="run", sections=collect_run_sections(run_dir))
    moved = Path(shutil.move(run_dir, tmp_path / "elsewhere"))
    for source in _parse(moved / "report.html").images:
        assert (moved / unquote(source)).is_file()


def test_images_outside_the_run_are_copied_in_and_rows_become_columns(tmp_path):
    outside = tmp_path / "outside.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(outside)
    rows = [{"landmarks": 10, "error": 0.07}, {"landmarks": 30, "error": 0.05}]
    sections = [Section("Images", "images", [(outside, "from elsewhere")]), Section("Sweep", "table", rows)]
    report = build_report(tmp_path / "run", title="t", sections=sections)
    page = _parse(report)
    assert (report.parent / unquote(page.images[0])).is_file()
    assert page.images[0].startswith("report_files/")
    assert "landmarks" in page.text and "0.05" in page.text


def test_evaluation_folder_with_curves_and_top_level_figures(tmp_path):
    metrics = {"test": {"regression": {"pck_curve": [i / 100 for i in range(50)], "error": None}}}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "metrics.txt").write_text("regression  error 0.05\n")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "pck_curve.png")
    report = build_report(tmp_path, title="eval", sections=collect_run_sections(tmp_path))
    page = _parse(report)
    assert [unquote(source) for source in page.images] == ["pck_curve.png"]
    text = "".join(page.text)
    assert "[0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, ... (50 values)]" in text
    assert "regression  error 0.05" in text


def test_a_folder_that_is_no_run_is_refused_and_bad_input_raises(tmp_path):
    with pytest.raises(DataError, match="not a run folder or an evaluation folder"):
        collect_run_sections(tmp_path)  # empty
    (tmp_path / "photo.png").write_bytes(b"a plain image folder")
    with pytest.raises(DataError, match="not a run folder or an evaluation folder"):
        collect_run_sections(tmp_path)
    (tmp_path / "config.yaml").write_text("name: run\n")  # a run that has written nothing else yet
    assert [section.title for section in collect_run_sections(tmp_path)][-1] == "Config"
    with pytest.raises(ValueError):
        Section("x", "video", None)
    with pytest.raises(DataError):
        build_report(tmp_path, title="t", sections=[Section("x", "images", ["missing.png"])])
    (tmp_path / "metrics.json").write_text("{not json")
    with pytest.raises(DataError):
        collect_run_sections(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_report_opens_in_a_headless_browser(tmp_path):
    run_dir = _fake_run(tmp_path / "run")
    report = build_report(run_dir, title="run", sections=collect_run_sections(run_dir))
    shot = tmp_path / "shot.png"
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}", "--window-size=1200,900", report.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=False, capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 0


def test_run_report_includes_the_evaluation_folder(tmp_path):
    from PIL import Image

    from landmarks.report import collect_run_sections

    (tmp_path / "evaluation").mkdir()
    (tmp_path / "evaluation" / "metrics.txt").write_text("regression 21.7\n")
    Image.new("RGB", (4, 4)).save(tmp_path / "evaluation" / "pck_curve.png")
    sections = {s.title: s for s in collect_run_sections(tmp_path)}
    assert sections["Evaluation: Metrics (text)"].content == "regression 21.7\n"
    (path, caption), = sections["Evaluation: Figures"].content
    assert str(path) == "evaluation/pck_curve.png" and caption == "pck curve"
