"""The ``landmarks`` command. Each subcommand parses its arguments and calls the library.

Errors caused by the user's input (:class:`~landmarks.errors.LandmarksError`) are printed as one
line and exit with status 2; anything else is a bug and keeps its traceback. Every message goes through
:mod:`logging` (:mod:`landmarks.cli_logging`: ``-v`` / ``-q``); the option names every subcommand
shares, and the old spellings kept for one release, are in :mod:`landmarks.cli_options`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from landmarks import __version__
from landmarks.cli_logging import setup_logging
from landmarks.cli_options import (
    add_deprecated,
    add_device,
    add_verbosity,
    deprecation_lines,
    evaluation_folder,
    require_folder_output,
    resolve_device,
)
from landmarks.errors import LandmarksError, one_line

logger = logging.getLogger("landmarks.cli")

OVERRIDES_HELP = "config overrides as dotted.key=value, e.g. model.num_landmarks=30 trainer.max_steps=1000"


def _fit(args: argparse.Namespace) -> None:
    from landmarks.config_catalog import require_fit_config
    from landmarks.config_loading import load_config
    from landmarks.training.fit import first_process, fit, resolve_resume, resume_config
    from landmarks.training.init_from import read_init_source

    if args.help_config:
        return _help_config()
    if args.config is not None:
        require_fit_config(args.config)
    overrides = list(args.overrides)
    if args.init_from is not None and args.resume:
        raise LandmarksError("give either --init-from (a new run) or --resume (the same run), not both")
    if args.init_from is not None:
        overrides.append(f"trainer.init_from={args.init_from}")
    if args.restore_optim:
        overrides.append("trainer.restore_optim=true")
    overrides = _with_data_options(args, overrides, resume=bool(args.resume))
    if args.print_config:
        return _print_config(args, overrides)
    from landmarks.training.loggers import logger_hint

    if args.resume:
        _check_resume_options(args)
        run_dir, checkpoint = resolve_resume(args.resume)
        config = resume_config(run_dir, overrides)
        if first_process():  # the other processes of a multi-process run say nothing
            logger.info("resuming %s from %s", run_dir, checkpoint)
        fit(config, run_dir=run_dir, resume_from=checkpoint)
    else:
        config = load_config(args.config or "default", overrides)
        source = None
        init_from = config.trainer.init_from
        if init_from is not None:  # read and checked before any run folder is made
            source = read_init_source(init_from, config, restore_optim=config.trainer.restore_optim)
            if args.output is not None and args.output.resolve() in Path(init_from).resolve().parents:
                raise LandmarksError(f"--output {args.output} holds the --init-from model: a fine-tuned "
                                     f"run gets a new folder")
        run_dir = fit(config, run_dir=args.output, init_from=source, overwrite=args.overwrite)
    if first_process():  # the other processes of a multi-process run say nothing
        logger.info("run folder: %s  (%s)", run_dir, logger_hint(config.trainer.logger, run_dir))


def _with_data_options(args: argparse.Namespace, overrides: list[str], *, resume: bool = False) -> list[str]:
    """``overrides`` with ``--data`` and ``--data-root`` as ``data.*`` overrides (fit and shard)."""
    from landmarks.config_loading import load_config
    from landmarks.datasets import is_dataset, protocol_preprocessing

    if args.data is not None and not resume and is_dataset(args.data):
        # the dataset's protocol preprocessing first, so that the user's own overrides win
        size = load_config(args.config or "default", overrides).model.image_size
        overrides = protocol_preprocessing(args.data).overrides(size) + overrides
    if args.data is not None:
        overrides = [*overrides, f"data.source={args.data}"]
    if args.data_root is not None:
        overrides = [*overrides, f"data.root={args.data_root}"]
        if args.data is None:
            overrides.append("data.source=image-folder")
    return overrides


def _shard(args: argparse.Namespace) -> None:
    from landmarks.config_catalog import require_fit_config
    from landmarks.config_loading import load_config
    from landmarks.data.shard_format import require_webdataset
    from landmarks.training.data import data_image_size

    require_webdataset()
    if args.config is not None:
        require_fit_config(args.config)
    config = load_config(args.config or "default", _with_data_options(args, list(args.overrides)))
    from landmarks.data.shard_writer import write_shards

    workers = args.workers if args.workers is not None else _usable_cpus()
    manifest = write_shards(config.data, data_image_size(config), args.output,
                            units_per_shard=args.shard_size, clip_frames=args.clip_frames,
                            image_format=args.image_format, workers=workers, frame_step=args.frame_step)
    logger.info("%d shard(s), %d training %s an epoch, %d validation items: %s  (landmarks fit --data shards "
                "--data-root %s)", len(manifest.shards), manifest.items,
                "images" if manifest.kind == "images" else "pairs", manifest.validation or 0, args.output,
                args.output)


def _usable_cpus() -> int:
    from landmarks.data.preloaded import usable_cpus

    return usable_cpus()


def _check_resume_options(args: argparse.Namespace) -> None:
    if args.config is not None:
        raise LandmarksError("give either --config or --resume: a resumed run keeps its own config")
    if args.overwrite or args.output is not None:
        raise LandmarksError("--resume continues the run in its own folder: it takes no --output "
                             "or --overwrite")


def _print_config(args: argparse.Namespace, overrides: list[str]) -> None:
    """The resolved config (every field) as YAML on standard output; nothing is trained or written."""
    import yaml

    from landmarks.config_loading import load_config, to_dict
    from landmarks.training.fit import resolve_resume, resume_config

    if args.resume:
        config = resume_config(resolve_resume(args.resume)[0], overrides)
    else:
        config = load_config(args.config or "default", overrides)
    sys.stdout.write(yaml.safe_dump(to_dict(config), sort_keys=False))


def _help_config() -> None:
    from landmarks.config import ExperimentConfig
    from landmarks.config_fields import describe_fields, format_field_help

    sys.stdout.write("Config fields of landmarks fit (in a YAML file, or overrides dotted.key=value):\n")
    sys.stdout.write(format_field_help(describe_fields(ExperimentConfig)) + "\n")


def _configs(args: argparse.Namespace) -> None:
    from landmarks.config_catalog import format_catalog, shipped_configs

    sys.stdout.write(format_catalog(shipped_configs()) + "\n")


def _pretrain_lossnet(args: argparse.Namespace) -> None:
    from landmarks.colourisation.config import load_lossnet_config
    from landmarks.training.fit import resolve_resume
    from landmarks.training.loggers import logger_hint
    from landmarks.training.pretrain_lossnet import pretrain_lossnet, resume_lossnet_config

    overrides = list(args.overrides)
    if args.data is not None:
        overrides.append(f"data.source={args.data}")
    if args.data_root is not None:
        overrides += ([] if args.data is not None else ["data.source=image-folder"]) + [
            f"data.root={args.data_root}"]
    if args.resume:
        _check_resume_options(args)
        run_dir, checkpoint = resolve_resume(args.resume)
        logger.info("resuming %s from %s", run_dir, checkpoint)
        config = resume_lossnet_config(run_dir, overrides)
        run_dir, weights = pretrain_lossnet(config, run_dir=run_dir, resume_from=checkpoint)
    else:
        config = load_lossnet_config(args.config or "lossnet-cpu", overrides)
        run_dir, weights = pretrain_lossnet(config, run_dir=args.output, overwrite=args.overwrite)
    logger.info("run folder: %s  (%s)", run_dir, logger_hint(config.trainer.logger, run_dir))
    logger.info("loss network: %s", weights)


def _evaluate(args: argparse.Namespace) -> None:
    from landmarks.evaluation.annotations import read_annotations
    from landmarks.evaluation.evaluate_model import ProtocolOptions, evaluate_checkpoint

    output = args.output or evaluation_folder(args.model)
    require_folder_output(output)

    def annotations(csv_path: Path | None):
        if csv_path is None:
            return None
        images = args.data_root if args.data is None and args.data_root is not None else csv_path.parent
        return read_annotations(csv_path, images)

    splits = _dataset_splits(args)
    train = annotations(args.train) if args.train is not None else splits and splits.train
    test = annotations(args.test) if args.test is not None else splits and splits.test
    val = annotations(args.val) if args.val is not None else splits and splits.val
    if train is None or test is None:
        raise LandmarksError("give --data NAME --data-root DIR, or --train and --test annotation CSVs")
    eyes = splits.eye_indices if splits is not None and args.eyes is None else (0, 1)
    if args.eyes is not None:
        eyes = tuple(int(i) for i in args.eyes.split(","))
    eyes = None if args.no_normalise else eyes
    if eyes is not None and len(eyes) != 2:
        raise LandmarksError(f"--eyes takes two point indices like 0,1, got {args.eyes}")
    frame = args.frame or (splits.frame if splits is not None else "image")
    pck_scale = splits.pck_scale if splits is not None else 1.0  # BBC-Pose: the toolkit's half frames
    options = ProtocolOptions(eye_indices=eyes, pck_distance=args.pck_distance, bias=args.bias,
                              ridge=args.ridge, draws=args.draws, seed=args.seed, frame=frame,
                              pck_scale=pck_scale)
    # A named dataset is preprocessed by its own protocol, whatever the model was trained on.
    preprocessing = None
    if args.data is not None:
        from landmarks.datasets import protocol_preprocessing

        preprocessing = protocol_preprocessing(args.data)
    result = evaluate_checkpoint(args.model, train=train, test=test, val=val, options=options,
                                 output_dir=output, device=args.device, batch_size=args.batch_size,
                                 preprocessing=preprocessing)
    logger.info("%s", result.table())
    logger.info("results and figures: %s", output)


def _dataset_splits(args: argparse.Namespace):
    """The evaluation splits of ``--data`` under ``--data-root``, or None without ``--data`` (then
    ``--data-root`` is the folder the CSVs' image paths are relative to)."""
    if args.data is None:
        return None
    from landmarks.datasets import open_dataset

    return open_dataset(args.data, args.data_root).evaluation_splits()


def _detect(args: argparse.Namespace) -> int:
    from landmarks.inference import detect_files, load_detector

    require_folder_output(args.output)
    if args.overlay is not None:
        require_folder_output(args.overlay, "--overlay")
    detector = load_detector(args.model, device=args.device, regressor=args.regressor,
                             precision=args.precision)  # says its precision (landmarks.notices)
    summary = detect_files(detector, args.inputs, args.output, overlay_dir=args.overlay,
                           batch_size=args.batch_size, model_name=str(args.model))
    logger.info("landmarks of %d images and video frames (%d files): %s/landmarks.csv, landmarks.json",
                summary.frames, summary.files, args.output)
    if summary.skipped:
        logger.warning("skipped %d file(s) that could not be read, or not wholly (listed above and in "
                       "landmarks.json)", len(summary.skipped))
        return 1
    return 0


def _export(args: argparse.Namespace) -> None:
    from landmarks.models.checkpoint import EXPORTED_WEIGHTS, load_trained_model
    from landmarks.models.export import export_model
    from landmarks.staged_folder import staged_folder

    _check_export_output(args.output, overwrite=args.overwrite, marker=EXPORTED_WEIGHTS)
    for option, path in (("--regressor", args.regressor), ("--metrics", args.metrics)):
        if path is not None and not path.is_file():
            raise LandmarksError(f"{option} {path}: file does not exist")
    trained = load_trained_model(args.model)
    with staged_folder(args.output) as staging:  # the old export is replaced whole, or not at all
        written = export_model(trained, staging, onnx=args.onnx)
        if args.hub_card:
            from landmarks.models.hub import write_hub_card

            written += write_hub_card(trained, staging, regressor=args.regressor, metrics=args.metrics)
    for path in written:
        logger.info("wrote %s", args.output / path.name)


def _check_export_output(output: Path, *, overwrite: bool, marker: str) -> None:
    """An export goes to a new or empty folder, or with ``--overwrite`` replaces an earlier export
    (a folder holding ``marker``), as ``fit --overwrite`` replaces only a run folder."""
    from landmarks.training.run_folder import check_replaceable

    require_folder_output(output)
    present = sorted(path.name for path in output.iterdir()) if output.is_dir() else []
    check_replaceable(output, present, overwrite=overwrite, marker=marker, label=f"--output {output}",
                      kind="export")


def _serve(args: argparse.Namespace) -> None:
    import landmarks
    from landmarks.serve import make_server

    detector = landmarks.load(args.model, device=args.device)
    try:
        server = make_server(detector, host=args.host, port=args.port, title=str(args.model))
    except OSError as error:
        reason = error.strerror or error
        raise LandmarksError(f"cannot listen on {args.host}:{args.port} ({reason})") from None
    host, port = server.server_address[:2]
    logger.info("serving %s at http://%s:%d/  (Ctrl-C stops)", args.model, host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _convert_imm(args: argparse.Namespace) -> None:
    from landmarks.convert.imm import convert_imm

    for path in convert_imm(args.checkpoint, args.output, name=args.name):
        logger.info("wrote %s", path)
    logger.info("use it as any export, e.g. landmarks evaluate %s --data celeba --data-root DIR "
                "(aflw for the AFLW models)", args.output)


def _demo(args: argparse.Namespace) -> None:
    from landmarks.demo import run_demo

    if args.output is not None:
        require_folder_output(args.output)
    report = run_demo(minutes=args.minutes, output_dir=args.output, overrides=list(args.overrides))
    logger.info("demo report: %s", report)


def _synth(args: argparse.Namespace) -> None:
    require_folder_output(args.output)
    if args.kind == "wild-faces":
        return _synth_wild_faces(args)
    from landmarks.config_loading import load_config
    from landmarks.synthetic.body_videos import write_body_evaluation_set

    if args.count is not None or args.test_count:
        raise LandmarksError("--count and --test-count are for wild-faces; bodies take --videos and "
                             "--train-videos")
    args.videos = 60 if args.videos is None else args.videos
    args.frames = 100 if args.frames is None else args.frames
    if min(args.videos, args.train_videos, args.frames, args.every) < 1 or not 32 <= args.size <= 256:
        raise LandmarksError("--videos, --train-videos, --frames and --every must be at least 1, "
                             f"--size 32 to 256; got {args.videos}, {args.train_videos}, {args.frames}, "
                             f"{args.every}, {args.size}")
    config = load_config(args.config, list(args.overrides))
    written = write_body_evaluation_set(args.output, config.data, train_videos=args.train_videos,
                                        test_videos=args.videos, frames=args.frames, size=args.size,
                                        every=args.every, mp4=not args.no_mp4)
    train, test = written.train_videos, written.test_videos
    logger.info("synthetic bodies of collection %s, never trained on by %s: videos %d-%d in %s, %d-%d in %s",
                config.data.synthetic_seed, args.config, train.start, train.stop - 1, written.train_csv,
                test.start, test.stop - 1, written.test_csv)


def _synth_wild_faces(args: argparse.Namespace) -> None:
    from landmarks.synthetic.wild_face_files import write_wild_face_videos, write_wild_faces

    count = 20000 if args.count is None else args.count
    frames = 50 if args.frames is None else args.frames
    videos = 0 if args.videos is None else args.videos
    if min(count, args.test_count, videos) < 0 or min(frames, args.workers) < 1 or not 32 <= args.size <= 256:
        raise LandmarksError(f"--count, --test-count and --videos must be at least 0, --frames and --workers "
                             f"at least 1, --size 32 to 256; got {count}, {args.test_count}, {videos}, "
                             f"{frames}, {args.workers}, {args.size}")
    written = dict(size=args.size, seed=args.seed, workers=args.workers)
    logger.info("wild synthetic faces of collection %s at %s px:", args.seed, args.size)
    if count:
        train = write_wild_faces(args.output, "train", start=0, count=count, **written)
        logger.info("  faces 0-%d: %s", count - 1, train)
    if args.test_count:
        test = write_wild_faces(args.output, "test", start=count, count=args.test_count, **written)
        logger.info("  faces %d-%d (other identities): %s", count, count + args.test_count - 1, test)
    if videos:
        csv_path = write_wild_face_videos(args.output, videos=range(videos), frames=frames, **written)
        logger.info("  %d identity videos of %d frames: %s "
                    "(landmarks fit --data frame-folders --data-root %s)", videos, frames, csv_path,
                    args.output / "videos")


def _report(args: argparse.Namespace) -> None:
    from landmarks.report import build_report, check_report_images, collect_run_sections

    path = build_report(args.run, title=args.title or f"landmarks run {args.run.name}",
                        sections=collect_run_sections(args.run))
    logger.info("report: %s", path)
    for problem in check_report_images(path):  # e.g. a PNG cut short by a run still writing it
        logger.warning("image will not show: %s", problem)


def _track(args: argparse.Namespace) -> None:
    import landmarks
    from landmarks.tracking import tracking_figures

    require_folder_output(args.output)
    model = landmarks.load(args.model, device=args.device)
    paths = tracking_figures(model, args.video, args.output, every=args.every, strip_frames=args.frames,
                             columns=args.columns, max_frames=args.max_frames)
    logger.info("tracking figures: %s", ", ".join(str(path) for path in paths))


def _transfer(args: argparse.Namespace) -> None:
    from landmarks.transfer import transfer_figure

    output = args.output if args.output.suffix and not args.output.is_dir() else args.output / "transfer.png"
    require_folder_output(output.parent)
    path = transfer_figure(args.model, args.sources, args.targets, output, limit=args.max,
                           show_landmarks=args.show_landmarks, device=args.device)
    logger.info("transfer grid: %s", path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="landmarks",
        description="Unsupervised learning of object landmarks through conditional image generation.")
    parser.add_argument("--version", action="version", version=f"landmarks {__version__}",
                        help="print the version and exit")
    add_verbosity(parser, top_level=True)
    commands = _Subcommands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))

    fit = commands.add_parser("fit", help="train a landmark model",
                              description="Train detector, encoder and generator on image pairs. "
                                          "--help-config lists every config field; --print-config shows "
                                          "the resolved config without training.")
    fit.add_argument("--config", help="YAML config file, or a shipped config name (cpu, paper-128, ...: "
                                      "landmarks configs lists them; default: default)")
    fit.add_argument("--data", help="training source (synthetic-faces, synthetic-wild-faces, "
                                    "synthetic-bodies, image-folder, video-folder, frame-folders, "
                                    "multi-view, shards) or a dataset name (celeba, aflw, svhn, "
                                    "smallnorb-car, bbc-pose, human36m, voxceleb, ...: docs/datasets.md)")
    fit.add_argument("--data-root", type=Path, help="folder of training images or videos, or of shards "
                                                    "(without --data: image-folder)")
    fit.add_argument("--output", type=Path, help="run folder to create (default: output_dir/name-timestamp)")
    add_deprecated(fit, "--run-dir", "--output", "output", type=Path)
    fit.add_argument("--resume", type=Path, metavar="MODEL", help="run folder (or checkpoint) to continue")
    fit.add_argument("--init-from", type=Path, metavar="MODEL",
                     help="start a NEW run from this model's weights: a checkpoint, run folder or "
                          "export folder (fine-tuning; the source is left untouched)")
    fit.add_argument("--restore-optim", action="store_true",
                     help="with --init-from a checkpoint or run: also its optimiser state, schedule and "
                          "step (the released code's AFLW fine-tuning)")
    fit.add_argument("--overwrite", action="store_true",
                     help="replace the run in an existing --output folder (refused otherwise)")
    fit.add_argument("--print-config", action="store_true",
                     help="print the resolved config (every field, overrides applied) as YAML and exit")
    fit.add_argument("--help-config", action="store_true",
                     help="list every config field with its type, default and meaning, and exit")
    fit.add_argument("overrides", nargs="*", help=OVERRIDES_HELP)
    fit.set_defaults(handler=_fit, trains=True)

    shard = commands.add_parser(
        "shard", help="write a training source as WebDataset shards for fit --data shards",
        description="Convert the training set of a source (an image folder, video or frame folders, "
                    "view groups, a named dataset) into WebDataset tar shards of images resized for the "
                    "config (videos as clips of frames), with the validation items and a manifest; "
                    "train on them with `landmarks fit --data shards --data-root OUTPUT`. An interrupted "
                    "run, started again with the same arguments, writes only the missing shards "
                    "(docs/scaling.md).")
    shard.add_argument("--config", help="the training config (its image size, resize and data settings; "
                                        "default: default)")
    shard.add_argument("--data", help="the source, as for fit (image-folder, video-folder, frame-folders, "
                                      "multi-view, a dataset name, ...)")
    shard.add_argument("--data-root", type=Path, help="the source's folder (without --data: image-folder)")
    shard.add_argument("--output", type=Path, required=True,
                       help="folder for the shards (new, empty, or holding these shards unfinished)")
    add_deprecated(shard, "--out", "--output", "output", type=Path)
    shard.add_argument("--shard-size", type=int, help="images, clips or view groups per shard (default: "
                                                      "2000 images, 64 clips or groups, 1000 pairs)")
    shard.add_argument("--clip-frames", type=int, default=32,
                       help="videos are cut into clips of this many to twice as many frames; pairs are "
                            "drawn within a clip (default 32)")
    shard.add_argument("--frame-step", type=int, default=1,
                       help="keep every n-th frame of a video (default 1: all); the pair gap is divided by n")
    shard.add_argument("--image-format", choices=("jpg", "png"), default="jpg",
                       help="jpg (default, quality 95) or png (lossless, larger)")
    shard.add_argument("--workers", type=int, help="processes writing shards (default: the usable cores)")
    shard.add_argument("overrides", nargs="*", help=OVERRIDES_HELP)
    shard.set_defaults(handler=_shard)

    lossnet = commands.add_parser(
        "pretrain-lossnet", help="train a VGG loss network by colourising gray images (self-supervised)",
        description="Train a VGG-16/19 to predict the colours of gray images (ab bins of Lab, from "
                    "hypercolumns) and save its trunk as a torchvision VGG file for "
                    "`landmarks fit loss.weights=FILE` (see docs/lossnet.md).")
    lossnet.add_argument("--config", help="YAML config file, or a shipped config name "
                                          "(lossnet-cpu, lossnet-gpu; default lossnet-cpu)")
    lossnet.add_argument("--data", help="training source (synthetic-faces, image-folder, ...) or an image "
                                        "dataset name (celeba, ...: docs/datasets.md)")
    lossnet.add_argument("--data-root", type=Path, help="folder of training images (without --data: "
                                                        "image-folder; default: the config's source)")
    lossnet.add_argument("--output", type=Path,
                         help="run folder to create (default: output_dir/name-timestamp)")
    add_deprecated(lossnet, "--run-dir", "--output", "output", type=Path)
    lossnet.add_argument("--resume", type=Path, metavar="MODEL",
                         help="run folder (or checkpoint) to continue")
    lossnet.add_argument("--overwrite", action="store_true",
                         help="replace the run in an existing --output folder (refused otherwise)")
    lossnet.add_argument("overrides", nargs="*", help="config overrides as dotted.key=value, e.g. "
                                                      "model.network=vgg19 trainer.max_steps=1000")
    lossnet.set_defaults(handler=_pretrain_lossnet, trains=True)

    evaluate = commands.add_parser(
        "evaluate", help="regress annotated points from learned landmarks (paper sec. 4)",
        description="Fit a linear map from the K learned landmarks to annotated points on a training "
                    "set and report errors on a test set, with baselines, PCK and sample efficiency.")
    evaluate.add_argument("model", type=Path, metavar="MODEL",
                          help="run folder (its last.ckpt), checkpoint file, or folder from landmarks export")
    evaluate.add_argument("--data", help="a named dataset's evaluation splits instead of CSVs "
                                         "(celeba: MAFL, aflw, bbc-pose; docs/datasets.md)")
    add_deprecated(evaluate, "--dataset", "--data", "data")
    evaluate.add_argument("--data-root", type=Path, help="the folder of --data, as distributed; with "
                                                         "--train/--test CSVs: the folder their image "
                                                         "paths are relative to (default: each CSV's own)")
    evaluate.add_argument("--train", type=Path, help="annotation CSV for fitting the map "
                                                     "(instead of --dataset's)")
    evaluate.add_argument("--test", type=Path, help="annotation CSV for reporting errors "
                                                    "(instead of --dataset's)")
    evaluate.add_argument("--val", type=Path, help="annotation CSV for choosing the ridge strength")
    add_deprecated(evaluate, "--root", "--data-root", "data_root", type=Path)
    evaluate.add_argument("--output", type=Path, help="folder for metrics and figures (default: "
                                                      "MODEL/evaluation for a folder, RUN/evaluation for "
                                                      "RUN/checkpoints/*.ckpt, else beside the file)")
    evaluate.add_argument("--eyes", help="indices of the two points whose distance normalises errors "
                                         "(default: the dataset's, or 0,1: MAFL's eyes)")
    evaluate.add_argument("--no-normalise", action="store_true",
                          help="no inter-ocular normalisation (bodies): report pixel errors and PCK")
    evaluate.add_argument("--frame", choices=("image", "model-input"),
                          help="regress and measure in each image's own pixels, or in the model input's "
                               "(after resize and crop) as the paper does for MAFL and AFLW (default: "
                               "the dataset's protocol; image for CSVs)")
    evaluate.add_argument("--pck-distance", type=float, default=6.0, help="PCK threshold in pixels")
    evaluate.add_argument("--bias", action="store_true", help="fit the map with an intercept")
    evaluate.add_argument("--ridge", action="store_true", help="ridge regression, strength chosen on --val")
    evaluate.add_argument("--draws", type=int, default=10, help="random draws per sample-efficiency size")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the sample-efficiency draws")
    add_device(evaluate)
    evaluate.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default 32)")
    evaluate.set_defaults(handler=_evaluate)

    detect = commands.add_parser(
        "detect", help="find the learned landmarks on images, folders and videos",
        description="Write the K learned landmarks of every image and video frame, in pixels of the "
                    "original image, to OUTPUT/landmarks.csv and landmarks.json. Unreadable files are "
                    "reported and skipped; the exit status is then 1 (see docs/using-a-model.md).")
    detect.add_argument("model", type=Path, metavar="MODEL",
                        help="run folder, checkpoint, or folder from landmarks export")
    detect.add_argument("inputs", nargs="+", type=Path, help="image files, video files, folders of them")
    detect.add_argument("--output", type=Path, default=Path("detections"),
                        help="folder for landmarks.csv and landmarks.json (default: detections)")
    add_deprecated(detect, "--out", "--output", "output", type=Path)
    detect.add_argument("--overlay", type=Path, help="folder for overlay images (PNG) and videos (MP4)")
    detect.add_argument("--regressor", type=Path, help="regressor.safetensors from landmarks evaluate: "
                                                       "also write the annotated-style points")
    detect.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default 32)")
    add_device(detect)
    detect.add_argument("--precision", default="auto", choices=["auto", "32-true", "bf16-mixed"],
                        help="auto (default): bfloat16 autocast where the device computes it natively "
                             "and fast, as in training; 32-true: float32")
    detect.set_defaults(handler=_detect)

    export = commands.add_parser(
        "export", help="write a model as safetensors + config (and ONNX), loadable without pickle",
        description="Write OUTPUT/model.safetensors and OUTPUT/config.yaml (read back by landmarks.load "
                    "and landmarks detect), and with --onnx the detector as OUTPUT/detector.onnx.")
    export.add_argument("model", type=Path, metavar="MODEL", help="run folder, checkpoint or export folder")
    export.add_argument("--output", type=Path, required=True, help="folder to write")
    add_deprecated(export, "--out", "--output", "output", type=Path)
    export.add_argument("--overwrite", action="store_true",
                        help="replace an earlier export in OUTPUT (whole: the new files are written beside "
                             "it and renamed into place at the end)")
    export.add_argument("--onnx", action="store_true", help="also export the detector as ONNX: input "
                        "(B, 3, S, S) RGB in [0, 1]; outputs keypoints (B, K, 2) in [-1, 1], scores")
    export.add_argument("--hub-card", action="store_true",
                        help="also write OUTPUT/README.md, a model card (config, metrics, usage) for a "
                             "model hub; upload the folder with the hub's tool")
    export.add_argument("--regressor", type=Path, help="with --hub-card: regressor.safetensors from "
                                                       "landmarks evaluate, copied into OUTPUT")
    export.add_argument("--metrics", type=Path, help="with --hub-card: metrics.json from landmarks "
                                                     "evaluate, copied into OUTPUT and shown on the card")
    export.set_defaults(handler=_export)

    convert = commands.add_parser(
        "convert-imm", help="convert the authors' released TensorFlow checkpoints into an export folder",
        description="Read a TensorFlow checkpoint of the authors' released code (tomasjakab/imm: CelebA "
                    "K = 10/30/50, AFLW fine-tuned) and write OUTPUT/model.safetensors and "
                    "OUTPUT/config.yaml (the released-128 config with model.released_graph: true). Needs "
                    "pip install 'landmarks[convert]' (docs/released-models.md).")
    convert.add_argument("checkpoint", type=Path, metavar="CHECKPOINT",
                         help="checkpoint prefix (e.g. celeba-10pts/model.ckpt), one of its files, or its "
                              "folder")
    convert.add_argument("--output", type=Path, required=True, help="export folder to write")
    add_deprecated(convert, "--out", "--output", "output", type=Path)
    convert.add_argument("--name", help="the converted config's name (default: imm-FOLDER)")
    convert.set_defaults(handler=_convert_imm)

    demo = commands.add_parser(
        "demo", help="train on built-in synthetic faces, evaluate, write an HTML report",
        description="The whole method on a fresh machine: generate synthetic faces, train the CPU-sized "
                    "model within a time budget, evaluate on held-out faces, write figures and a page.")
    demo.add_argument("--minutes", type=float, default=10.0, help="total time budget (default 10)")
    demo.add_argument("--output", type=Path, help="run folder (default runs/demo-<timestamp>)")
    demo.add_argument("overrides", nargs="*", help=OVERRIDES_HELP)
    demo.set_defaults(handler=_demo, trains=True)

    synth = commands.add_parser(
        "synth", help="write annotated synthetic data for evaluation",
        description="bodies: write annotated held-out synthetic body videos (frames as PNG, MP4s, "
                    "annotation CSVs for landmarks evaluate --train/--test) that a config's training never "
                    "sees. wild-faces: write wild synthetic faces as PNGs with train.csv (and test.csv of "
                    "other identities, identity videos as frame folders); see docs/data.md.")
    synth.add_argument("kind", choices=["bodies", "wild-faces"], help="what to write")
    synth.add_argument("--output", type=Path, required=True, help="folder to write")
    add_deprecated(synth, "--out", "--output", "output", type=Path)
    # Many videos with a few frames each: frames of one video are nearly alike, and the figures vary
    # by video (build, framing, clothes). With 40 + 12 videos of 25 frames the mean pose happened to fit
    # the 12 test videos well and the regression overfitted (benchmarks/results/synthetic_bodies-cpu.md).
    synth.add_argument("--videos", type=int,
                       help="bodies: test videos (default 60); wild-faces: identity videos (default 0)")
    synth.add_argument("--train-videos", type=int, default=250,
                       help="bodies: videos for fitting the regressor (default 250)")
    synth.add_argument("--frames", type=int,
                       help="frames per video (default 100 for bodies, 50 for wild-faces)")
    synth.add_argument("--count", type=int, help="wild-faces: training faces (default 20000)")
    synth.add_argument("--test-count", type=int, default=0,
                       help="wild-faces: test faces of other identities (default 0)")
    synth.add_argument("--seed", type=int, default=0, help="wild-faces: collection seed (default 0)")
    synth.add_argument("--workers", type=int, default=1, help="wild-faces: drawing processes (default 1)")
    synth.add_argument("--every", type=int, default=20, help="annotate every n-th frame (default 20)")
    synth.add_argument("--size", type=int, default=64, help="frame side in pixels (default 64)")
    synth.add_argument("--no-mp4", action="store_true", help="no MP4s of the test videos")
    synth.add_argument("--config", default="bodies-cpu",
                       help="the training config whose videos to avoid (default bodies-cpu)")
    synth.add_argument("overrides", nargs="*", help=OVERRIDES_HELP)
    synth.set_defaults(handler=_synth)

    report = commands.add_parser("report", help="collect a run's metrics and figures into one HTML page")
    report.add_argument("run", type=Path, metavar="MODEL", help="run folder (writes MODEL/report.html)")
    report.add_argument("--title", help="page title (default: landmarks run NAME)")
    report.set_defaults(handler=_report, computes=False)  # HTML only: no torch to import

    transfer = commands.add_parser(
        "transfer", help="render sources' appearance at targets' landmarks (supplement sec. 8)",
        description="A grid of Psi(source, Phi(target)): rows keep a source's appearance, columns a "
                    "target's geometry; the first row shows the targets, the first column the sources.")
    transfer.add_argument("model", type=Path, metavar="MODEL",
                          help="run folder (its last.ckpt), checkpoint file, or folder from landmarks export")
    transfer.add_argument("--sources", type=Path, nargs="+", required=True,
                          help="image files or folders: the appearances (rows)")
    transfer.add_argument("--targets", type=Path, nargs="+", required=True,
                          help="image files or folders: the geometries (columns)")
    transfer.add_argument("--output", type=Path, default=Path("transfer.png"),
                          help="PNG file to write, or a folder for OUTPUT/transfer.png "
                               "(default: transfer.png)")
    transfer.add_argument("--max", type=int, default=8, help="at most this many sources and targets each")
    transfer.add_argument("--show-landmarks", action="store_true", help="draw the targets' landmarks")
    add_device(transfer)
    transfer.set_defaults(handler=_transfer)

    track = commands.add_parser(
        "track", help="landmarks through a video: filmstrip and trajectories (paper Fig. 5)",
        description="Find the learned landmarks of every frame of a video (or a folder of frame images) "
                    "and draw every n-th frame with its landmarks and each landmark's path over time.")
    track.add_argument("model", type=Path, metavar="MODEL", help="run folder, checkpoint, or export folder")
    track.add_argument("video", type=Path, help="video file, or a folder of frame images (name order)")
    track.add_argument("--output", type=Path, default=Path("tracking"),
                       help="folder for filmstrip.png and trajectories.png (default ./tracking)")
    track.add_argument("--every", type=int, default=1, help="the filmstrip shows every n-th frame")
    track.add_argument("--frames", type=int, default=8, help="frames in the filmstrip")
    track.add_argument("--columns", type=int, help="filmstrip frames per row (default: one row)")
    track.add_argument("--max-frames", type=int, default=3000, help="track at most this many frames")
    add_device(track)
    track.set_defaults(handler=_track)

    serve = commands.add_parser(
        "serve", help="a local web page: drop an image or a short video, see its landmarks",
        description="Serve a page on this machine where a dropped image or short video (up to 300 "
                    "frames) is shown with the model's landmarks drawn (see docs/using-a-model.md).")
    serve.add_argument("model", type=Path, metavar="MODEL", help="run folder, checkpoint, or export folder")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free)")
    add_device(serve)
    serve.set_defaults(handler=_serve)

    configs = commands.add_parser("configs", help="list the shipped configs, one line each",
                                  description="The configs shipped with the package: name (for --config), "
                                              "the command that reads it, and what it is for.")
    configs.set_defaults(handler=_configs, computes=False)
    return parser


