"""Denormal floats are flushed to zero once the command line (or fit) has run."""

import pytest
import torch

from landmarks.denormals import flush_denormals


def test_denormal_results_become_zero():
    tiny = torch.tensor([1e-39, 1e-30])  # a float32 denormal, and a normal number
    if not flush_denormals():
        pytest.skip("this CPU cannot flush denormals")
    halved = (tiny * 0.5).tolist()
    assert halved[0] == 0.0 and halved[1] == pytest.approx(5e-31)
