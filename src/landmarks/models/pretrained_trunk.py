"""A detector trunk that starts from ImageNet features: MobileNetV2's first blocks, frozen, plus two
trainable conv layers (``model.detector: mobilenet_v2``).

NOTE(paper): the paper's detector is trained from scratch (:class:`~landmarks.models.encoder.ConvTrunk`,
``model.detector: paper``). Trained from scratch on a few people, or a few minutes of CPU time, its
features key on what those people and backgrounds happen to share (a colour, a hair line) and the
landmarks do not carry over to the next person (benchmarks/results/realdev-cpu.md). Later work on
unsupervised landmarks detects from pretrained features (Cheng et al. 2021, ImageNet and contrastive
backbones; Hung et al. 2019, SCOPS, VGG features); here the early layers of the network the perceptual
loss already uses, which are cheap on a CPU. Only the detector changes: the appearance encoder and
the generator stay the paper's, and the keypoint bottleneck is the same.

Shapes: images ``(B, 3, S, S)`` RGB in ``[0, 1]`` are resized to ``STRIDE * h`` pixels, so that
MobileNetV2's stride-8 block (``block6``, 32 channels) gives ``(B, 32, h, h)`` maps, with ``h`` the
model's ``heatmap_size``; the adapter convs make ``(B, out_channels, h, h)``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from landmarks.errors import WeightsError
from landmarks.models.installed_weights import MOBILENET_V2_INSTALL, checked_installed_mobilenet_v2
from landmarks.models.mobilenet_v2 import MobileNetV2Features, pretrained_mobilenet_v2
from landmarks.nn.blocks import conv_norm_act

TAP = "block6"  # the last block at stride 8: 32 channels
TAP_CHANNELS = 32
STRIDE = 8


def _truncated(backbone: MobileNetV2Features) -> MobileNetV2Features:
    """The blocks up to the tap only (0.07M of MobileNetV2's 2.2M weights): the rest is never run."""
    backbone.features = backbone.features[: int(TAP.removeprefix("block")) + 1]
    return backbone


class PretrainedTrunk(nn.Module):
    """Frozen MobileNetV2 blocks 0-6 at ``8 h`` pixels, then two trainable 3x3 conv-norm-ReLU layers.

    Args:
        heatmap_size: ``h``, the side of the output maps.
        width: channels of the trainable layers (``out_channels``).

    The frozen part's batch norms are folded into its convs (as in the loss network), so its state
    dict keys are the same whether or not ImageNet weights were loaded (:meth:`load_imagenet`).
    """

    def __init__(self, *, heatmap_size: int, width: int, norm_momentum: float = 0.01, norm_eps: float = 1e-3):
        super().__init__()
        self.backbone = _truncated(MobileNetV2Features((TAP,)).fold_batchnorms())
        self.input_size = STRIDE * heatmap_size
        norm = dict(norm_momentum=norm_momentum, norm_eps=norm_eps)
        self.adapter = nn.Sequential(conv_norm_act(TAP_CHANNELS, width, **norm),
                                     conv_norm_act(width, width, **norm))
        self.out_channels = width

    def load_imagenet(self, path: str | Path | None = None) -> PretrainedTrunk:
        """Load torchvision's ImageNet file (``path``, or the pip-installed one) into the frozen part.

        Raises:
            WeightsError: no file given or installed, or a file that is not torchvision's MobileNetV2.
        """
        if path is None:
            path = checked_installed_mobilenet_v2()
        if path is None:
            raise WeightsError(f"model.detector 'mobilenet_v2' starts from ImageNet MobileNetV2 weights, "
                               f"which are not installed ({MOBILENET_V2_INSTALL}); or set "
                               f"model.detector_weights to mobilenet_v2-b0353104.pth")
        self.backbone = _truncated(pretrained_mobilenet_v2((TAP,), path))
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S)`` RGB in ``[0, 1]`` -> ``(B, out_channels, h, h)``."""
        size = self.input_size
        if images.shape[-2:] != (size, size):
            images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
        with torch.no_grad():
            features = self.backbone(images)[TAP]  # (B, 32, h, h)
        return self.adapter(features)
