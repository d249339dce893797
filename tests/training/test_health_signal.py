"""The health signal separates a detector that found the parts from an untrained and a collapsed one.

Images of K coloured dots, each jittered around its own place on a circle (like the parts of an
object seen at different positions); a hand-built "trained" detector finds each dot by its
colour (score = -distance to the colour, then the soft-argmax). The pairs and the warp are the
training ones (:class:`~landmarks.data.tps_pairs.TpsPairMaker` with the default warps).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from landmarks.config import PairsConfig
from landmarks.data.tps_pairs import build_pair_maker
from landmarks.evaluation.health import COLLAPSED_SPREAD, KeypointHealth, keypoint_health
from landmarks.geometry.keypoints import spatial_soft_argmax
from landmarks.geometry.tps import tps_transform_points
from landmarks.models.encoder import Detection, Detector
from landmarks.training.health import PERSISTENCE, WARMUP_STEPS, HealthRecord, HealthWatch

SIZE = 48
COLOURS = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]])  # (K, 3)
SHARPNESS = 50.0  # score per unit of squared colour distance: background pixels weigh e^-50


def dot_images(count: int, generator: torch.Generator, size: int = SIZE) -> torch.Tensor:
    """``(B, 3, S, S)``: one dot of each colour, 5 px across, within 0.15 of its place on a circle of
    radius 0.5 (``[-1, 1]`` units) around the centre."""
    angles = torch.arange(len(COLOURS)) * 2 * torch.pi / len(COLOURS)  # (K,)
    places = 0.5 * torch.stack([angles.cos(), angles.sin()], -1)  # (K, 2)
    jitter = (torch.rand(count, len(COLOURS), 2, generator=generator) * 2 - 1) * 0.15  # (B, K, 2)
    centres = (places + jitter + 1) / 2 * (size - 1)  # (B, K, 2) pixels
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    images = torch.zeros(count, 3, size, size)
    for b in range(count):
        for colour, (x, y) in zip(COLOURS, centres[b], strict=True):
            inside = (xs - x) ** 2 + (ys - y) ** 2 <= (2.5 * size / SIZE) ** 2  # (S, S)
            images[b, :, inside] = colour[:, None]
    return images


def colour_detector(images: torch.Tensor) -> torch.Tensor:
    """``(B, 3, S, S)`` -> ``(B, K, 2)``: the soft-argmax of ``-SHARPNESS * |pixel - colour_k|^2``."""
    distances = (images[:, None] - COLOURS[None, :, :, None, None]).square().sum(2)  # (B, K, S, S)
    return spatial_soft_argmax(-SHARPNESS * distances)


def untrained_detector() -> Detector:
    torch.manual_seed(0)
    return Detector(image_size=SIZE, heatmap_size=SIZE // 4, base_width=4, num_landmarks=len(COLOURS))


def constant_detector(images: torch.Tensor) -> torch.Tensor:
    return torch.tensor([[0.1, -0.2]]).expand(images.shape[0], len(COLOURS), 2)


def health_of(detect) -> KeypointHealth:
    """The health numbers of ``detect`` on one batch of training pairs, computed as fit does."""
    generator = torch.Generator().manual_seed(3)
    pair = build_pair_maker(PairsConfig())(dot_images(16, generator), generator=generator)
    with torch.no_grad():
        target, source = detect(pair.target), detect(pair.source)  # (B, K, 2) each
    return keypoint_health(target, target, tps_transform_points(pair.source_warp, source))


def warnings_after_warmup(health: KeypointHealth) -> list[str]:
    watch = HealthWatch()
    return [line for step in range(WARMUP_STEPS, WARMUP_STEPS + PERSISTENCE)
            for line in watch.update(HealthRecord(step, health))]


def test_a_detector_that_finds_the_dots_is_healthy():
    health = health_of(colour_detector)
    assert health.equivariance < 1.0  # % of the width: the dots move with the warp
    assert health.collapsed == 0 and health.spread_median > 10 * COLLAPSED_SPREAD
    assert health.coverage > 5.0 and health.border_share == 0.0
    assert warnings_after_warmup(health) == []


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_an_untrained_detector_is_flagged_as_collapsed(mode):
    detector = untrained_detector().train(mode == "train")
    health = health_of(lambda images: detector(images).keypoints)
    # In training mode batch norm stretches the tiny differences between images: one keypoint may
    # move a little more than COLLAPSED_SPREAD, but most stay put.
    assert health.collapsed >= len(COLOURS) - 1 and health.spread_median < COLLAPSED_SPREAD
    assert health.coverage < 0.1
    assert health.equivariance > 3 * health_of(colour_detector).equivariance
    collapsed, bunched = warnings_after_warmup(health)
    assert "collapsed" in collapsed and "bunch together" in bunched


def test_constant_keypoints_are_flagged_and_their_equivariance_error_is_the_warp():
    health = health_of(constant_detector)
    assert health.collapsed == len(COLOURS) and health.spread_median == 0.0 and health.coverage == 0.0
    assert health.equivariance > health_of(colour_detector).equivariance  # fixed points ignore the warp
    collapsed, _ = warnings_after_warmup(health)
    assert f"{len(COLOURS)} of {len(COLOURS)} keypoints" in collapsed


def test_keypoints_on_the_border_are_flagged():
    health = dataclasses.replace(health_of(colour_detector), border_share=0.8)
    [warning] = warnings_after_warmup(health)
    assert "80% of the keypoints" in warning and "border" in warning


class ColourDetector(torch.nn.Module):
    """:func:`colour_detector` in the place of a model's detector."""

    def forward(self, images: torch.Tensor) -> Detection:
        return Detection(scores=torch.zeros(0), keypoints=colour_detector(images))


@pytest.mark.parametrize("supersample", [1, 2])
def test_fit_measures_equivariance_through_the_supersampled_warp(supersample):
    """The learner's own check (pairs warped at ``supersample`` times the size, then reduced)."""
    from landmarks.config_loading import load_config
    from landmarks.training.module import LandmarkLearner

    size = 32  # a power of two, as the model needs
    config = load_config("default", [f"model.image_size={size}", f"model.num_landmarks={len(COLOURS)}",
                                     f"pairs.supersample={supersample}", "loss.kind=l2"])
    learner = LandmarkLearner.from_config(config)
    learner.model.detector = ColourDetector()
    generator = torch.Generator().manual_seed(3)
    batch = {"image": dot_images(16, generator, size * supersample)}
    pair = learner.make_pair(batch, generator)
    reference, mapped = learner._equivariance_pair(pair, colour_detector(pair.target))
    assert keypoint_health(reference, reference, mapped).equivariance < 1.0
