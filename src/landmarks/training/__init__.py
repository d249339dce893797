"""Training with Lightning: the module, the data module, callbacks and the `fit` entry point.

This is the only package (with the command line) that imports Lightning.
"""
