"""Thin-plate-spline warps with the released parameterisation (REFERENCE sec. 1).

Convention:
    A warp is given backwards, as in ``grid_sample``: for every output pixel ``p`` it says where to
    sample the input image, ``s(p) = sum_i w_i U(|p - c_i|) + t + A p``, with ``p``, ``s(p)`` and the
    control points ``c_i`` all ``(x, y)`` in ``[-1, 1]``, corner-aligned (``align_corners=True``).
    ``U(r) = r^2 log r^2``. Sampling locations outside ``[-1, 1]`` read zeros (black).

NOTE(released): the coefficients ``w_i``, ``A``, ``t`` are sampled directly, with no solve for control
point displacements, exactly as the authors' code does; ``A = scale * R(angle)``.

Randomness lives only in :func:`sample_tps_params`, which takes an explicit ``torch.Generator``;
applying parameters (:func:`tps_sampling_grid`, :func:`warp_images`) is deterministic, so a warp is
replayed from its seed. NOTE(released): the released code keeps a pool of 1000 sampled grids and
refreshes a slot with probability 0.01 per use, a speed trick; here every call samples fresh warps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from landmarks.geometry.coordinates import pixel_grid

CONTROL_GRID_SIZE = 10  # released: 10 x 10 control points over [-1, 1]^2


def control_points(grid_size: int = CONTROL_GRID_SIZE, *, device=None) -> torch.Tensor:
    """``(N, 2)`` control points ``(x, y)``, ``N = grid_size**2``, on a regular grid over ``[-1, 1]^2``.

    Row-major: x varies fastest. float32.
    """
    if grid_size < 2:
        raise ValueError(f"grid_size must be at least 2, got {grid_size}")
    grid = pixel_grid(grid_size, grid_size, device=device, dtype=torch.float32)  # (G, G, 2)
    return grid.reshape(-1, 2)  # (N, 2)


@dataclass(frozen=True)
class TpsParams:
    """The coefficients of a batch of warps ``s(p) = sum_i w_i U(|p - c_i|) + t + A p``.

    Attributes:
        kernel_weights: ``(B, N, 2)`` ``w_i``, one ``(x, y)`` pair per control point.
        affine: ``(B, 2, 2)`` ``A`` acting on column vectors ``(x, y)``.
        translation: ``(B, 2)`` ``t`` in ``[-1, 1]`` units.
        control_points: ``(N, 2)`` ``c_i``, shared by the batch.
    """

    kernel_weights: torch.Tensor
    affine: torch.Tensor
    translation: torch.Tensor
    control_points: torch.Tensor

    @classmethod
    def identity(cls, batch_size: int, grid_size: int = CONTROL_GRID_SIZE, *, device=None) -> TpsParams:
        """Warps that leave every point where it is: ``w = 0``, ``A = I``, ``t = 0``."""
        centres = control_points(grid_size, device=device)  # (N, 2)
        return cls(
            kernel_weights=torch.zeros(batch_size, len(centres), 2, device=device),
            affine=torch.eye(2, device=device).expand(batch_size, 2, 2).clone(),
            translation=torch.zeros(batch_size, 2, device=device),
            control_points=centres,
        )

    @property
    def batch_size(self) -> int:
        return self.kernel_weights.shape[0]

    def to(self, device) -> TpsParams:
        """The same parameters on ``device``."""
        return TpsParams(
            kernel_weights=self.kernel_weights.to(device),
            affine=self.affine.to(device),
            translation=self.translation.to(device),
            control_points=self.control_points.to(device),
        )


def rotation_matrices(angles: torch.Tensor) -> torch.Tensor:
    """``(B,)`` angles in radians -> ``(B, 2, 2)`` ``[[cos, -sin], [sin, cos]]``.

    With y pointing down, a positive angle turns vectors clockwise on screen.
    """
    cos, sin = angles.cos(), angles.sin()
    return torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # (B, 2, 2)


def sample_tps_params(
    batch_size: int,
    *,
    rotation_std: float,
    scale_std: float,
    translation_std: float,
    warp_std: tuple[float, float],
    grid_size: int = CONTROL_GRID_SIZE,
    generator: torch.Generator | None = None,
    device=None,
) -> TpsParams:
    """Draw ``batch_size`` random warps with the released distribution (REFERENCE sec. 1).

    ``w_i = s1 * n1 + s2 * b * n2`` per control point and coordinate, ``n1, n2 ~ N(0, 1)``,
    ``b ~ Bernoulli(0.5)``; angle ``N(0, 1) * rotation_std`` degrees; scale ``1 + N(0, 1) * scale_std``;
    translation ``N(0, 1) * translation_std`` per axis; ``A = scale * R(angle)``.

    Every draw is made even when its standard deviation is 0, so the random stream (and hence a
    replay from a seed) does not depend on the settings. Numbers are drawn on the generator's device
    (the CPU without one) and then moved to ``device``: a CPU generator gives the same warps on any
    device.

    Args:
        batch_size: ``B``.
        rotation_std: degrees. scale_std: unitless. translation_std: ``[-1, 1]`` units.
        warp_std: ``(s1, s2)``, the standard deviations of the kernel weights.
        grid_size: control points per side, ``N = grid_size**2``.
        generator: source of randomness; ``None`` uses torch's global generator.
        device: where the returned tensors live (default: the generator's device).

    Returns:
        :class:`TpsParams` with float32 tensors.
    """
    draw_device = generator.device if generator is not None else torch.device("cpu")
    centres = control_points(grid_size, device=draw_device)  # (N, 2)
    shape = (batch_size, len(centres), 2)

    def normal(*size: int) -> torch.Tensor:
        return torch.randn(size, generator=generator, device=draw_device)

    first, second = normal(*shape), normal(*shape)  # (B, N, 2) each
    gate = torch.bernoulli(torch.full(shape, 0.5, device=draw_device), generator=generator)  # (B, N, 2)
    kernel_weights = warp_std[0] * first + warp_std[1] * gate * second  # (B, N, 2)
    angles = normal(batch_size) * math.radians(rotation_std)  # (B,)
    scales = 1 + normal(batch_size) * scale_std  # (B,)
    translation = normal(batch_size, 2) * translation_std  # (B, 2)
    params = TpsParams(
        kernel_weights=kernel_weights,
        affine=scales[:, None, None] * rotation_matrices(angles),  # (B, 2, 2)
        translation=translation,
        control_points=centres,
    )
    return params if device is None else params.to(device)


def tps_kernel(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """``U(|p - c|) = r^2 log r^2`` between ``(..., M, 2)`` points and ``(N, 2)`` centres -> ``(..., M, N)``.

    NOTE(released): squared distances are clipped at 1e-8 before the log, so ``U(0) = -1.8e-7``.
    """
    squared = (points[..., :, None, :] - centres).square().sum(-1)  # (..., M, N)
    squared = squared.clamp_min(1e-8)
    return squared * squared.log()


def tps_transform_points(params: TpsParams, points: torch.Tensor) -> torch.Tensor:
    """Apply ``s`` to points: ``(M, 2)`` shared or ``(B, M, 2)`` ``(x, y)`` -> ``(B, M, 2)`` ``s(p)``.

    Runs in float32 (or float64 for float64 inputs) with autocast off: the kernel terms overflow and
    give NaN in float16.

    The kernel is computed here rather than with kornia's ``warp_points_tps`` (which takes the same
    weights, doubled, since its kernel is ``0.5 r^2 log r^2``): kornia multiplies through a
    ``(B, M, N, 2)`` intermediate (650 MB for 50 images of 128 px) and was 20x slower on a CPU, while
    shared points need the ``(M, N)`` kernel matrix only once for the whole batch.
    """
    if points.ndim not in (2, 3) or points.shape[-1] != 2:
        raise ValueError(f"points must be (M, 2) or (B, M, 2), got shape {tuple(points.shape)}")
    dtype = _working_dtype(params, points.dtype)
    with torch.autocast(device_type=points.device.type, enabled=False):
        points = points.to(dtype)
        kernel = tps_kernel(points, params.control_points.to(dtype))  # (M, N) or (B, M, N)
        return _apply_tps(params, points, kernel)


def _working_dtype(params: TpsParams, points_dtype: torch.dtype) -> torch.dtype:
    return torch.promote_types(torch.promote_types(points_dtype, params.kernel_weights.dtype), torch.float32)


def _apply_tps(params: TpsParams, points: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``s(p)`` from points ``(M, 2)`` or ``(B, M, 2)`` and their kernel ``(M, N)`` or ``(B, M, N)``."""
    dtype = points.dtype
    weights = params.kernel_weights.to(dtype)  # (B, N, 2)
    if kernel.ndim == 2:
        # One (M, N) @ (N, 2B) product for the whole batch: broadcasting the shared kernel against
        # (B, N, 2) ran a batched product 7x slower on a CPU.
        batch, count, _ = weights.shape
        bent = kernel @ weights.transpose(0, 1).reshape(count, 2 * batch)  # (M, 2B)
        bent = bent.view(-1, batch, 2).transpose(0, 1)  # (B, M, 2)
    else:
        bent = kernel @ weights  # (B, M, 2)
    linear = points @ params.affine.to(dtype).transpose(1, 2)  # (B, M, 2): rows p^T A^T
    return bent + linear + params.translation.to(dtype)[:, None, :]  # (B, M, 2)


