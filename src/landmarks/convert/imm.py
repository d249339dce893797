"""``landmarks convert-imm``: the authors' released TensorFlow checkpoints as this library's export.

A converted model is the shipped config ``released-128`` (the released training settings and its VGG-16
loss-network layout) with ``model.released_graph: true`` (TF's padding, upsampling and last generator
block: :mod:`landmarks.nn.tf_compat`), K and the widths read from the checkpoint. Its export folder
(``model.safetensors`` + ``config.yaml``) works with ``landmarks evaluate``, ``detect``, ``export``,
``landmarks.load`` and ``fit --init-from``. The variable mapping is :mod:`landmarks.convert.imm_layout`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from landmarks.config import ExperimentConfig
from landmarks.config_loading import load_config
from landmarks.convert.imm_layout import (
    ANCHOR,
    DETECTOR,
    HEAD,
    NETWORK_SCOPES,
    RENDERER,
    Parameter,
    is_left_out,
    num_blocks,
    released_parameters,
    released_shape,
)
from landmarks.errors import WeightsError
from landmarks.models.checkpoint import TrainedModel
from landmarks.models.export import save_safetensors
from landmarks.models.landmark_model import build_model

logger = logging.getLogger(__name__)
RELEASED_CONFIG = "released-128"


def convert_imm(checkpoint: str | Path, output: str | Path, *, name: str | None = None) -> list[Path]:
    """Read a released TensorFlow checkpoint and write ``output/model.safetensors`` and ``config.yaml``.

    Args:
        checkpoint: the checkpoint's prefix (``.../celeba-10pts/model.ckpt``), one of its files, or
            its folder.
        output: the export folder to write.
        name: the config's ``name`` (default: ``imm-`` and the checkpoint's folder name).

    Raises:
        WeightsError: TensorFlow is missing, the checkpoint is unreadable, or its variables are not the
            released networks' (a variable missing, of another shape, or unknown): one line naming it.
    """
    from landmarks.convert.tf_checkpoint import read_tf_checkpoint

    variables = read_tf_checkpoint(checkpoint)
    name = name or f"imm-{variables.prefix.parent.name or 'released'}"
    trained = convert_variables(variables, source=str(variables.prefix), name=name)
    return list(save_safetensors(trained, output))


def convert_variables(variables: Mapping[str, np.ndarray], *, source: str, name: str = "imm-released"
                      ) -> TrainedModel:
    """The released networks held in ``variables`` (TF name -> array) as our model, in eval mode.

    ``source`` names the checkpoint in messages. Raises :class:`WeightsError` as :func:`convert_imm`.
    """
    scope = top_scope(variables, source)
    config = converted_config(variables, scope, name, source)
    model = build_model(config.model, pretrained=False)
    ours = model.state_dict()
    parameters = released_parameters(num_blocks(config.model.image_size, config.model.heatmap_size))
    state = {p.key: _converted(p, variables, scope, ours[p.key], source) for p in parameters}
    state |= {key: torch.zeros_like(value) for key, value in ours.items()
              if key.endswith("num_batches_tracked")}
    used = {scope + name for p in parameters for name in p.sources}
    _check_nothing_unknown(variables, scope, used, source)
    model.load_state_dict(state, strict=True)  # every key was made above, each of its shape
    step = int(np.asarray(variables["global_step"])) if "global_step" in variables else 0
    left_out = sum(1 for v in variables if v not in used)
    logger.info("converted %d variables of %s (K = %d); left out %d that are not the networks' weights "
                "(optimiser slots, step, the loss network)", len(used), source,
                config.model.num_landmarks, left_out)
    return TrainedModel(model.eval(), config, step)


def top_scope(variables: Mapping[str, np.ndarray], source: str) -> str:
    """The scope above the networks' (``"model/"`` as released), found from the detector's first kernel."""
    scopes = [v[: -len(ANCHOR)] for v in variables if v.endswith(ANCHOR)]
    if len(scopes) != 1:
        raise WeightsError(f"{source}: no variable ending {ANCHOR}: not a checkpoint of the released "
                           "networks (tomasjakab/imm)" if not scopes else
                           f"{source}: several networks ({', '.join(scopes)}): not one released model")
    return scopes[0]


def converted_config(variables: Mapping[str, np.ndarray], scope: str, name: str, source: str
                     ) -> ExperimentConfig:
    """``released-128`` with K and the widths of the checkpoint's networks and ``released_graph: true``."""
    head = _variable(variables, f"{scope}{HEAD}/conv_1/w", source)  # (1, 1, C, K)
    first = _variable(variables, f"{scope}{DETECTOR}/conv_1/conv_1/w", source)  # (7, 7, 3, base_width)
    renderer = _variable(variables, f"{scope}{RENDERER}/conv_1/conv_1/w", source)  # (3, 3, C + K, width)
    if min(head.ndim, first.ndim, renderer.ndim) != 4:
        raise WeightsError(f"{source}: {scope}{HEAD}/conv_1/w: conv kernels are 4-D, got {head.shape}, "
                           f"{first.shape}, {renderer.shape}")
    return load_config(RELEASED_CONFIG, [f"name={name}", f"model.num_landmarks={head.shape[-1]}",
                                         f"model.base_width={first.shape[-1]}",
                                         f"model.generator_width={renderer.shape[-1]}",
                                         "model.released_graph=true"])


def _variable(variables: Mapping[str, np.ndarray], name: str, source: str) -> np.ndarray:
    if name not in variables:
        raise WeightsError(f"{source}: no variable {name}: not a checkpoint of the released networks")
    return np.asarray(variables[name])


def _converted(parameter: Parameter, variables: Mapping[str, np.ndarray], scope: str,
               ours: torch.Tensor, source: str) -> torch.Tensor:
    """``parameter`` made from its released arrays, checked against our ``ours`` tensor's shape."""
    arrays = []
    for name in parameter.sources:
        array = _variable(variables, scope + name, source)
        if not np.issubdtype(array.dtype, np.floating):
            raise WeightsError(f"{source}: {scope}{name}: expected floating point, got {array.dtype}")
        arrays.append(array.astype(np.float32))
    expected = released_shape(parameter.key, tuple(ours.shape))
    try:
        value = np.asarray(parameter.make(*arrays), dtype=np.float32)
    except ValueError:  # arrays of mismatching shapes (a bias and a norm of different sizes)
        value = None
    if value is None or value.shape != tuple(ours.shape):
        got = " and ".join(str(tuple(a.shape)) for a in arrays)
        raise WeightsError(f"{source}: {scope}{parameter.sources[0]}: expected shape {expected} "
                           f"(for {parameter.key} {tuple(ours.shape)}), got {got}")
    if not np.isfinite(value).all():
        raise WeightsError(f"{source}: {scope}{parameter.sources[0]}: has NaN or infinite values")
    return torch.from_numpy(value)


def _check_nothing_unknown(variables: Mapping[str, np.ndarray], scope: str, used: set[str],
                           source: str) -> None:
    """Refuse a variable inside the networks' scopes that the mapping does not know."""
    for name in variables:
        inner = name[len(scope):] if name.startswith(scope) else name
        if name not in used and inner.startswith(NETWORK_SCOPES) and not is_left_out(inner):
            raise WeightsError(f"{source}: {name}: a variable the released networks do not have "
                               "(not the released layout)")
