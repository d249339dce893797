"""Unsupervised learning of object landmarks through conditional image generation.

Jakab, Gupta, Bilen and Vedaldi, NeurIPS 2018. See the README for the command line and
``docs/`` for the design.
"""

__version__ = "0.1.0"