class _Subcommands:
    """The subparsers action, adding ``-v`` / ``-q`` to every subcommand as it is made."""

    def __init__(self, action):
        self.action = action

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        parser = self.action.add_parser(name, **kwargs)
        add_verbosity(parser, top_level=False)
        return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # argparse fills a positional nargs="*" only once: overrides after an option
    # (`fit a=1 --run-dir D b=2`) come back here and are overrides all the same.
    if extra and hasattr(args, "overrides") and not any(item.startswith("-") for item in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "trains", False) and not (getattr(args, "print_config", False)
                                               or getattr(args, "help_config", False)):
        # Lightning sets its loggers to INFO with a handler of its own when it is imported: imported
        # first, so that setup_logging's levels (banners only with -v) hold for the whole run.
        import lightning.pytorch  # noqa: F401
    setup_logging(args.command, verbosity=args.verbose - args.quiet)
    for line in deprecation_lines(args):
        logger.warning("%s", line)
    if getattr(args, "computes", True):
        from landmarks.denormals import flush_denormals
        from landmarks.hardware.allocator import keep_freed_memory

        flush_denormals()  # before torch creates its threads (see landmarks.denormals)
        keep_freed_memory()  # before the first large allocation (see landmarks.hardware.allocator)
    try:
        if hasattr(args, "device"):
            args.device = resolve_device(args.device)
        status = args.handler(args)  # None, or the status of a command that partly succeeded
    except LandmarksError as error:
        logger.error("%s", one_line(str(error)))
        return 2
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
