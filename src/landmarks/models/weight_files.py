"""Reading pretrained weight files and checking them against a network, with errors that name the layer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from landmarks.errors import WeightsError
from landmarks.models.known_files import check_known_file
from landmarks.models.load_problem import load_problem


def read_state_dict(path: Path) -> Mapping[str, object]:
    """Raw key -> value mapping of a ``.safetensors`` file or a ``torch.save``'d state dict.

    Raises:
        WeightsError: the file is missing, unreadable (truncated, corrupt) or not a mapping, or it has a
            published name (torchvision's ``vgg19-dcbb9e9d.pth``, ...) and not that file's SHA-256
            (:mod:`landmarks.models.known_files`).
    """
    if not path.is_file():
        raise WeightsError(f"{path}: loss network weights file not found")
    check_known_file(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # zip, pickle, safetensors and OS errors alike mean an unreadable file
        message = f"{path}: cannot read the weights file ({load_problem(error)})"
        raise WeightsError(message) from error
    if not isinstance(state, Mapping):
        raise WeightsError(f"{path}: expected a state dict (name -> tensor), got {type(state).__name__}")
    return state


def checked_tensor(path: Path, layer: str, what: str, value: object, shape: tuple[int, ...]) -> torch.Tensor:
    """``value`` as a float32 tensor if it is a finite floating-point array of ``shape``.

    Args:
        path: the file it came from (for the message).
        layer: the layer's name, e.g. ``conv3_1``.
        what: which of its arrays, e.g. ``weight`` or ``running_var``.
        value: what the file holds there (a tensor, a numpy array or None when absent).
        shape: the shape the network needs.

    Raises:
        WeightsError: ``"<path>: conv3_1: expected weight (256, 128, 3, 3), got (128, 128, 3, 3)"``,
            or that the array is missing, not floating point or not finite.
    """
    if value is None:
        raise WeightsError(f"{path}: {layer}: {what} {shape} is missing")
    tensor = torch.as_tensor(value)
    if tuple(tensor.shape) != tuple(shape):
        raise WeightsError(f"{path}: {layer}: expected {what} {tuple(shape)}, got {tuple(tensor.shape)}")
    if not tensor.is_floating_point():
        raise WeightsError(f"{path}: {layer}: {what} must be floating point, got {tensor.dtype}")
    if not torch.isfinite(tensor).all():
        raise WeightsError(f"{path}: {layer}: {what} has NaN or infinite values")
    return tensor.to(torch.float32)
