"""``landmarks transfer``: the appearance/geometry grid of a trained model, as a PNG (supplement sec. 8).

Loads the model, brings source and target images to its input exactly as training did
(:func:`landmarks.data.preprocess.fit_to_model` with the run's ``data.resize`` settings), renders
``Psi(source, Phi(target))`` for every pair (:func:`landmarks.models.transfer.swap_appearance`) and
tiles them with :func:`landmarks.viz.transfer.transfer_grid`. This module is the one that saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from landmarks.data.images import list_images, load_image
from landmarks.data.preprocess import ResizeSpec, fit_to_model
from landmarks.errors import DataError, LandmarksError
from landmarks.figures import save_png
from landmarks.geometry.coordinates import normalized_to_pixels
from landmarks.models.checkpoint import TrainedModel, load_trained_model
from landmarks.models.transfer import swap_appearance
from landmarks.viz.grids import tensor_to_uint8
from landmarks.viz.transfer import transfer_grid

MAX_IMAGES = 8  # sources and targets used at most, each (the first ones in order)


def image_paths(items: Sequence[str | Path], limit: int | None = MAX_IMAGES) -> list[Path]:
    """Image files named by ``items``: files as given, folders expanded (recursively, sorted).

    At most ``limit`` paths are kept (the first ones); a missing item raises :class:`DataError`.
    """
    if limit is not None and limit < 1:
        raise LandmarksError(f"the number of images to use must be >= 1, got {limit}")
    paths = []
    for item in map(Path, items):
        if item.is_dir():
            paths += list_images(item)
        elif item.is_file():
            paths.append(item)
        else:
            raise DataError(item, "no such image file or folder")
    if not paths:
        raise DataError(None, "no images given")
    return paths[:limit]


def load_batch(paths: Sequence[Path], spec: ResizeSpec) -> torch.Tensor:
    """``(N, 3, S, S)`` float images in ``[0, 1]``, each brought to the model's input as in training."""
    return torch.stack([fit_to_model(load_image(path), spec)[0] for path in paths])


def transfer_figure(
    model: str | Path | TrainedModel,
    sources: Sequence[str | Path],
    targets: Sequence[str | Path],
    output: str | Path,
    *,
    limit: int | None = MAX_IMAGES,
    show_landmarks: bool = False,
    device: str | torch.device = "cpu",
) -> Path:
    """Write the transfer grid of ``model`` to the PNG ``output`` and return its path.

    Args:
        model: a run folder, a checkpoint file, or a loaded :class:`TrainedModel`.
        sources: image files or folders giving the appearances (one row each).
        targets: image files or folders giving the geometries (one column each).
        limit: at most this many sources and this many targets (None: all).
        show_landmarks: draw each target's learned landmarks on it in the first row.
        device: where the model runs.
    """
    trained = model if isinstance(model, TrainedModel) else load_trained_model(model, map_location=device)
    config = trained.config
    spec = ResizeSpec(config.model.image_size, config.data.resize, config.data.resize_to)
    source_batch = load_batch(image_paths(sources, limit), spec).to(device)  # (S, 3, s, s)
    target_batch = load_batch(image_paths(targets, limit), spec).to(device)  # (T, 3, s, s)
    network = trained.model.to(device).eval()
    generated = swap_appearance(network, source_batch, target_batch)  # (S, T, 3, s, s)
    landmarks = None
    if show_landmarks:
        size = config.model.image_size
        with torch.no_grad():
            landmarks = normalized_to_pixels(network.detect(target_batch).keypoints, size, size)  # (T, K, 2)
    cells = tensor_to_uint8(generated.flatten(0, 1))  # (S * T, s, s, 3)
    cells = cells.reshape(*generated.shape[:2], *cells.shape[1:])  # (S, T, s, s, 3)
    grid = transfer_grid(tensor_to_uint8(source_batch), tensor_to_uint8(target_batch), cells,
                         target_landmarks=landmarks)
    return save_png(grid, Path(output))

