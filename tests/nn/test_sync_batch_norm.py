"""Cross-process batch norm: two processes of batch B normalise (and learn) as one of batch 2B."""

from __future__ import annotations

import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from landmarks.nn.sync_batch_norm import CrossProcessBatchNorm2d, convert_batch_norms


def _network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, momentum=0.1), nn.ReLU(), nn.Conv2d(4, 2, 1))


def test_conversion_keeps_parameters_buffers_and_single_process_outputs():
    network = _network()
    network[1].running_mean.fill_(0.3)
    reference = _network()
    reference[1].running_mean.fill_(0.3)
    converted = convert_batch_norms(network)
    assert type(converted[1]) is CrossProcessBatchNorm2d
    assert converted.state_dict().keys() == reference.state_dict().keys()
    images = torch.rand(6, 3, 8, 8)
    assert torch.allclose(converted(images), reference(images))
    assert torch.allclose(converted[1].running_var, reference[1].running_var)
    converted.eval(), reference.eval()
    assert torch.allclose(converted(images), reference(images))


def _run_rank(rank: int, world: int, port: int, images: torch.Tensor, results) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        network = convert_batch_norms(_network())
        half = images.shape[0] // world
        output = network(images[rank * half:(rank + 1) * half])  # (B, 2, 6, 6)
        output.square().mean().backward()
        gradient = network[0].weight.grad.clone()
        dist.all_reduce(gradient)  # what DDP does, before dividing by the world size
        results[rank] = (output.detach(), gradient / world, network[1].running_var.clone())
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_processes_of_batch_b_match_one_of_batch_2b():
    images = torch.rand(8, 3, 8, 8)
    reference = _network()
    output = reference(images)
    output.square().mean().backward()
    results = mp.Manager().dict()
    port = 29_500 + os.getpid() % 1000
    mp.start_processes(_run_rank, args=(2, port, images, results), nprocs=2, start_method="spawn")
    together = torch.cat([results[0][0], results[1][0]])
    assert torch.allclose(together, output.detach(), atol=1e-5)
    assert torch.allclose(results[0][1], reference[0].weight.grad, atol=1e-5)
    assert torch.allclose(results[0][2], reference[1].running_var, atol=1e-6)
    assert torch.allclose(results[1][2], reference[1].running_var, atol=1e-6)
