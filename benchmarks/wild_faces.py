"""How hard the wild synthetic faces are, and how fast they draw, against the cartoon faces.

Hardness is the error of the mean training shape on test faces (the protocol's first baseline, in %
of the inter-ocular distance): a set whose points barely move is solved by the mean shape alone.
Speed is the CPU time to draw one face in this process (one thread, no writing).

    python benchmarks/wild_faces.py                     # 1000 train + 300 test faces (the demo's split sizes)
    python benchmarks/wild_faces.py --train 2000 --test 2000 --size 64 --timed 300
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time

import numpy as np

from landmarks.evaluation import protocol
from landmarks.synthetic.faces import synthetic_face
from landmarks.synthetic.wild_faces import wild_face

GENERATORS = {"cartoon (synthetic-faces)": synthetic_face, "wild (synthetic-wild-faces)": wild_face}


def points_of(draw, seed: int, start: int, count: int, size: int) -> np.ndarray:
    """``(count, 5, 2)`` pixel points of faces ``start ..`` of collection ``seed``."""
    return np.stack([draw(seed, index, size)[1] for index in range(start, start + count)])


def mean_shape_error(draw, *, train: int, test: int, size: int, seed: int) -> float:
    """The mean training shape's error on the test faces, % of the inter-ocular distance."""
    train_points = points_of(draw, seed, 0, train, size)
    test_points = points_of(draw, seed, train, test, size)
    result = protocol.evaluate(
        train_points, train_points, test_points, test_points, eye_indices=(0, 1), sample_sizes=(10,), draws=1
    )
    return result.baselines[0].normalised_error


def milliseconds_per_face(draw, *, count: int, size: int, seed: int) -> float:
    """CPU milliseconds of this process per face: on a shared machine, wall time would count others' work."""
    started = time.process_time()
    for index in range(count):
        draw(seed, index, size)
    return 1000.0 * (time.process_time() - started) / count


def cpu_model() -> str:
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--timed", type=int, default=200, help="faces drawn for the speed (per size)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"CPU: {cpu_model()}; train {args.train}, test {args.test} faces at {args.size} px, seed {args.seed}"
    )
    print("| generator | mean-shape error (% inter-ocular) | CPU ms per face at 32 / 64 / 128 px |")
    print("|---|---|---|")
    for name, draw in GENERATORS.items():
        error = mean_shape_error(draw, train=args.train, test=args.test, size=args.size, seed=args.seed)
        speeds = [
            milliseconds_per_face(draw, count=args.timed, size=s, seed=args.seed) for s in (32, 64, 128)
        ]
        print(f"| {name} | {error:.2f} | {' / '.join(f'{ms:.1f}' for ms in speeds)} |")


if __name__ == "__main__":
    main()