def pixel_kernel(height: int, width: int, centres: torch.Tensor) -> torch.Tensor:
    """The kernel ``U(|p - c_i|)`` of every pixel of an ``H x W`` grid: ``(H * W, N)``.

    It depends only on the image size and the control points ``centres`` ``(N, 2)`` (float32 or
    float64; the result has their dtype and device), not on a warp, so a caller warping many batches
    of one size computes it once and passes it to :func:`tps_sampling_grid`: at 64 px with the
    released 10 x 10 control points it was nine tenths of the time of a grid on a CPU.
    """
    pixels = pixel_grid(height, width, device=centres.device, dtype=centres.dtype)  # (H, W, 2)
    with torch.autocast(device_type=centres.device.type, enabled=False):
        return tps_kernel(pixels.reshape(height * width, 2), centres)  # (H * W, N)


def tps_sampling_grid(params: TpsParams, height: int, width: int,
                      kernel: torch.Tensor | None = None) -> torch.Tensor:
    """Sampling locations of every output pixel, for :func:`warp_images` or ``grid_sample``.

    Args:
        params: a batch of ``B`` warps.
        height, width: output size ``H, W``.
        kernel: :func:`pixel_kernel` of ``height``, ``width`` and ``params.control_points``, if the
            caller keeps it; computed here if None.

    Returns:
        ``(B, H, W, 2)`` ``(x, y)`` in ``[-1, 1]`` units (values outside the square read padding);
        float32 (float64 for float64 parameters).
    """
    device = params.kernel_weights.device
    dtype = _working_dtype(params, params.kernel_weights.dtype)
    if kernel is None:
        kernel = pixel_kernel(height, width, params.control_points.to(device=device, dtype=dtype))
    elif kernel.shape != (height * width, params.control_points.shape[0]):
        raise ValueError(f"kernel must be ({height * width}, {params.control_points.shape[0]}) for a "
                         f"{height} x {width} grid, got {tuple(kernel.shape)}")
    pixels = pixel_grid(height, width, device=device, dtype=dtype).reshape(height * width, 2)  # (H * W, 2)
    with torch.autocast(device_type=device.type, enabled=False):
        locations = _apply_tps(params, pixels, kernel.to(dtype))  # (B, H * W, 2)
    return locations.view(params.batch_size, height, width, 2)  # (B, H, W, 2)


def warp_images(images: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Resample ``images`` at ``grid``: bilinear, zeros outside, ``align_corners=True`` (released).

    Args:
        images: ``(B, C, H, W)`` float images, any range.
        grid: ``(B, H', W', 2)`` sampling locations ``(x, y)`` in ``[-1, 1]`` units.

    Returns:
        ``(B, C, H', W')`` in the dtype of ``images`` (the sampling itself runs in float32 or wider).
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (B, C, H, W), got shape {tuple(images.shape)}")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != images.shape[0]:
        raise ValueError(
            f"grid must be (B, H, W, 2) with B = {images.shape[0]}, got shape {tuple(grid.shape)}"
        )
    dtype = torch.promote_types(images.dtype, torch.float32)
    with torch.autocast(device_type=images.device.type, enabled=False):
        warped = F.grid_sample(
            images.to(dtype), grid.to(dtype), mode="bilinear", padding_mode="zeros", align_corners=True
        )
    return warped.to(images.dtype)
