"""Where ``landmarks evaluate`` writes without ``--output``: beside the model, never two folders up."""

from __future__ import annotations

from landmarks.cli_options import evaluation_folder as _evaluation_folder


def test_a_run_folder_and_its_checkpoints_write_into_the_run(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("name: x\n")
    assert _evaluation_folder(run) == run / "evaluation"
    assert _evaluation_folder(run / "checkpoints" / "step-0000004.ckpt") == run / "evaluation"


def test_a_loose_checkpoint_writes_beside_itself(tmp_path):
    (tmp_path / "models").mkdir()
    loose = tmp_path / "models" / "face.ckpt"
    assert _evaluation_folder(loose) == tmp_path / "models" / "face-evaluation"
    # a folder that happens to be called checkpoints, outside any run, too
    stray = tmp_path / "checkpoints" / "face.ckpt"
    assert _evaluation_folder(stray) == tmp_path / "checkpoints" / "face-evaluation"
