"""Pure drawing: arrays (or tensors) in, ``uint8`` arrays or matplotlib figures out; never logs or saves."""

from landmarks.viz.draw import default_radius, draw_landmarks, landmark_colours
from landmarks.viz.grids import image_grid, quadruplet_grid, tensor_to_uint8
from landmarks.viz.heatmaps import figure_to_array, heatmap_figure

__all__ = [
    "default_radius",
    "draw_landmarks",
    "figure_to_array",
    "heatmap_figure",
    "image_grid",
    "landmark_colours",
    "quadruplet_grid",
    "tensor_to_uint8",
]
