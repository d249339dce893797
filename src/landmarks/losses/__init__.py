"""Reconstruction losses: the perceptual loss with its online normaliser, and pixel losses."""

from landmarks.losses.build import build_loss
from landmarks.losses.masked import masked_mean, masked_mean_absolute_error, masked_mean_squared_error
from landmarks.losses.output import LossOutput
from landmarks.losses.perceptual import (
    DEFAULT_LAYERS,
    INITIAL_LAYER_MEANS,
    LOSS_SCALE,
    MEAN_MOMENTUM,
    PerceptualLoss,
    normalised_loss,
    update_running_means,
)
from landmarks.losses.pixel import PixelLoss

__all__ = [
    "DEFAULT_LAYERS",
    "INITIAL_LAYER_MEANS",
    "LOSS_SCALE",
    "MEAN_MOMENTUM",
    "LossOutput",
    "PerceptualLoss",
    "PixelLoss",
    "build_loss",
    "masked_mean",
    "masked_mean_absolute_error",
    "masked_mean_squared_error",
    "normalised_loss",
    "update_running_means",
]
