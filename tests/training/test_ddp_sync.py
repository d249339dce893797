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
from landmarks.config_loading import load_config
from landmarks.training.fit import RUN_DIR_ENV
from landmarks.training.module import LandmarkLearner, Pair

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


# Records, in each process, the weights before the first step, the pair the step trained on, and the
# weights and batch-norm statistics after it.
FIRST_UPDATE_FIT = textwrap.dedent('''
    import os, sys
    from pathlib import Path
    import lightning as L
    import torch
    from landmarks import cli
    from landmarks.training import fit as fit_file
    from landmarks.training.module import LandmarkLearner

    making = LandmarkLearner.make_pair
    def make_pair(self, batch, generator):
        pair = making(self, batch, generator)
        if self.training and not hasattr(self, "first_pair"):
            names = ("source", "target", "mask")
            self.first_pair = {name: getattr(pair, name).detach().clone() for name in names}
        return pair
    LandmarkLearner.make_pair = make_pair

    def weights(module):
        return {k: v.detach().clone() for k, v in module.model.state_dict().items()}

    class RecordFirstUpdate(L.Callback):
        def on_train_start(self, trainer, module):
            self.before = weights(module)
        def on_train_end(self, trainer, module):
            torch.save({"before": self.before, "after": weights(module), "pair": module.first_pair},
                       Path(os.environ["RANK_DUMPS"]) / f"rank{trainer.global_rank}.pt")

    building = fit_file.build_trainer
    def build_trainer(config, run_dir):
        trainer = building(config, run_dir)
        trainer.callbacks.append(RecordFirstUpdate())
        return trainer
    fit_file.build_trainer = build_trainer
    sys.exit(cli.main(sys.argv[1:]))
''')


def _one_process_step(config, before: dict, pair: dict) -> dict:
    """One training step of one process (plain batch norm) on ``pair``: the module's own forward, loss,
    clipping and optimiser, as Lightning's loop calls them."""
    learner = LandmarkLearner.from_config(config)
    learner.model.load_state_dict(before)
    learner.train()
    optimizer = learner.configure_optimizers()["optimizer"]
    batch = Pair(pair["source"], pair["target"], pair["mask"])
    output = learner._forward(batch)
    learner.loss(output.reconstruction.float(), batch.target, batch.mask).total.backward()
    learner.configure_gradient_clipping(optimizer)
    optimizer.step()
    return learner.model.state_dict()


@pytest.mark.slow
def test_synchronised_batch_norm_makes_two_processes_of_batch_b_one_of_batch_2b(tmp_path, training):
    """The issue's check through `fit` itself: after the first optimiser step of a 2-process run with
    trainer.sync_batchnorm, batch-norm statistics and weights equal those of one process stepping once
    on the two processes' batches together."""
    overrides = [*training.tiny, "trainer.max_steps=1", "trainer.precision=32-true",
                 "optim.schedule=constant", "trainer.sync_batchnorm=true", "data.validation_count=0"]
    script = tmp_path / "first_update_fit.py"
    script.write_text(FIRST_UPDATE_FIT)
    env = {key: value for key, value in os.environ.items() if key != RUN_DIR_ENV}
    env.update(OMP_NUM_THREADS="1", RANK_DUMPS=str(tmp_path))
    command = [sys.executable, str(script), "fit", "--output", str(tmp_path / "run"), *overrides,
               "trainer.devices=2", "trainer.strategy=ddp"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    zero, one = _ranks(tmp_path)
    for key in zero["before"]:
        assert torch.equal(zero["before"][key], one["before"][key]), key  # the same start
    joined = {name: torch.cat([zero["pair"][name], one["pair"][name]]) for name in zero["pair"]}
    assert not torch.equal(zero["pair"]["target"], one["pair"]["target"])  # two different halves
    reference = _one_process_step(load_config("default", overrides), zero["before"], joined)
    statistics = [key for key in reference if key.endswith(("running_mean", "running_var"))]
    assert statistics, "the tiny model has batch norms"
    for key, value in reference.items():
        assert torch.equal(zero["after"][key], one["after"][key]), key  # in step
        if key.endswith("num_batches_tracked"):
            assert int(zero["after"][key]) == int(value) == 1, key
            continue
        # Statistics: the same sums in another order. Weights: Adam's first step is +-lr per weight
        # (m / sqrt(v) = sign of the gradient), the same unless a gradient is ~0 and its sign noise.
        torch.testing.assert_close(zero["after"][key], value, rtol=1e-4, atol=1e-5, msg=key)
