"""An API caller who configured no logging still sees the precision line; one who did sees it only
through their own configuration, at their levels."""

from __future__ import annotations

import logging
import subprocess
import sys

from landmarks.config_loading import load_config
from landmarks.models.checkpoint import TrainedModel
from landmarks.models.export import save_safetensors
from landmarks.models.landmark_model import build_model
from landmarks.notices import announce


def test_announce_writes_to_stderr_only_where_no_handler_would_get_the_message(capsys):
    lone = logging.Logger("lone")  # outside the hierarchy: no handler anywhere
    announce(lone, "precision: %s", "32-true")
    assert capsys.readouterr().err == "landmarks: precision: 32-true\n"
    handled = logging.Logger("handled")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    handled.addHandler(handler)
    announce(handled, "precision: %s", "32-true")
    assert capsys.readouterr().err == "" and records[0].getMessage() == "precision: 32-true"


def test_an_api_caller_sees_the_precision_line_once_and_as_configured(tmp_path):
    config = load_config("default", ["model.image_size=32", "model.num_landmarks=4", "model.base_width=8",
                                     "model.generator_width=16", "model.generator_min_width=8",
                                     "model.heatmap_size=8"])
    save_safetensors(TrainedModel(build_model(config.model), config, 0), tmp_path)
    load = f"landmarks.load({str(tmp_path)!r}, precision='32-true')"
    script = "\n".join([
        "import logging, sys, landmarks",
        load, "sys.stderr.write('-- warning level\\n')",  # nothing configured: the line on stderr
        "logging.basicConfig(level=logging.WARNING, format='%(name)s: %(message)s')",
        load, "sys.stderr.write('-- info level\\n')",  # configured: the program's levels decide
        "logging.getLogger().setLevel(logging.INFO)", load])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = "precision: 32-true (set in the config)"
    assert done.stderr.splitlines() == [f"landmarks: {line}", "-- warning level", "-- info level",
                                        f"landmarks.inference.detector: {line}"]
