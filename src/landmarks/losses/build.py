"""Build the reconstruction loss of an experiment from its config (the only place a config is read)."""

from __future__ import annotations

from torch import nn

from landmarks.config import LossConfig
from landmarks.errors import ConfigError
from landmarks.losses.perceptual import INPUT_LAYER, PerceptualLoss
from landmarks.losses.pixel import PixelLoss
from landmarks.models.loss_networks import build_loss_network, conv_layer_indices


def _check_perceptual(config: LossConfig) -> None:
    known = (INPUT_LAYER, *conv_layer_indices(config.network))
    unknown = [name for name in config.layers if name not in known]
    if unknown:
        raise ConfigError(f"loss.layers: {unknown} not layers of {config.network}; choose from {list(known)}")
    if len(set(config.layers)) != len(config.layers) or not config.layers:
        raise ConfigError(f"loss.layers must be non-empty and distinct, got {list(config.layers)}")
    if len(config.initial_means) != len(config.layers) or min(config.initial_means) <= 0:
        raise ConfigError(
            f"loss.initial_means needs one positive value per entry of loss.layers {list(config.layers)}, "
            f"got {list(config.initial_means)}"
        )
    if not 0 < config.mean_momentum <= 1:
        raise ConfigError(f"loss.mean_momentum must be in (0, 1], got {config.mean_momentum}")
    if config.weights is not None and config.random_weights:
        raise ConfigError("set either loss.weights or loss.random_weights=true, not both")


def build_loss(config: LossConfig) -> nn.Module:
    """The reconstruction loss: :class:`PerceptualLoss` (with its loss network) or :class:`PixelLoss`.

    Every returned module has ``forward(prediction, target, mask=None) -> LossOutput`` with
    ``(B, 3, H, W)`` RGB images in [0, 1] and an optional ``(B, 1, H, W)`` mask.

    Raises:
        ConfigError: inconsistent loss settings.
        WeightsError: the loss network's weights are missing or do not fit.
    """
    if config.kind in ("l1", "l2"):
        return PixelLoss(config.kind, momentum=config.mean_momentum, scale=config.scale)
    if config.kind != "perceptual":
        raise ConfigError(f"loss.kind: unknown {config.kind!r}; expected perceptual, l1 or l2")
    _check_perceptual(config)
    network = build_loss_network(
        network=config.network,
        weights=config.weights,
        random_weights=config.random_weights,
        layers=tuple(name for name in config.layers if name != INPUT_LAYER),
    )
    return PerceptualLoss(
        network,
        layers=tuple(config.layers),
        initial_means=tuple(config.initial_means),
        momentum=config.mean_momentum,
        scale=config.scale,
    )
