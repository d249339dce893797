"""Build the reconstruction loss of an experiment from its config (the only place a config is read)."""

from __future__ import annotations

from torch import nn

from landmarks.config import LossConfig
from landmarks.errors import ConfigError
from landmarks.losses.adversarial import WithAdversary
from landmarks.losses.perceptual import INITIAL_LAYER_MEANS, INPUT_LAYER, PerceptualLoss
from landmarks.losses.pixel import PixelLoss
from landmarks.models.loss_networks import available_layers, build_loss_network, standard_layers

# Starting values of the running means of the standard layers' errors (after the "input" layer's 100).
# VGG: the released code's (measured on its colourisation VGG-16; the paper gives none for VGG-19).
# MobileNetV2 (no published values; measured on torchvision's ImageNet weights): the errors between
# 128 px synthetic faces and copies blurred (Gaussian, sigma 1.25 px) until the input layer's error is
# 100, the released input mean: about a trained model's reconstruction, as the released means are.
STANDARD_INITIAL_MEANS = {
    "vgg19": INITIAL_LAYER_MEANS[1:],
    "vgg16": INITIAL_LAYER_MEANS[1:],
    "colorization-vgg16-h5": INITIAL_LAYER_MEANS[1:],
    "mobilenet_v2": (0.09, 0.16, 0.19, 0.1, 0.035),
}


def resolve_layers(config: LossConfig) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The compared layers and their initial means: the config's, or the network's standard ones.

    ``loss.layers: null`` means ``("input", *standard_layers(network))``; ``loss.initial_means: null``
    means ``INITIAL_LAYER_MEANS[0]`` for the input and :data:`STANDARD_INITIAL_MEANS` for the rest.
    """
    if config.network not in STANDARD_INITIAL_MEANS:
        choices = list(STANDARD_INITIAL_MEANS)
        raise ConfigError(f"loss.network: unknown {config.network!r}; expected one of {choices}")
    layers = config.layers
    if layers is None:
        layers = (INPUT_LAYER, *standard_layers(config.network))
    means = config.initial_means
    if means is None and config.layers is None:
        means = (INITIAL_LAYER_MEANS[0], *STANDARD_INITIAL_MEANS[config.network])
    if means is None:
        raise ConfigError(f"loss.initial_means must be given with loss.layers {list(layers)}")
    return tuple(layers), tuple(means)


def _check_perceptual(config: LossConfig, layers: tuple[str, ...], means: tuple[float, ...]) -> None:
    known = (INPUT_LAYER, *available_layers(config.network))
    unknown = [name for name in layers if name not in known]
    if unknown:
        raise ConfigError(f"loss.layers: {unknown} not layers of {config.network}; choose from {list(known)}")
    if len(set(layers)) != len(layers) or not layers:
        raise ConfigError(f"loss.layers must be non-empty and distinct, got {list(layers)}")
    if len(means) != len(layers) or min(means) <= 0:
        raise ConfigError(
            f"loss.initial_means needs one positive value per entry of loss.layers {list(layers)}, "
            f"got {list(means)}"
        )
    if not 0 < config.mean_momentum <= 1:
        raise ConfigError(f"loss.mean_momentum must be in (0, 1], got {config.mean_momentum}")
    if config.weights is not None and config.random_weights:
        raise ConfigError("set either loss.weights or loss.random_weights=true, not both")


def build_loss(config: LossConfig) -> nn.Module:
    """The reconstruction loss, with the adversarial term of Table 2 when ``loss.adversarial_weight`` > 0
    (:class:`~landmarks.losses.adversarial.WithAdversary`, whose discriminator trains).

    Every returned module has ``forward(prediction, target, mask=None) -> LossOutput`` with
    ``(B, 3, H, W)`` RGB images in [0, 1] and an optional ``(B, 1, H, W)`` mask.

    Raises:
        ConfigError: inconsistent loss settings.
        WeightsError: the loss network's weights are missing or do not fit.
    """
    if config.adversarial_weight < 0:
        raise ConfigError(f"loss.adversarial_weight must not be negative, got {config.adversarial_weight}")
    loss = _reconstruction_loss(config)
    return WithAdversary(loss, weight=config.adversarial_weight) if config.adversarial_weight > 0 else loss


def _reconstruction_loss(config: LossConfig) -> nn.Module:
    """:class:`PerceptualLoss` (with its loss network) or :class:`PixelLoss`."""
    if config.kind in ("l1", "l2"):
        return PixelLoss(config.kind, momentum=config.mean_momentum, scale=config.scale,
                         scaling=config.pixel_scaling)
    if config.kind != "perceptual":
        raise ConfigError(f"loss.kind: unknown {config.kind!r}; expected perceptual, l1 or l2")
    layers, means = resolve_layers(config)
    _check_perceptual(config, layers, means)
    network = build_loss_network(
        network=config.network,
        weights=config.weights,
        random_weights=config.random_weights,
        layers=tuple(name for name in layers if name != INPUT_LAYER),
    )
    return PerceptualLoss(
        network,
        layers=layers,
        initial_means=means,
        momentum=config.mean_momentum,
        scale=config.scale,
        network_input_size=config.network_input_size,
    )
