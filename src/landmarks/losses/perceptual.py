"""The perceptual loss with online per-layer normalisation (paper sec. 3.2, released code).

For each compared layer ``l`` the (masked, averaged) squared error ``e_l`` between the features of the
prediction and of the target is divided by a running mean ``m_l`` of that error, so that every layer
contributes about equally: ``loss = scale * sum_l e_l / m_l`` with ``m_l <- m_l + momentum (e_l - m_l)``
updated in training only, the updated mean being used at once (REFERENCE sec. 3).

NOTE(paper): the paper weighs the layers by online-updated scalars "as in [4]" without the rule; the
rule and its constants below are the released code's.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F

from landmarks.losses.masked import masked_mean_absolute_error, masked_mean_squared_error
from landmarks.losses.output import LossOutput

__all__ = [
    "DEFAULT_LAYERS",
    "INITIAL_LAYER_MEANS",
    "LOSS_SCALE",
    "MEAN_MOMENTUM",
    "PerceptualLoss",
    "masked_mean_squared_error",
    "normalised_loss",
    "reference_weighted_error",
    "update_running_means",
]

# The compared layers: the image itself, then the loss network's conv<k>_2 activations (paper sec. 3.2).
DEFAULT_LAYERS = ("input", "conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")
# Starting values of the running means m_l of each layer's error, one per DEFAULT_LAYERS entry: about
# the errors of a trained model, so the first weights 1/m_l are sane. "input" is on the 0-255 scale.
INITIAL_LAYER_MEANS = (100.0, 1.6, 2.3, 1.8, 2.8, 100.0)  # released code
MEAN_MOMENTUM = 0.01  # released code: m_l <- m_l + 0.01 (e_l - m_l), i.e. TF decay 0.99
# Overall factor: each normalised term e_l / m_l is about 1, so the loss is about 1000 * L; it sets
# the gradient size the optimiser and the per-tensor gradient clipping (at 1.0) see.
LOSS_SCALE = 1000.0  # released code
INPUT_LAYER = "input"
INPUT_RANGE = 255.0  # NOTE(released): the "input" layer is compared on the released code's 0-255 scale


_DISTANCES = {"l2": masked_mean_squared_error, "l1": masked_mean_absolute_error}


def update_running_means(means: torch.Tensor, errors: torch.Tensor, momentum: float) -> torch.Tensor:
    """Exponential running mean: ``means + momentum * (errors - means)``; ``(L,)`` in, ``(L,)`` out.

    A non-finite error leaves its mean as it was: one NaN or Inf step (which the training's guard,
    :mod:`landmarks.training.nonfinite`, skips) must not poison the normaliser for the rest of the run.
    """
    return torch.where(errors.isfinite(), means + momentum * (errors - means), means)


def normalised_loss(errors: torch.Tensor, means: torch.Tensor, scale: float) -> torch.Tensor:
    """``scale * sum_l errors_l / means_l``: ``(L,)`` errors and positive means -> a scalar."""
    return scale * (errors / means).sum()


def reference_weighted_error(errors: torch.Tensor, initial_means: torch.Tensor) -> torch.Tensor:
    """``sum_l errors_l / initial_means_l``: ``(L,)`` errors over fixed positive weights -> a scalar.

    The raw per-layer errors on a common footing that does not move during training, unlike
    :func:`normalised_loss`, whose running means follow the errors down (its value stays near
    ``scale * L`` however well the model draws). It falls as the reconstructions improve: what the
    plateau schedule watches on the fixed validation pairs (``val/error``).
    """
    return (errors / initial_means).sum()


def _mean_across_processes(values: torch.Tensor) -> torch.Tensor:
    """Average a detached tensor over all processes of the default group (identity when not distributed)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / dist.get_world_size()


