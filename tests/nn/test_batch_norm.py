"""An extra forward pass inside batch_norm_statistics_frozen normalises as usual and changes nothing."""

import torch
from torch import nn

from landmarks.nn.batch_norm import batch_norm_statistics_frozen


def test_statistics_stay_and_outputs_are_the_training_mode_ones():
    torch.manual_seed(0)
    network = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                            nn.BatchNorm2d(4, momentum=None))
    images = torch.rand(5, 3, 8, 8)
    expected = network(images)  # training mode: batch statistics (and the buffers move)
    before = {name: value.clone() for name, value in network.state_dict().items()}
    with batch_norm_statistics_frozen(network):
        output = network(images)
    torch.testing.assert_close(output, expected)
    assert all(torch.equal(value, network.state_dict()[name]) for name, value in before.items())
    assert all(norm.track_running_stats for norm in network if isinstance(norm, nn.BatchNorm2d))
    network(images)
    assert not torch.equal(before["1.running_mean"], network.state_dict()["1.running_mean"])


def test_eval_mode_still_uses_the_running_statistics():
    norm = nn.BatchNorm2d(2).eval()
    norm.running_mean.fill_(1.0)
    images = torch.rand(3, 2, 4, 4)
    with batch_norm_statistics_frozen(norm):
        torch.testing.assert_close(norm(images), (images - 1) / (1 + norm.eps) ** 0.5)
