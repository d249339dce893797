"""`landmarks fit --init-from MODEL [--restore-optim]`: a new run from another run's model."""

from __future__ import annotations

import hashlib

import pytest
import torch
import yaml

from landmarks.cli import main
from landmarks.models.checkpoint import load_trained_model
from landmarks.models.export import export_model


def checksums(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def source_run(tmp_path_factory, training):
    return training.fit(tmp_path_factory.mktemp("source") / "run", "trainer.max_steps=2",
                        "trainer.val_every=1000", "trainer.checkpoint_every=1000")


def test_weights_only_start_a_new_run_and_leave_the_source_untouched(source_run, tmp_path, training):
    before = checksums(source_run)
    run = training.fit(tmp_path / "new", "trainer.max_steps=1", "optim.lr=0", "trainer.val_every=1000",
                       options=("--init-from", str(source_run)))
    assert checksums(source_run) == before
    record = yaml.safe_load((run / "init_from.yaml").read_text())
    assert record == {"source": str(source_run), "checkpoint": None, "weights": True, "optimizer": False,
                      "step": 0, "source_step": 2}
    old, new = load_trained_model(source_run), load_trained_model(run)
    assert new.step == 1  # a fresh count
    for name, value in old.model.named_parameters():  # lr 0: the weights are the source's
        torch.testing.assert_close(dict(new.model.named_parameters())[name], value)


def test_restore_optim_continues_the_optimiser_and_step_in_a_new_folder(source_run, tmp_path, training):
    before = checksums(source_run)
    run = training.fit(tmp_path / "new", "trainer.max_steps=3", "trainer.val_every=1000",
                       options=("--init-from", str(source_run / "checkpoints" / "last.ckpt"),
                                "--restore-optim"))
    assert checksums(source_run) == before
    checkpoint = training.checkpoint(run / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 3  # the source's 2, then one more
    adam = next(iter(checkpoint["optimizer_states"][0]["state"].values()))
    assert float(adam["step"]) == 3
    assert yaml.safe_load((run / "init_from.yaml").read_text())["optimizer"] is True


def test_an_export_folder_gives_weights(source_run, tmp_path, training):
    export = tmp_path / "export"
    export_model(load_trained_model(source_run), export)
    run = training.fit(tmp_path / "new", "trainer.max_steps=1", "trainer.val_every=1000",
                       options=("--init-from", str(export)))
    assert (run / "init_from.yaml").is_file()
    status = main(["fit", "--run-dir", str(tmp_path / "other"), "--init-from", str(export), "--restore-optim",
                   *training.tiny])
    assert status == 2 and not (tmp_path / "other").exists()


def test_a_model_of_another_shape_is_refused_before_any_folder(source_run, tmp_path, training, capsys):
    status = main(["fit", "--run-dir", str(tmp_path / "new"), "--init-from", str(source_run),
                   *training.tiny, "model.num_landmarks=7"])
    assert status == 2 and not (tmp_path / "new").exists()
    assert "model.num_landmarks: 4 there, 7 here" in capsys.readouterr().err
