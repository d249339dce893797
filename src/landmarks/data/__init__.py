"""Training data: image sources, the built-in synthetic data, and pair makers."""
