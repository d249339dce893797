"""The variables of the authors' released TensorFlow networks (``tomasjakab/imm``) and the parameters of
ours that each one becomes.

The released graph (``imm/models/imm_model.py``, read for names and shapes only) builds every conv as a
variable scope ``conv_N`` holding the conv's scope ``conv_N/conv_N`` (``w``: HWIO kernel, ``b``: bias)
and, for all but the output convs, a TF batch norm ``conv_N/batch_normalization`` (``gamma``, ``beta``,
``moving_mean``, ``moving_variance``; momentum 0.99, epsilon 1e-3). Under the top scope ``model/``:

* ``pose_encoder/encoder/conv_1 ... conv_8``: the detector Phi's trunk (conv_1 7x7, conv_3/5/7 stride 2),
  ``pose_encoder/conv_1``: its 1x1 head to the K score maps (no batch norm);
* ``image_encoder/encoder/conv_1 ... conv_8``: the appearance encoder, same layout, its own weights;
* ``renderer/conv_1 ... conv_7``: the generator Psi (two convs per resolution from 16 px, one at
  128 px), ``renderer/conv_8``: the output conv (no batch norm) with 3 + 6 channels: the released
  configs set ``channels_bug_fix``, which adds one unused channel per perceptual-loss layer after RGB.

Each becomes our parameter as follows (:func:`released_parameters`):

* kernels HWIO -> OIHW (TF is NHWC, PyTorch NCHW);
* TF adds a bias before each batch norm; ours have none, and the bias is folded into the norm's
  running mean (``running_mean = moving_mean - b``: the same output in evaluation, and a bias before a
  norm has no effect in training, where the batch mean removes it);
* the released networks read and write RGB in 0-255, ours in [0, 1]: the first kernels of the detector
  and the encoder are multiplied by 255, the output conv's kernel and bias divided by 255, and its 6
  unused channels dropped.

Other variables of a released checkpoint (Adam's slots, ``global_step``, the colourisation loss
network under ``SelfSupReconstructionLoss``, the loss's running means) are not the networks' weights and
are left out; any other variable inside the three networks' scopes is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

RGB_SCALE = 255.0  # released inputs and outputs are 0-255 RGB; ours [0, 1]
DETECTOR = "pose_encoder/encoder"
HEAD = "pose_encoder/conv_1"
ENCODER = "image_encoder/encoder"
RENDERER = "renderer"
NETWORK_SCOPES = ("pose_encoder/", "image_encoder/", "renderer/")
OPTIMISER_SLOTS = ("/Adam", "/Adam_1", "/Momentum", "/RMSProp", "/RMSProp_1")
# The variable every released checkpoint holds, found to learn its top scope ("model/" as released).
ANCHOR = f"{DETECTOR}/conv_1/conv_1/w"


@dataclass(frozen=True)
class Parameter:
    """One parameter of ours: its state-dict ``key`` and how it is made from the checkpoint's arrays.

    ``sources``: the released variable names it is made from (without the top scope); ``make`` takes
    their arrays in that order and returns the parameter as a float32 array of our layout.
    """

    key: str
    sources: tuple[str, ...]
    make: Callable[..., np.ndarray]


def hwio_to_oihw(kernel: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """A TF conv kernel ``(kh, kw, C_in, C_out)`` as PyTorch's ``(C_out, C_in, kh, kw)``, times ``scale``."""
    return np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)) * np.float32(scale)


def conv_bn_parameters(ours: str, scope: str, *, input_scale: float = 1.0) -> list[Parameter]:
    """A released conv + batch norm (``scope`` = ``.../conv_N``) as our conv-BN ``ours.0`` / ``ours.1``.

    ``input_scale``: the kernel's factor (255 for a first conv that now reads [0, 1] images).
    """
    conv, norm = f"{scope}/{scope.rsplit('/', 1)[-1]}", f"{scope}/batch_normalization"
    return [
        Parameter(f"{ours}.0.weight", (f"{conv}/w",), lambda w: hwio_to_oihw(w, input_scale)),
        Parameter(f"{ours}.1.weight", (f"{norm}/gamma",), np.asarray),
        Parameter(f"{ours}.1.bias", (f"{norm}/beta",), np.asarray),
        Parameter(f"{ours}.1.running_mean", (f"{norm}/moving_mean", f"{conv}/b"), np.subtract),
        Parameter(f"{ours}.1.running_var", (f"{norm}/moving_variance",), np.asarray),
    ]


def trunk_parameters(ours: str, scope: str, num_convs: int) -> Iterator[Parameter]:
    """The released ``scope/conv_1 ... conv_{num_convs}`` as our trunk ``ours.{block}.{layer}``, two
    convs per block."""
    for n in range(1, num_convs + 1):
        scale = RGB_SCALE if n == 1 else 1.0
        yield from conv_bn_parameters(f"{ours}.{(n - 1) // 2}.{(n - 1) % 2}", f"{scope}/conv_{n}",
                                      input_scale=scale)


def released_parameters(num_blocks: int) -> list[Parameter]:
    """Every parameter of our ``released_graph`` model and its released source, for networks of
    ``num_blocks`` resolutions (4 for 128 px images and 16 x 16 maps)."""
    trunk_convs = 2 * num_blocks
    renderer_convs = 2 * num_blocks - 1  # two per resolution, one at the output's
    rgb = f"{RENDERER}/conv_{renderer_convs + 1}/conv_{renderer_convs + 1}"
    parameters = [*trunk_parameters("detector.trunk", DETECTOR, trunk_convs),
                  Parameter("detector.head.weight", (f"{HEAD}/conv_1/w",), hwio_to_oihw),
                  Parameter("detector.head.bias", (f"{HEAD}/conv_1/b",), np.asarray),
                  *trunk_parameters("encoder", ENCODER, trunk_convs)]
    for n in range(1, renderer_convs + 1):
        block, layer = (n - 1) // 2, (n - 1) % 2
        parameters += conv_bn_parameters(f"generator.blocks.{block}.convs.{layer}", f"{RENDERER}/conv_{n}")
    parameters += [
        Parameter("generator.to_rgb.weight", (f"{rgb}/w",),
                  lambda w: hwio_to_oihw(w[..., :3], 1 / RGB_SCALE)),
        Parameter("generator.to_rgb.bias", (f"{rgb}/b",), lambda b: b[:3] / np.float32(RGB_SCALE)),
    ]
    return parameters


def num_blocks(image_size: int, heatmap_size: int) -> int:
    """Resolutions of the trunks and the generator: 4 for 128 px images and 16 x 16 maps."""
    return int(math.log2(image_size // heatmap_size)) + 1


def released_shape(key: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The TF shape of the released variable that our parameter ``key`` of ``shape`` comes from
    (for messages): kernels OIHW -> HWIO, the output conv with its 3 + 6 channels."""
    if len(shape) == 4:
        out, inp, kh, kw = shape
        return (kh, kw, inp, out + 6 if key.startswith("generator.to_rgb") else out)
    return (shape[0] + 6,) if key.startswith("generator.to_rgb") else shape


def is_left_out(name: str) -> bool:
    """Whether a variable (top scope removed) is not one of the networks' weights: optimiser slots, and
    everything outside the three networks' scopes."""
    return name.endswith(OPTIMISER_SLOTS) or not name.startswith(NETWORK_SCOPES)
