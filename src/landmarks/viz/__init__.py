"""Pure drawing: arrays (or tensors) in, ``uint8`` arrays or matplotlib figures out; never logs or saves."""

from landmarks.viz.draw import default_radius, draw_landmarks, landmark_colours
from landmarks.viz.grids import image_grid, quadruplet_grid, tensor_to_uint8
from landmarks.viz.heatmaps import figure_to_array, heatmap_figure
from landmarks.viz.matching import matched_landmarks_figure
from landmarks.viz.tracking import filmstrip, trajectories_figure
from landmarks.viz.transfer import transfer_grid

__all__ = [
    "default_radius",
    "draw_landmarks",
    "filmstrip",
    "figure_to_array",
    "heatmap_figure",
    "image_grid",
    "landmark_colours",
    "matched_landmarks_figure",
    "quadruplet_grid",
    "tensor_to_uint8",
    "trajectories_figure",
    "transfer_grid",
]
