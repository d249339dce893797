"""Score runs on realdev (real face video frames, ../shared/data/realdev) and draw their raw landmarks.

realdev's protocol (its README): landmarks learned without labels on the train man's frames, a no-bias
linear map fitted on the train labels (MTCNN's 5 points), the error on the test man's frames in % of
the inter-ocular distance. The mean shape scores 16.04 %; the two label teachers disagree by 5.00 %.

    python benchmarks/realdev.py RUN [RUN ...]             # last.ckpt of each run
    python benchmarks/realdev.py RUN --every               # every step checkpoint of the run (a curve)
    python benchmarks/realdev.py RUN --figure out.png      # raw landmarks on spread train / test frames
    python benchmarks/realdev.py RUN --record NOTE         # append a row to results/realdev-cpu.jsonl
    python benchmarks/realdev.py RUN --train DIR/train.csv --test DIR/test.csv   # another annotated set

Regression frames are every ``--stride``-th train frame (4800 / 4 = 1200 by default: the frames of a
video are nearly alike, and more rows change the fit very little).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

from landmarks.evaluation.annotations import AnnotationSet, read_annotations
from landmarks.evaluation.extract import extract_landmarks, keypoint_function, resize_spec
from landmarks.evaluation.metrics import mean_normalised_error
from landmarks.evaluation.regression import fit_linear_map
from landmarks.models.checkpoint import load_trained_model

REALDEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "realdev"
EYES = (0, 1)  # MTCNN eye points: the inter-ocular distance
RESULTS = Path(__file__).resolve().parent / "results" / "realdev-cpu.jsonl"


def subset(annotations: AnnotationSet, stride: int) -> AnnotationSet:
    keep = slice(None, None, stride)
    return AnnotationSet(annotations.root, annotations.paths[keep], annotations.points[keep],
                         annotations.csv_path, annotations.point_names)


def score(checkpoint: Path, train: AnnotationSet, test: AnnotationSet) -> dict:
    trained = load_trained_model(checkpoint)
    spec = resize_spec(trained)
    keypoints = keypoint_function(trained.model, "cpu")
    learned = [extract_landmarks(keypoints, s.paths, spec, batch_size=64, device="cpu")
               for s in (train, test)]
    learned_error = _regressed_error(learned[0], train.points, learned[1], test.points)
    mean = np.broadcast_to(train.points.mean(axis=0), test.points.shape)
    mean_error, _ = mean_normalised_error(mean, test.points, *EYES)
    # Where the error comes from: the same landmarks fitted and scored on alternate test frames (how
    # much they say about the test set's points), and regressions with a bias or a ridge penalty.
    diagnosis = {
        "test_on_test": _regressed_error(learned[1][::2], test.points[::2],
                                         learned[1][1::2], test.points[1::2]),
        "with_bias": _regressed_error(learned[0], train.points, learned[1], test.points, bias=True),
        "ridge_1000": _regressed_error(learned[0], train.points, learned[1], test.points, ridge=1000.0),
    }
    spread = float(np.median(learned[1].std(axis=0).mean(axis=-1)))  # px of the frame, over test frames
    return {"checkpoint": str(checkpoint), "step": trained.step, "error": learned_error,
            "mean_shape": mean_error, "ratio": learned_error / mean_error,
            "median_spread_px": spread, **diagnosis}


def _regressed_error(train_learned, train_points, test_learned, test_points, **options) -> float:
    regressed = fit_linear_map(train_learned, train_points, **options).predict(test_learned)
    return mean_normalised_error(regressed, test_points, *EYES)[0]


def figure(checkpoint: Path, train: AnnotationSet, test: AnnotationSet, path: Path) -> None:
    from PIL import Image

    from landmarks.data.images import load_image
    from landmarks.viz.draw import draw_landmarks

    trained = load_trained_model(checkpoint)
    spec = resize_spec(trained)
    keypoints = keypoint_function(trained.model, "cpu")
    rows = []
    for split in (train, test):
        picks = np.linspace(0, len(split) - 1, 8).round().astype(int)
        paths = [split.paths[i] for i in picks]
        points = extract_landmarks(keypoints, paths, spec, batch_size=8, device="cpu")
        tiles = []
        for p, pts in zip(paths, points, strict=True):
            image = np.asarray(Image.fromarray(load_image(p)).resize((192, 192), Image.BICUBIC))
            tiles.append(draw_landmarks(image, pts * 3.0 + 1.0))
        rows.append(np.concatenate(tiles, axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def checkpoints_of(run: Path, every: bool) -> list[Path]:
    folder = run / "checkpoints" if run.is_dir() else None
    if folder is None:
        return [run]
    if every:
        return sorted(folder.glob("step-*.ckpt")) + [folder / "last.ckpt"]
    return [folder / "last.ckpt"]


def cpu_model() -> str:
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--every", action="store_true", help="every step checkpoint, not only last.ckpt")
    parser.add_argument("--stride", type=int, default=4, help="use every n-th train frame for the regression")
    parser.add_argument("--teacher", default="mtcnn", choices=["mtcnn", "mediapipe"])
    parser.add_argument("--train", type=Path, help="another set's regression CSV (root: its folder)")
    parser.add_argument("--test", type=Path, help="another set's test CSV (root: its folder)")
    parser.add_argument("--figure", type=Path, help="PNG of raw landmarks on train (top) and test frames")
    parser.add_argument("--record", metavar="NOTE", help="append each score with this note to the results")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_csv = args.train or REALDEV / f"labels_{args.teacher}_train.csv"
    test_csv = args.test or REALDEV / f"labels_{args.teacher}_test.csv"
    train = subset(read_annotations(train_csv, train_csv.parent), args.stride)
    test = read_annotations(test_csv, test_csv.parent)
    for run in args.runs:
        for checkpoint in checkpoints_of(run, args.every):
            row = score(checkpoint, train, test)
            print(f"{checkpoint}  step {row['step']:6d}  error {row['error']:6.2f} %  "
                  f"mean shape {row['mean_shape']:.2f} %  ratio {row['ratio']:.3f}  "
                  f"spread {row['median_spread_px']:.2f} px  | test-on-test {row['test_on_test']:.2f} "
                  f"bias {row['with_bias']:.2f} ridge {row['ridge_1000']:.2f}", flush=True)
            if args.record:
                row.update(note=args.record, date=time.strftime("%Y-%m-%d %H:%M"), cpu=cpu_model(),
                           torch=torch.__version__)
                with RESULTS.open("a") as out:
                    out.write(json.dumps(row) + "\n")
        if args.figure:
            figure(checkpoints_of(run, False)[-1], train, test, args.figure)
            print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
