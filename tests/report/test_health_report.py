"""The run report draws the keypoints' health from RUN/health.csv."""

from __future__ import annotations

import subprocess
import sys

import pytest

from landmarks.errors import DataError
from landmarks.report import build_report, check_report_images, collect_run_sections
from landmarks.report.health import FIGURE_NAME, HEALTH_FILE, read_health

HEADER = "step,equivariance,spread_median,spread_mean,collapsed,coverage,border_share,num_keypoints\n"


def write_health(run_dir, rows: list[str]):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / HEALTH_FILE).write_text(HEADER + "".join(f"{row}\n" for row in rows))
    return run_dir


def test_read_health_keeps_the_last_row_of_a_step_in_step_order(tmp_path):
    run = write_health(tmp_path / "run", ["9,nan,0.1,0.2,10,0,0,10", "19,5,1,1,6,2,0,10",
                                          "19,4,2,2,5,3,0,10", "29,3,3,3,0,9,0.1,10"])
    health = read_health(run / HEALTH_FILE)
    assert health["step"] == [9, 19, 29]
    assert health["equivariance"][1:] == [4.0, 3.0] and health["collapsed"] == [10, 5, 0]


def test_report_shows_the_health_curves_and_the_last_check(tmp_path):
    run = write_health(tmp_path / "run", ["9,nan,0.1,0.2,10,0,0,10", "19,4,2,2,5,3,0,10"])
    sections = collect_run_sections(run)
    titles = [section.title for section in sections]
    assert titles == ["Keypoint health during training", "Keypoint health at the last check"]
    assert sections[1].content["collapsed"] == 5 and sections[1].content["equivariance"] == 4
    page = build_report(run, title="run", sections=sections)
    assert check_report_images(page) == []
    assert FIGURE_NAME in page.read_text()


def test_no_health_file_no_section_and_a_broken_one_raises(tmp_path):
    (tmp_path / "checkpoints").mkdir()  # a run folder without health.csv
    assert collect_run_sections(tmp_path) == []
    (tmp_path / HEALTH_FILE).write_text(HEADER + "9,x,1,1,1,1,1,10\n")
    with pytest.raises(DataError, match="health log"):
        collect_run_sections(tmp_path)
    (tmp_path / HEALTH_FILE).write_text(HEADER)
    assert collect_run_sections(tmp_path) == []


def test_report_with_health_does_not_import_torch(tmp_path):
    run = write_health(tmp_path / "run", ["9,1,5,5,0,10,0,10", "19,1,5,5,0,10,0,10"])
    code = ("import sys; from landmarks.cli import main; main(['report', sys.argv[1]]); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stdout + done.stderr
    assert (run / "report_files" / FIGURE_NAME).is_file()
