"""Annotated synthetic data drawn from random parameters: cartoon faces, wild faces and upper-body videos.

Every image is a deterministic function of a collection seed and an index, so datasets need no files.
"""
