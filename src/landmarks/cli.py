"""The ``landmarks`` command. Each subcommand parses its arguments and calls the library.

Errors caused by the user's input (:class:`~landmarks.errors.LandmarksError`) are printed as one
line and exit with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from landmarks.errors import LandmarksError

OVERRIDES_HELP = "config overrides as dotted.key=value, e.g. model.num_landmarks=30 trainer.max_steps=1000"


def _fit(args: argparse.Namespace) -> None:
    from landmarks.config_loading import load_config
    from landmarks.training.fit import fit, resolve_resume, resume_config

    overrides = list(args.overrides)
    if args.data is not None:
        overrides.append(f"data.source={args.data}")
    if args.data_root is not None:
        overrides.append(f"data.root={args.data_root}")
        if args.data is None:
            overrides.append("data.source=image-folder")
    if args.resume:
        if args.config is not None:
            raise LandmarksError("give either --config or --resume: a resumed run keeps its own config")
        run_dir, checkpoint = resolve_resume(args.resume)
        config = resume_config(run_dir, overrides)
        print(f"resuming {run_dir} from {checkpoint}")
        fit(config, run_dir=run_dir, resume_from=checkpoint)
    else:
        config = load_config(args.config or "default", overrides)
        run_dir = fit(config, run_dir=args.run_dir)
    print(f"run folder: {run_dir}  (tensorboard --logdir {run_dir / 'tensorboard'})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="landmarks",
        description="Unsupervised learning of object landmarks through conditional image generation.")
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit", help="train a landmark model",
                              description="Train detector, encoder and generator on image pairs.")
    fit.add_argument("--config", help="YAML config file, or a shipped config name (cpu, paper-128, ...)")
    fit.add_argument("--data", help="training source (synthetic-faces, image-folder)")
    fit.add_argument("--data-root", type=Path, help="folder of training images (implies --data image-folder)")
    fit.add_argument("--run-dir", type=Path, help="run folder to create (default: output_dir/name-timestamp)")
    fit.add_argument("--resume", type=Path, help="run folder (or checkpoint) to continue")
    fit.add_argument("overrides", nargs="*", help=OVERRIDES_HELP)
    fit.set_defaults(handler=_fit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except LandmarksError as error:
        print(f"landmarks {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"landmarks {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
