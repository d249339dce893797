"""Save a trained colourisation trunk as an ordinary torchvision VGG (``features.N.weight/bias``).

Two exact rewrites make the saved network a drop-in :class:`~landmarks.models.loss_networks.VggFeatures`
that computes, on any RGB image, the features the trained trunk computed on that image's gray:

1. Batch norm folded into each conv (eval mode, running statistics):
   ``W' = W * g / sqrt(v + eps)``, ``b' = (b - m) * g / sqrt(v + eps) + beta``.
2. The RGB -> standardised gray step folded into ``conv1_1``. ``VggFeatures`` feeds
   ``x_c = (rgb_c - mean_c) / std_c`` (ImageNet statistics); the trunk was trained on
   ``(sum_c w_c rgb_c - GRAY_MEAN) / GRAY_STD = sum_c (w_c std_c / GRAY_STD) x_c`` since
   ``GRAY_MEAN = sum_c w_c mean_c``. So the 3-channel weight is the 1-channel one times
   ``w_c std_c / GRAY_STD`` per input channel, with the same bias, and zero padding of ``x`` is zero
   padding of the gray: equal at the border too.

Convs after the last hypercolumn block are never trained; a file needs all of them, so the trunk
must reach the last conv of block 5 (``hypercolumn_blocks`` containing 5).
"""

from __future__ import annotations

from pathlib import Path

import torch

from landmarks.colourisation.colour import GRAY_STD, GRAY_WEIGHTS
from landmarks.colourisation.network import ColourisationNet, vgg_block_channels
from landmarks.errors import WeightsError
from landmarks.models.loss_networks import IMAGENET_STD, conv_layer_indices
from landmarks.nn.folding import fold_batchnorm


def gray_to_rgb_weight(weight: torch.Tensor) -> torch.Tensor:
    """``(O, 1, k, k)`` weight on the standardised gray -> ``(O, 3, k, k)`` on ImageNet-normalised RGB."""
    factors = weight.new_tensor([w * s / GRAY_STD for w, s in zip(GRAY_WEIGHTS, IMAGENET_STD, strict=True)])
    return weight * factors.view(1, 3, 1, 1)


def torchvision_state_dict(net: ColourisationNet) -> dict[str, torch.Tensor]:
    """The trunk as torchvision ``features.N.weight`` / ``features.N.bias`` float32 CPU tensors."""
    layout = net.layout
    if net.block_channels != vgg_block_channels(layout):
        raise ValueError(f"a trunk of widths {net.block_channels} is not a torchvision {layout}")
    indices = conv_layer_indices(layout)
    missing = [name for name in indices if name not in net.trunk]
    if missing:
        raise ValueError(f"the trunk stops before {missing[0]}: hypercolumn_blocks must include 5 to save it")
    state = {}
    for name, index in indices.items():
        conv, norm = net.trunk[name][0], net.trunk[name][1]
        weight, bias = fold_batchnorm(
            conv.weight.detach(),
            conv.bias.detach(),
            norm.running_mean,
            norm.running_var,
            norm.weight.detach(),
            norm.bias.detach(),
            norm.eps,
        )
        if weight.shape[1] == 1:
            weight = gray_to_rgb_weight(weight)
        state[f"features.{index}.weight"] = weight.float().cpu().contiguous()
        state[f"features.{index}.bias"] = bias.float().cpu().contiguous()
    return state


def save_loss_network(
    net: ColourisationNet, path: str | Path, metadata: dict[str, str] | None = None
) -> Path:
    """Write the folded trunk to ``path`` (``.safetensors``; anything else is ``torch.save``'d).

    The result loads with ``load_torchvision_vgg(path, net.layout)`` and serves as
    ``loss.weights`` with ``loss.network`` = ``net.layout``.
    """
    path = Path(path)
    state = torchvision_state_dict(net)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import save_file

            info = {"format": "torchvision-vgg-features", "layout": net.layout, **(metadata or {})}
            save_file(state, str(path), metadata=info)
        else:
            torch.save(state, path)
    except OSError as error:
        raise WeightsError(f"{path}: cannot write the loss network: {error}") from error
    return path
