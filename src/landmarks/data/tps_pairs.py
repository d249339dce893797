"""Synthetic training pairs from still images by thin-plate-spline warps (REFERENCE sec. 1).

From one image ``I``: target ``x' = warp_t(I)``, source ``x = warp_s(x')`` (the source is the target
warped again), and a loss mask on the target. Runs batched on whatever device the images are on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from landmarks.config import PairsConfig
from landmarks.geometry.boundary import boundary_mask
from landmarks.geometry.tps import (
    CONTROL_GRID_SIZE,
    TpsParams,
    control_points,
    pixel_kernel,
    sample_tps_params,
    tps_sampling_grid,
    warp_images,
)

WARP_KEYS = frozenset({"rotation_std", "scale_std", "translation_std", "warp_std"})


@dataclass(frozen=True)
class TpsPair:
    """A batch of training pairs.

    Attributes:
        source: ``(B, 3, H, W)`` in ``[0, 1]``, the target warped again; the generator takes its
            appearance from it.
        target: ``(B, 3, H, W)`` in ``[0, 1]``, the image to reconstruct.
        mask: ``(B, 1, H, W)`` in ``[0, 1]``, weight of each target pixel in the loss.
        source_warp: the source warp ``s``: ``source(p) = base(s(p))``, so a feature at ``p`` of the
            source sits at ``s(p)`` of its base (:func:`~landmarks.geometry.tps.tps_transform_points`).
        warp_base: ``(B, 3, H, W)`` the base the source warp resampled, or None when it is ``target``
            (still images); for an existing pair it is ``warp_t(source_images)``.
    """

    source: torch.Tensor
    target: torch.Tensor
    mask: torch.Tensor
    source_warp: TpsParams | None = None
    warp_base: torch.Tensor | None = None


def _check_warp(name: str, warp: Mapping) -> dict:
    if set(warp) != WARP_KEYS:
        raise ValueError(f"{name} must have exactly the keys {sorted(WARP_KEYS)}, got {sorted(warp)}")
    return dict(warp)


class TpsPairMaker:
    """Makes ``(source, target, mask)`` from a batch of images with two random TPS warps.

    Args:
        target_warp, source_warp: keyword arguments of
            :func:`~landmarks.geometry.tps.sample_tps_params`: ``rotation_std``, ``scale_std``,
            ``translation_std``, ``warp_std``.
        grid_size: control points per side of the TPS grid.
        boundary_mask: if true, the mask is the boundary discount of the supplement (sec. 2) built on
            the original image grid and warped with the target warp, so it is 0 on target pixels that
            came from outside the image and falls off smoothly towards the border. If false the mask
            is all ones: NOTE(paper): no discount at all, as in the paper's main text (the black
            padding then counts in the loss like any other pixel).
    """

    def __init__(
        self,
        *,
        target_warp: Mapping,
        source_warp: Mapping,
        grid_size: int = CONTROL_GRID_SIZE,
        boundary_mask: bool = True,
    ):
        self.target_warp = _check_warp("target_warp", target_warp)
        self.source_warp = _check_warp("source_warp", source_warp)
        self.grid_size = grid_size
        self.boundary_mask = boundary_mask
        # The TPS kernel of each image size and device seen: it depends on neither warp nor image.
        self._kernels: dict[tuple[int, int, torch.device], torch.Tensor] = {}

    def _sample_warp(self, warp: dict, images: torch.Tensor,
                     generator: torch.Generator | None) -> tuple[TpsParams, torch.Tensor]:
        """Random warps of ``images`` ``(B, 3, H, W)``: their parameters and ``(B, H, W, 2)`` grid."""
        batch, _, height, width = images.shape
        params = sample_tps_params(
            batch, **warp, grid_size=self.grid_size, generator=generator, device=images.device
        )
        return params, tps_sampling_grid(params, height, width, self._kernel(height, width, images.device))

    def _kernel(self, height: int, width: int, device: torch.device) -> torch.Tensor:
        key = (height, width, device)
        if key not in self._kernels:
            centres = control_points(self.grid_size, device=device)  # those of sample_tps_params
            self._kernels[key] = pixel_kernel(height, width, centres)  # (H * W, N) float32
        return self._kernels[key]

    def __call__(self, images: torch.Tensor, generator: torch.Generator | None = None) -> TpsPair:
        """``(B, 3, H, W)`` float images in ``[0, 1]`` -> :class:`TpsPair` on the same device and dtype.

        The target warps are drawn before the source warps, both from ``generator``.
        """
        return self.warp_pair(images, images, generator)

    def warp_pair(
        self,
        source_images: torch.Tensor,
        target_images: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> TpsPair:
        """Warp an existing pair (two video frames, two views) as a still image is warped.

        The target becomes ``warp_t(target_images)`` and the source ``warp_s(warp_t(source_images))``,
        with the mask of :meth:`__call__`; with ``source_images`` equal to ``target_images`` this is
        exactly ``self(target_images, generator)``.

        Args:
            source_images, target_images: ``(B, 3, H, W)`` float in ``[0, 1]``, the same shape.
        """
        images = target_images
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be (B, 3, H, W), got shape {tuple(images.shape)}")
        if not images.is_floating_point():
            raise ValueError(f"images must be float in [0, 1], got dtype {images.dtype}")
        if source_images.shape != images.shape:
            shapes = f"source {tuple(source_images.shape)} and target {tuple(images.shape)}"
            raise ValueError(f"{shapes} differ in shape")
        batch, _, height, width = images.shape
        _, target_grid = self._sample_warp(self.target_warp, images, generator)  # (B, H, W, 2)
        source_params, source_grid = self._sample_warp(self.source_warp, images, generator)  # (B, H, W, 2)
        target = warp_images(images, target_grid)
        # NOTE(released): the source resamples the target warp's output (two bilinear passes), it
        # does not compose the two grids into one.
        warped_source = target if source_images is target_images else warp_images(source_images, target_grid)
        source = warp_images(warped_source, source_grid)
        if self.boundary_mask:
            border = boundary_mask(height, width, device=images.device).to(images.dtype)  # (H, W)
            border = border.expand(batch, 1, height, width)  # (B, 1, H, W)
            mask = warp_images(border, target_grid)  # (B, 1, H, W)
        else:
            mask = images.new_ones(batch, 1, height, width)
        return TpsPair(source=source, target=target, mask=mask, source_warp=source_params,
                       warp_base=None if warped_source is target else warped_source)


def build_pair_maker(config: PairsConfig) -> TpsPairMaker:
    """The pair maker a :class:`~landmarks.config.PairsConfig` describes."""
    return TpsPairMaker(
        target_warp=dataclasses.asdict(config.target_warp),
        source_warp=dataclasses.asdict(config.source_warp),
        grid_size=config.control_grid,
        boundary_mask=config.boundary_mask,
    )
