"""Detection speed: images per second of ``LandmarkDetector.detect`` in each precision, interleaved.

The detector of the ``default`` config (128 px) with its initial weights (speed does not depend on
them), on 128 x 128 uint8 images already in memory: the resize to the model's input, the batched
forward pass of the detector and the mapping back to pixels, as ``landmarks.load(path).detect`` runs
them. ``float32-contiguous`` is the detector as it ran before channels-last and ``auto``;
``auto-contiguous`` is ``auto``'s precision without channels-last. Batches of
each setting alternate, so that other work on the machine disturbs all of them alike.

Usage::

    python benchmarks/detect_speed.py --batch-size 32 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from landmarks.config_loading import load_config
from landmarks.data.preprocess import ResizeSpec
from landmarks.evaluation.extract import keypoint_function
from landmarks.hardware.cpu_info import cpu_model
from landmarks.inference.detector import LandmarkDetector
from landmarks.models import build_model


def detectors(config_name: str) -> dict[str, LandmarkDetector]:
    """The settings compared: float32 as before, float32 channels-last, ``auto``, and ``auto`` without
    channels-last."""
    config = load_config(config_name)
    size, k = config.model.image_size, config.model.num_landmarks
    made = {name: LandmarkDetector(build_model(config.model), ResizeSpec(size), num_landmarks=k,
                                   precision=precision)
            for name, precision in (("float32-contiguous", "32-true"), ("float32", "32-true"),
                                    ("auto", "auto"), ("auto-contiguous", "auto"))}
    for name in ("float32-contiguous", "auto-contiguous"):  # no channels-last
        detector = made[name]
        detector._keypoints = keypoint_function(detector.model.to(memory_format=torch.contiguous_format),
                                                "cpu", autocast_dtype=detector.precision.autocast_dtype)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="default")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="timed batches per setting, after one untimed")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    made = detectors(args.config)
    size = made["auto"].spec.size
    images = list(np.random.default_rng(0).integers(0, 256, (args.batch_size, size, size, 3), np.uint8))
    seconds: dict[str, list[float]] = {name: [] for name in made}
    for _ in range(args.rounds + 1):
        for name, detector in made.items():
            start = time.perf_counter()
            detector.detect(images, batch_size=args.batch_size)
            seconds[name].append(time.perf_counter() - start)
    rates = {name: args.batch_size / statistics.median(s[1:]) for name, s in seconds.items()}
    print(f"{made['auto'].precision.line()}; {cpu_model()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {size} px, batch {args.batch_size}, "
          f"medians of {args.rounds} interleaved batches")
    print(", ".join(f"{name} {rate:.1f} images/s" for name, rate in rates.items())
          + f"; auto {rates['auto'] / rates['float32-contiguous']:.2f}x float32-contiguous")


if __name__ == "__main__":
    main()
