"""The authors' loss network: Larsson et al.'s colourisation VGG-16, read from its HDF5 file.

This is the "selfsup" loss network of the paper ([25]: Larsson, Maire, Shakhnarovich, "Colorization as a
Proxy Task for Visual Understanding", CVPR 2017), which the released code loads (REFERENCE sec. 3).

File layout (a Caffe model converted to HDF5, as read by the released code):

- one group per layer, ``conv1_1`` ... ``conv5_3``, holding the dataset ``0`` (the conv kernel,
  ``(C_out, C_in, 3, 3)`` in Caffe's OIHW order, as PyTorch's) and ``1`` (the bias, ``(C_out,)``);
- for a conv followed by batch norm, a group ``batch_<layer>`` holding Caffe's BatchNorm blobs:
  ``0`` = running mean x factor, ``1`` = running variance x factor, ``2`` = the moving-average factor
  (shape ``(1,)``); mean = ``0 / 2`` and variance = ``1 / 2``. Caffe's BatchNorm has no scale or shift.
- other groups (``fc6``, ``fc7``, the colourisation head, ...) are ignored.

NOTE(released): the released code reads the file with deepdish under the group ``/data``; files saved
with plain h5py have the layer groups at the root. Both are accepted: ``/data`` when it exists.
NOTE(released): batch norm is folded into each conv at load time with eps 1e-5 (Caffe's default) and
scale 1, shift 0, as released: ``W / sigma``, ``(b - mu) / sigma``. The released code folds wherever a
``batch_<layer>`` group exists; we assume Larsson's file has one for every conv (or none at all) and
reject a file where only some convs have statistics, since that is more likely a damaged file.
NOTE(released): the input is the mean of the RGB channels on the 0-255 scale, divided by 255 and
centred by 114.451 / 255 (Larsson's gray mean); no division by a standard deviation.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch

from landmarks.errors import WeightsError
from landmarks.models.vgg import VggFeatures, expected_shapes
from landmarks.models.weight_files import checked_tensor
from landmarks.nn.folding import fold_batchnorm

GRAY_MEAN = 114.451 / 255.0  # released code: Larsson's mean gray level, on the [0, 1] scale
BATCHNORM_EPS = 1e-5  # released code (Caffe's BatchNorm default)
WEIGHTS_FILE = "vgg16.caffemodel.h5"  # the name the released code uses for the file
_LAYOUT = "vgg16"
_IN_CHANNELS = 1


def colorization_gray(images: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 1, H, W)`` centred gray: channel mean minus ``GRAY_MEAN``.

    Convention: an image at the released mean gray level (114.451 on 0-255) maps to 0; the range is
    about [-0.45, 0.55].
    """
    return images.mean(dim=1, keepdim=True) - GRAY_MEAN


def colorization_vgg16(layers: tuple[str, ...]) -> VggFeatures:
    """A (random) VGG-16 with a 1-channel first conv, reading RGB through :func:`colorization_gray`."""
    return VggFeatures(_LAYOUT, layers, in_channels=_IN_CHANNELS, input_transform=colorization_gray)


def _read(path: Path, group: h5py.Group, layer: str, dataset: str) -> np.ndarray | None:
    """The dataset ``<layer>/<dataset>`` as an array, None if the group or dataset is absent."""
    if layer not in group or dataset not in group[layer]:
        return None
    item = group[layer][dataset]
    if not isinstance(item, h5py.Dataset):
        raise WeightsError(f"{path}: {layer}/{dataset} is not an array")
    return item[()]


def _batchnorm_statistics(
    path: Path, group: h5py.Group, layer: str, channels: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, var)``, each ``(channels,)``, from Caffe's ``batch_<layer>`` blobs."""
    name = f"batch_{layer}"
    scaled_mean = checked_tensor(path, name, "mean x factor", _read(path, group, name, "0"), (channels,))
    scaled_var = checked_tensor(path, name, "variance x factor", _read(path, group, name, "1"), (channels,))
    factor = checked_tensor(path, name, "moving-average factor", _read(path, group, name, "2"), (1,))
    if factor.item() <= 0:
        raise WeightsError(f"{path}: {name}: moving-average factor must be positive, got {factor.item()}")
    var = scaled_var / factor
    if (var < 0).any():
        raise WeightsError(f"{path}: {name}: negative variance")
    return scaled_mean / factor, var


def _read_layers(path: Path, group: h5py.Group) -> dict[str, torch.Tensor]:
    shapes = expected_shapes(_LAYOUT, _IN_CHANNELS)
    convs = {}  # layer -> {"weight": key, "bias": key}
    for key, (layer, _) in shapes.items():
        convs.setdefault(layer, {})[key.rsplit(".", 1)[1]] = key
    missing = [layer for layer in convs if layer not in group]
    if missing:
        raise WeightsError(
            f"{path}: layer group(s) {missing} missing; the colourisation VGG-16 needs "
            f"{list(convs)} (found {sorted(group)[:20]})"
        )
    with_statistics = [layer for layer in convs if f"batch_{layer}" in group]
    if with_statistics and len(with_statistics) != len(convs):
        lacking = [f"batch_{layer}" for layer in convs if layer not in with_statistics]
        raise WeightsError(f"{path}: batch-norm group(s) {lacking} missing (other convs have theirs)")
    state = {}
    for layer, keys in convs.items():
        weight_shape, bias_shape = (tuple(shapes[keys[part]][1]) for part in ("weight", "bias"))
        weight = checked_tensor(path, layer, "weight", _read(path, group, layer, "0"), weight_shape)
        bias = checked_tensor(path, layer, "bias", _read(path, group, layer, "1"), bias_shape)
        if with_statistics:
            mean, var = _batchnorm_statistics(path, group, layer, weight_shape[0])
            weight, bias = fold_batchnorm(weight, bias, mean, var, None, None, BATCHNORM_EPS)
        state[keys["weight"]], state[keys["bias"]] = weight, bias
    return state


def load_colorization_vgg16_h5(path: str | Path) -> dict[str, torch.Tensor]:
    """Read the colourisation VGG-16's HDF5 file, with batch norm folded into the convs.

    Args:
        path: the HDF5 file (layout in the module docstring).

    Returns:
        A state dict for :func:`colorization_vgg16` (torchvision's ``features.<i>.weight`` / ``.bias``
        keys, ``features.0.weight`` of shape ``(64, 1, 3, 3)``), float32.

    Raises:
        WeightsError: naming the file and the layer when the file is missing, not HDF5, truncated, or
            lacks a layer group or array, or an array has the wrong shape
            (``"<path>: conv3_1: expected weight (256, 128, 3, 3), got (128, 128, 3, 3)"``).
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: colourisation VGG-16 weights file ({WEIGHTS_FILE}) not found")
    try:
        with h5py.File(path, "r") as file:
            group = file["data"] if isinstance(file.get("data"), h5py.Group) else file
            return _read_layers(path, group)
    except WeightsError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as error:  # h5py's errors for truncated/corrupt files
        raise WeightsError(f"{path}: cannot read the HDF5 file (truncated or corrupt?): {error}") from error
