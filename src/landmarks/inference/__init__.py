"""Using a trained model: landmarks of new images and videos, in each original image's pixels.

``landmarks.load(path)`` gives a :class:`LandmarkDetector`; ``landmarks detect`` runs
:func:`detect_files` over files, folders and videos. See ``docs/using-a-model.md``.
"""

from landmarks.inference.detect_files import DetectSummary, detect_files
from landmarks.inference.detector import LandmarkDetector, load_detector

__all__ = ["DetectSummary", "LandmarkDetector", "detect_files", "load_detector"]
