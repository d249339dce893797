"""The whole conditional generator: x' ~ Psi(x, Phi(x')) (paper sec. 3), and its build function."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from landmarks.config import ModelConfig
from landmarks.geometry.keypoints import gaussian_maps
from landmarks.models.dense_bottleneck import DenseDecoder, DenseDetector
from landmarks.models.encoder import ConvTrunk, Detection, Detector
from landmarks.models.generator import Generator
from landmarks.models.pretrained_trunk import PretrainedTrunk
from landmarks.nn.blocks import init_normal_


@dataclass
class ModelOutput:
    """Named outputs of one forward pass on a (source, target) pair.

    reconstruction: ``(B, 3, S, S)`` the generated target, images' range (not clamped).
    keypoints: ``(B, K, 2)`` landmarks of the target, ``(x, y)`` in ``[-1, 1]``.
    scores: ``(B, K, h, h)`` the detector's raw score maps for the target.
    maps: ``(B, K, h, h)`` the Gaussian maps rendered at the keypoints (eq. 2), in ``[0, 1]``; with the
        dense bottleneck (``model.bottleneck: dense``) the decoded code's maps, unbounded.
    """

    reconstruction: torch.Tensor
    keypoints: torch.Tensor
    scores: torch.Tensor
    maps: torch.Tensor


class LandmarkModel(nn.Module):
    """Detector Phi, appearance encoder and generator Psi joined through the keypoint bottleneck, or,
    with ``decoder`` (Table 2's ablation, :mod:`landmarks.models.dense_bottleneck`), through a dense code
    that ``decoder`` turns into the generator's maps in place of the Gaussian maps."""

    def __init__(self, *, detector: Detector | DenseDetector, encoder: ConvTrunk, generator: Generator,
                 heatmap_size: int, gaussian_sigma: float, gaussian_form: str,
                 decoder: DenseDecoder | None = None):
        super().__init__()
        self.detector = detector
        self.decoder = decoder
        self.encoder = encoder
        self.generator = generator
        self.heatmap_size = heatmap_size
        self.gaussian_sigma = gaussian_sigma
        self.gaussian_form = gaussian_form

    def detect(self, images: torch.Tensor) -> Detection:
        """Landmarks of ``(B, 3, S, S)`` RGB images in ``[0, 1]`` (the detector alone)."""
        return self.detector(images)

    def render(self, source: torch.Tensor, keypoints: torch.Tensor) -> torch.Tensor:
        """Psi: draw ``source``'s appearance ``(B, 3, S, S)`` at ``keypoints`` ``(B, K, 2)`` -> image."""
        return self._render(self.encoder(source), keypoints)[0]

    def _render(self, appearance: torch.Tensor, keypoints: torch.Tensor):
        size = self.heatmap_size
        if self.decoder is not None:
            maps = self.decoder(keypoints)  # (B, d/2, h, h)
        else:
            maps = gaussian_maps(keypoints, size, size, self.gaussian_sigma, form=self.gaussian_form)
        maps = maps.to(appearance.dtype)  # (B, K, h, h)
        features = torch.cat([appearance, maps], dim=1)  # (B, C_app + K, h, h)
        return self.generator(features), maps

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> ModelOutput:
        """Reconstruct ``target`` from ``source``'s appearance and ``target``'s landmarks.

        source, target: ``(B, 3, S, S)`` RGB in ``[0, 1]``.
        """
        detection = self.detector(target)
        reconstruction, maps = self._render(self.encoder(source), detection.keypoints)
        return ModelOutput(reconstruction, detection.keypoints, detection.scores, maps)


def build_model(config: ModelConfig, *, pretrained: bool = True) -> LandmarkModel:
    """The paper's networks at the sizes in ``config``, initialised from N(0, init_std).

    With ``model.detector: mobilenet_v2`` the detector's frozen trunk then gets its ImageNet weights,
    unless ``pretrained`` is false (a checkpoint's weights are about to replace them).

    Raises:
        WeightsError: ``pretrained`` and the detector's ImageNet weights cannot be found or read.
    """
    norm = dict(norm_momentum=config.batchnorm_momentum, norm_eps=config.batchnorm_eps)
    sizes = dict(image_size=config.image_size, heatmap_size=config.heatmap_size)
    trunk = None
    if config.detector == "mobilenet_v2":
        trunk = PretrainedTrunk(heatmap_size=config.heatmap_size, width=2 * config.base_width, **norm)
    decoder = None
    if config.bottleneck == "dense":  # Table 2's ablation: a d-dimensional code, d/2 maps
        detector = DenseDetector(**sizes, base_width=config.base_width, dim=config.bottleneck_dim, **norm)
        decoder = DenseDecoder(dim=config.bottleneck_dim, heatmap_size=config.heatmap_size)
    else:
        detector = Detector(**sizes, base_width=config.base_width, num_landmarks=config.num_landmarks,
                            soft_argmax_kind=config.soft_argmax, trunk=trunk,
                            tf_layout=config.released_graph, **norm)
    encoder = ConvTrunk(**sizes, base_width=config.base_width, tf_layout=config.released_graph, **norm)
    maps = config.bottleneck_dim // 2 if decoder is not None else config.num_landmarks
    generator = Generator(in_channels=encoder.out_channels + maps, **sizes,
                          first_width=config.generator_width, min_width=config.generator_min_width,
                          released_graph=config.released_graph, **norm)
    model = LandmarkModel(detector=detector, encoder=encoder, generator=generator,
                          heatmap_size=config.heatmap_size, gaussian_sigma=config.gaussian_sigma,
                          gaussian_form=config.gaussian_form, decoder=decoder)
    init_normal_(model, config.init_std)
    if trunk is not None and pretrained:
        trunk.load_imagenet(config.detector_weights)  # after init_normal_, which would overwrite it
    return model
