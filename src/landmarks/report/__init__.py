"""The HTML run report: a page of metric tables, figures and the config, written into the run folder."""

from landmarks.report.check import ImageProblem, check_report_images
from landmarks.report.page import Section, build_report
from landmarks.report.run_folder import collect_run_sections

__all__ = ["ImageProblem", "Section", "build_report", "check_report_images", "collect_run_sections"]
