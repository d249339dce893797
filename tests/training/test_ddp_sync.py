"""Two CPU processes (gloo) stay in step: the same weights and loss normaliser, different data, one
set of checkpoints, and a resumed two-process run continues from them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from landmarks.cli import main
from landmarks.training.fit import RUN_DIR_ENV

# Run as a script, so that Lightning's launcher re-runs it (and its recording callback) for rank 1.
RECORDING_FIT = textwrap.dedent('''
    import os, sys
    from pathlib import Path
    import lightning as L
    import torch
    from landmarks import cli
    from landmarks.training import fit as fit_file

    class RecordRank(L.Callback):
        """Saves what each process holds at the end: weights, normaliser means, its first batch."""
        def __init__(self):
            self.first_batch = None
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            if self.first_batch is None:
                self.first_batch = batch["image"].clone()
        def on_train_end(self, trainer, module):
            state = {k: v.detach().clone() for k, v in module.model.state_dict().items()}
            torch.save({"model": state, "means": module.loss.running_means.clone(),
                        "first_batch": self.first_batch, "step": trainer.global_step},
                       Path(os.environ["RANK_DUMPS"]) / f"rank{trainer.global_rank}.pt")

    building = fit_file.build_trainer
    def build_trainer(config, run_dir):
        trainer = building(config, run_dir)
        trainer.callbacks.append(RecordRank())
        return trainer
    fit_file.build_trainer = build_trainer
    sys.exit(cli.main(sys.argv[1:]))
''')


def _fit_two_processes(tmp_path, dumps, *arguments: str) -> subprocess.CompletedProcess:
    script = tmp_path / "recording_fit.py"
    script.write_text(RECORDING_FIT)
    dumps.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key != RUN_DIR_ENV}
    env.update(OMP_NUM_THREADS="1", RANK_DUMPS=str(dumps))
    command = [sys.executable, str(script), "fit", *arguments, "trainer.devices=2", "trainer.strategy=ddp"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _ranks(dumps) -> tuple[dict, dict]:
    return tuple(torch.load(dumps / f"rank{r}.pt", weights_only=False) for r in (0, 1))


@pytest.mark.slow
def test_two_processes_stay_in_step_and_resume(tmp_path, training):
    run = tmp_path / "run"
    first = _fit_two_processes(tmp_path, tmp_path / "first", "--run-dir", str(run), *training.tiny,
                               "trainer.max_steps=3", "trainer.checkpoint_every=3", "trainer.val_every=3",
                               "trainer.log_every=1", "trainer.sync_batchnorm=true")
    assert first.stdout.count("run folder:") == 1  # rank 0 alone prints it
    zero, one = _ranks(tmp_path / "first")
    assert zero["step"] == one["step"] == 3
    for key, value in zero["model"].items():  # parameters and batch-norm statistics alike
        assert torch.equal(value, one["model"][key]), key
    assert torch.equal(zero["means"], one["means"])
    assert not torch.equal(zero["means"], torch.tensor([100.0]))  # it did move
    assert not torch.equal(zero["first_batch"], one["first_batch"])  # each rank its own images
    names = sorted(path.name for path in (run / "checkpoints").iterdir())
    assert names == ["last.ckpt", "step-0000003.ckpt"]  # written once, not once per process
    saved = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert torch.equal(saved["state_dict"]["loss.running_means"], zero["means"])

    resumed = _fit_two_processes(tmp_path, tmp_path / "resumed", "--resume", str(run), "trainer.max_steps=5")
    assert resumed.stdout.count("resuming") == 1
    zero, one = _ranks(tmp_path / "resumed")
    assert zero["step"] == one["step"] == 5
    for key, value in zero["model"].items():
        assert torch.equal(value, one["model"][key]), key
    assert torch.equal(zero["means"], one["means"])
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 5


@pytest.mark.parametrize("variables", [{"WORLD_SIZE": "2", "RANK": "1"},
                                       {"SLURM_NTASKS": "4", "SLURM_PROCID": "0"}])
def test_processes_started_by_torchrun_or_srun_need_one_run_folder(tmp_path, monkeypatch, capsys,
                                                                  training, variables):
    monkeypatch.delenv(RUN_DIR_ENV, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    status = main(["fit", *training.tiny, f"output_dir={tmp_path / 'runs'}", "trainer.max_steps=1"])
    assert status == 2
    assert "--run-dir" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # nothing made
