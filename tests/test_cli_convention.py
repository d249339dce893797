"""One command-line convention across all subcommands (landmarks.cli_options), checked by walking the
parser; the old spellings still work with a deprecation line; --version, -v / -q, one-line warnings."""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path

import pytest
import torch

from landmarks import __version__
from landmarks.cli import build_parser, main
from landmarks.cli_logging import setup_logging
from landmarks.cli_options import deprecation_lines, device_name, resolve_device

OLD_SPELLINGS = {"--run-dir", "--out", "--dataset", "--root"}
MODEL_POSITIONALS = {"model", "run"}  # dests of positionals naming a run, checkpoint or export


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def visible_actions(parser: argparse.ArgumentParser):
    return [a for a in parser._actions
            if a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)]


def test_every_option_of_every_subcommand_has_help():
    missing = [f"{name} {a.option_strings or a.dest}" for name, parser in subcommands().items()
               for a in visible_actions(parser) if not a.help]
    assert not missing, missing


def test_every_subcommand_spells_shared_options_the_same_way():
    for name, parser in subcommands().items():
        options = {s for a in visible_actions(parser) for s in a.option_strings}
        assert not options & OLD_SPELLINGS, (name, options & OLD_SPELLINGS)
        for action in visible_actions(parser):
            if "output" in action.dest:
                assert action.option_strings == ["--output"], (name, action.option_strings)
            if action.dest in ("data", "data_root"):
                assert action.option_strings == ["--" + action.dest.replace("_", "-")], name
            if not action.option_strings and action.dest in MODEL_POSITIONALS:
                assert action.metavar == "MODEL", (name, action.dest)
            if action.dest == "device":
                assert action.default == "auto" and action.type is device_name, name
        assert {"-v", "-q"} <= options, name


def test_old_spellings_still_work_with_a_deprecation_line():
    parser = build_parser()
    args = parser.parse_args(["detect", "m", "a.png", "--out", "o"])
    assert args.output == Path("o")
    assert deprecation_lines(args) == [
        "--out is deprecated and will be removed in landmarks 0.3: use --output"]
    args = parser.parse_args(["evaluate", "m", "--dataset", "celeba", "--root", "r"])
    assert (args.data, args.data_root) == ("celeba", Path("r"))
    assert len(deprecation_lines(args)) == 2
    assert deprecation_lines(parser.parse_args(["detect", "m", "a.png", "--output", "o"])) == []


def test_devices():
    assert resolve_device("gpu") == "cuda" and resolve_device("cuda:1") == "cuda:1"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["detect", "m", "a.png", "--device", "tpu7"])


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"landmarks {__version__}"


def test_warnings_are_one_plain_line_and_quiet_hides_information(capsys):
    setup_logging("test", verbosity=-1)
    with warnings.catch_warnings():
        setup_logging("test", verbosity=-1)
        warnings.warn("two\nlines", UserWarning, stacklevel=1)
    logging.getLogger("landmarks.x").info("hidden by -q")
    out, err = capsys.readouterr()
    assert err == "landmarks test: warning: two lines\n" and out == ""
    setup_logging("test")
    logging.getLogger("landmarks.x").info("shown")
    assert capsys.readouterr().out == "shown\n"


def test_deprecated_option_is_reported_and_a_lossnet_config_refused_by_fit(capsys, tmp_path):
    run = tmp_path / "run"
    assert main(["fit", "--config", "lossnet-cpu", "--run-dir", str(run)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("landmarks fit: warning: --run-dir is deprecated and will be removed in "
                      "landmarks 0.3: use --output")
    assert err[1].startswith("landmarks fit: error: config 'lossnet-cpu' is a loss network config: "
                             "landmarks pretrain-lossnet --config lossnet-cpu")
    assert len(err) == 2 and not run.exists()


def test_lightning_banners_stay_hidden_after_lightning_is_imported_by_a_training_command():
    # Lightning resets its loggers to INFO when imported; a training command imports it before
    # setting the levels, so "GPU available: ..." shows only with -v.
    import subprocess
    import sys

    code = ("import logging; from landmarks.cli import main; main(['fit', '--config', 'no-such-config']); "
            "import lightning.pytorch; print(logging.getLogger('lightning.pytorch').getEffectiveLevel())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1] == str(logging.WARNING), done.stdout[-500:] + done.stderr
