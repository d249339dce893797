"""Figures of what a trained model learned, written as PNG files (paper Fig. 2).

Runs the model on a few images and hands the tensors to the pure drawing functions of
:mod:`landmarks.viz`; this module is the one place that saves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from landmarks.data.preprocess import ResizeSpec, fit_to_model
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.geometry.coordinates import normalized_to_pixels
from landmarks.geometry.keypoints import marginal_distributions
from landmarks.models.checkpoint import TrainedModel
from landmarks.viz import figure_to_array, heatmap_figure, quadruplet_grid, tensor_to_uint8

FIGURE_SEED = 0  # the TPS pairs drawn for figures are the same every time


def save_png(image: np.ndarray, path: Path) -> Path:
    """Write an ``(H, W, 3)`` uint8 array as PNG (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path


@torch.no_grad()
def model_figures(trained: TrainedModel, images: Sequence[np.ndarray], folder: str | Path,
                  *, heatmap_images: int = 2) -> list[Path]:
    """Write ``quadruplets.png`` (source / target / reconstruction / landmarks on TPS pairs made from
    ``images``, as in training) and ``heatmaps_<i>.png`` (score maps with their marginals).

    Args:
        trained: the model, in eval mode, with its config.
        images: ``(H, W, 3)`` uint8 RGB images of any size (brought to the model's input as in training).
        folder: where the PNG files go.
    """
    folder = Path(folder)
    config = trained.config
    spec = ResizeSpec(config.model.image_size, config.data.resize, config.data.resize_to)
    batch = torch.stack([fit_to_model(image, spec)[0] for image in images])  # (B, 3, S, S)
    generator = torch.Generator().manual_seed(FIGURE_SEED)
    pair = build_pair_maker(config.pairs)(batch, generator=generator)
    output = trained.model(pair.source, pair.target)
    size = config.model.image_size
    grid = quadruplet_grid(pair.source, pair.target, output.reconstruction,
                           normalized_to_pixels(output.keypoints, size, size), max_rows=len(images))
    written = [save_png(grid, folder / "quadruplets.png")]

    detection = trained.model.detect(batch[:heatmap_images])
    marginal_x, marginal_y = marginal_distributions(detection.scores.float(), config.model.soft_argmax)
    keypoints = normalized_to_pixels(detection.keypoints, size, size)
    for i, image in enumerate(tensor_to_uint8(batch[:heatmap_images])):
        figure = heatmap_figure(image, detection.scores[i].numpy(), marginal_x[i].numpy(),
                                marginal_y[i].numpy(), keypoints[i].numpy())
        written.append(save_png(figure_to_array(figure), folder / f"heatmaps_{i}.png"))
    return written