class PerceptualLoss(nn.Module):
    """Normalised sum of feature reconstruction errors over the layers of a frozen network.

    Args:
        loss_network: frozen module mapping ``(B, 3, H, W)`` RGB in [0, 1] to ``{name: (B, C, h, w)}``
            for every name of ``layers`` but ``"input"`` (e.g. ``models.loss_networks.VggFeatures``);
            None when ``layers`` is ``("input",)`` (the pixel losses, :class:`~landmarks.losses.PixelLoss`).
        layers: compared layers; ``"input"`` is the image itself.
        initial_means: one positive starting mean per layer (``INITIAL_LAYER_MEANS`` goes with
            ``DEFAULT_LAYERS``).
        momentum: of the running means, in (0, 1] (``MEAN_MOMENTUM``).
        scale: overall factor (``LOSS_SCALE``).
        distance: ``"l2"`` (mean squared error, the paper's) or ``"l1"`` (mean absolute error) per layer.
        network_input_size: if set, images are resized (bilinear) to this side before the loss network,
            so that a network trained on large images (224 px) sees small ones (32 px) at a scale where
            its early layers resolve them; the ``"input"`` layer still compares the images as they are.

    NOTE(released): the released code feeds 0-255 images, so the ``"input"`` layer is compared at
    ``images * 255``, which keeps its initial mean (100) meaningful. The other layers see [0, 1] images
    as the loss network expects.

    The running means are the buffer ``running_means`` ``(L,)``: saved in checkpoints, updated in
    training mode only. Under DDP the errors that update them are first averaged over processes (an
    all-reduce of L numbers each training step; every process must call ``forward`` in step, as DDP
    already requires), so all copies stay identical without relying on buffer broadcasting.
    """

    def __init__(
        self,
        loss_network: nn.Module | None,
        *,
        layers: tuple[str, ...],
        initial_means: tuple[float, ...],
        momentum: float,
        scale: float,
        distance: Literal["l2", "l1"] = "l2",
        network_input_size: int | None = None,
    ):
        super().__init__()
        if len(layers) == 0 or len(set(layers)) != len(layers):
            raise ValueError(f"layers must be non-empty and distinct, got {layers}")
        if len(initial_means) != len(layers) or min(initial_means) <= 0:
            raise ValueError(f"need one positive initial mean per layer {layers}, got {initial_means}")
        if not 0 < momentum <= 1:
            raise ValueError(f"momentum must be in (0, 1], got {momentum}")
        if distance not in _DISTANCES:
            raise ValueError(f"unknown distance {distance!r}; expected one of {sorted(_DISTANCES)}")
        if loss_network is None and tuple(layers) != (INPUT_LAYER,):
            raise ValueError(f"layers {layers} need a loss network; without one only ('input',) is possible")
        self.loss_network = loss_network
        self.distance = distance
        if network_input_size is not None and network_input_size < 1:
            raise ValueError(f"network_input_size must be positive, got {network_input_size}")
        self.network_input_size = network_input_size
        self.layers = tuple(layers)
        self.momentum = momentum
        self.scale = scale
        self.register_buffer("running_means", torch.tensor(initial_means, dtype=torch.float32))
        self.initial_means = tuple(float(m) for m in initial_means)  # fixed: not a buffer, not saved

    def features(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """``(B, 3, H, W)`` RGB in [0, 1] -> ``{layer: (B, C, h, w)}`` for every compared layer."""
        network_layers = [name for name in self.layers if name != INPUT_LAYER]
        outputs = dict(self.loss_network(self._network_input(images))) if network_layers else {}
        if INPUT_LAYER in self.layers:
            outputs[INPUT_LAYER] = images * INPUT_RANGE
        return outputs

    def _network_input(self, images: torch.Tensor) -> torch.Tensor:
        size = self.network_input_size
        if size is None or images.shape[-2:] == (size, size):
            return images
        return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)

    def forward(
        self, prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> LossOutput:
        """Perceptual loss of ``prediction`` against ``target``.

        Args:
            prediction: ``(B, 3, H, W)`` generated image, RGB nominally in [0, 1]; receives the gradients.
            target: ``(B, 3, H, W)`` RGB in [0, 1]; its features are computed without gradients.
            mask: optional ``(B, 1, H, W)`` weights in [0, 1] (boundary discount), resized per layer.

        Returns:
            :class:`LossOutput` with the scalar loss and the raw error ``e_l`` of each layer.
        """
        if prediction.shape != target.shape or prediction.dim() != 4:
            raise ValueError(
                f"expected prediction and target of one shape (B, 3, H, W), got {tuple(prediction.shape)} "
                f"and {tuple(target.shape)}"
            )
        predicted = self.features(prediction)
        with torch.no_grad():
            wanted = self.features(target)
        error = _DISTANCES[self.distance]
        errors = torch.stack([error(predicted[n], wanted[n], mask) for n in self.layers])  # (L,)
        if self.training:
            new_means = update_running_means(
                self.running_means, _mean_across_processes(errors.detach()), self.momentum
            )
            self.running_means.copy_(new_means)
        # A copy: the buffer is updated in place next step, which must not touch this step's graph.
        means = self.running_means.clone()
        total = normalised_loss(errors, means, self.scale)
        reference = reference_weighted_error(errors.detach(), errors.new_tensor(self.initial_means))
        return LossOutput(total=total, per_layer=dict(zip(self.layers, errors.unbind(0), strict=True)),
                          reference_error=reference)
