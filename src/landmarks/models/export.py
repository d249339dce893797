"""Exporting a trained model: safetensors weights with their config, and the detector as ONNX.

``landmarks export RUN --out DIR`` writes

* ``DIR/model.safetensors``: every network's weights (detector, appearance encoder, generator), the
  training step in the metadata; read back by :func:`landmarks.models.checkpoint.load_trained_model`
  and :func:`landmarks.load` without unpickling anything;
* ``DIR/config.yaml``: the resolved experiment config (every field), which says how to rebuild the
  networks and how images are brought to the model's input (``data.resize``);
* with ``--onnx``, ``DIR/detector.onnx``: the detector Phi alone, see :func:`export_onnx`.
"""

from __future__ import annotations

import importlib.util
import inspect
import warnings
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from landmarks.config_loading import save_config
from landmarks.errors import LandmarksError
from landmarks.models.checkpoint import EXPORTED_CONFIG, EXPORTED_WEIGHTS, TrainedModel
from landmarks.models.encoder import Detector

ONNX_FILE = "detector.onnx"
ONNX_OPSET = 17  # supported by onnxruntime >= 1.14 and by torch's exporter since 1.13
ONNX_INPUT = "images"
ONNX_OUTPUTS = ("keypoints", "scores")


def save_safetensors(trained: TrainedModel, folder: str | Path) -> tuple[Path, Path]:
    """Write ``model.safetensors`` and ``config.yaml`` into ``folder``; returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu().contiguous() for key, value in trained.model.state_dict().items()}
    weights, config = folder / EXPORTED_WEIGHTS, folder / EXPORTED_CONFIG
    save_file(state, weights, metadata={"format": "pt", "step": str(trained.step)})
    save_config(trained.config, config)
    return weights, config


class DetectorGraph(nn.Module):
    """The detector with plain tensor outputs, the form ONNX needs.

    Input ``images``: ``(B, 3, S, S)`` float32 RGB in ``[0, 1]``. Outputs ``keypoints``: ``(B, K, 2)``
    ``(x, y)`` in ``[-1, 1]`` of the model input (:mod:`landmarks.geometry.coordinates`), and ``scores``:
    ``(B, K, h, h)`` the raw score maps before the soft-argmax.
    """

    def __init__(self, detector: Detector):
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        detection = self.detector(images)
        return detection.keypoints, detection.scores


def export_onnx(trained: TrainedModel, path: str | Path, *, opset: int = ONNX_OPSET) -> Path:
    """Write the detector as ONNX (:class:`DetectorGraph`'s inputs and outputs, any batch size).

    Mapping the keypoints to an original image's pixels is left to the caller (the resize of
    ``config.yaml``'s ``data.resize``, as :func:`landmarks.data.preprocess.fit_to_model` does it).

    NOTE: uses torch's TorchScript-based exporter (``dynamo=False``): it needs only the ``onnx``
    package (the torch.export-based one also needs ``onnxscript``), exports these plain convolutions
    exactly and takes a fraction of a second (about 5 s for the other here). Its deprecation warning
    is silenced.
    """
    _require_onnx()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = trained.config.model.image_size
    graph = DetectorGraph(trained.model.detector).cpu().eval()
    example = torch.rand(1, 3, size, size)
    options = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    axes = {ONNX_INPUT: {0: "batch"}, **{name: {0: "batch"} for name in ONNX_OUTPUTS}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (example,), str(path), input_names=[ONNX_INPUT],
                          output_names=list(ONNX_OUTPUTS), dynamic_axes=axes, opset_version=opset, **options)
    return path


def export_model(trained: TrainedModel, folder: str | Path, *, onnx: bool = False) -> list[Path]:
    """Everything ``landmarks export`` writes (see the module docstring); returns the paths."""
    if onnx:
        _require_onnx()  # before writing anything
    written = list(save_safetensors(trained, folder))
    if onnx:
        written.append(export_onnx(trained, Path(folder) / ONNX_FILE))
    return written


def _require_onnx() -> None:
    if importlib.util.find_spec("onnx") is None:  # torch's exporter writes the file through it
        raise LandmarksError("ONNX export needs the onnx package: pip install 'landmarks[onnx]'")
