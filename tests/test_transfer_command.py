"""`landmarks transfer`: the appearance/geometry grid of a checkpoint, end to end through the CLI."""

import numpy as np
import pytest
import torch
from PIL import Image

from landmarks.cli import main
from landmarks.config import ExperimentConfig, ModelConfig
from landmarks.config_loading import to_dict
from landmarks.data.preprocess import ResizeSpec, fit_to_model
from landmarks.models import build_model
from landmarks.viz.grids import tensor_to_uint8

SIZE, PAD = 32, 2  # model input size; white pixels between grid cells
# init_std 0.3: untrained outputs of order 1 (with the paper's 0.01 every generated image is black).
SMALL = ModelConfig(image_size=SIZE, num_landmarks=3, base_width=4, generator_width=8, generator_min_width=4,
                    init_std=0.3)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder whose last.ckpt holds an untrained tiny model, in the format `landmarks fit` writes."""
    run = tmp_path_factory.mktemp("run")
    (run / "checkpoints").mkdir()
    torch.manual_seed(0)
    state = {f"model.{k}": v for k, v in build_model(SMALL).state_dict().items()}
    checkpoint = {"hyper_parameters": {"config": to_dict(ExperimentConfig(model=SMALL))}, "state_dict": state}
    torch.save(checkpoint, run / "checkpoints" / "last.ckpt")
    return run


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Three images of different sizes and aspects in a folder."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i, (height, width) in enumerate([(40, 40), (48, 64), (30, 20)]):
        Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(folder / f"im{i}.png")
    return folder


def _cell(grid, row, column):
    top, left = PAD + row * (SIZE + PAD), PAD + column * (SIZE + PAD)
    return grid[top : top + SIZE, left : left + SIZE]


def test_grid_of_a_folder_against_itself(run_dir, images, tmp_path):
    output = tmp_path / "transfer.png"
    code = main(["transfer", str(run_dir), "--sources", str(images), "--targets", str(images),
                 "--output", str(output)])
    assert code == 0
    grid = np.asarray(Image.open(output))
    assert grid.shape == (4 * (SIZE + PAD) + PAD, 4 * (SIZE + PAD) + PAD, 3)

    model = build_model(SMALL)
    model.load_state_dict({k[len("model."):]: v for k, v in torch.load(run_dir / "checkpoints" / "last.ckpt")[
        "state_dict"].items()})
    spec = ResizeSpec(SIZE)  # the default config's resize: stretch to the model's size
    inputs = torch.stack([fit_to_model(np.asarray(Image.open(p)), spec)[0] for p in sorted(images.iterdir())])
    with torch.no_grad():
        plain = tensor_to_uint8(model.eval()(inputs, inputs).reconstruction)  # (3, S, S, 3)
    for i, image in enumerate(tensor_to_uint8(inputs)):
        np.testing.assert_array_equal(_cell(grid, 0, i + 1), image)  # first row: targets
        np.testing.assert_array_equal(_cell(grid, i + 1, 0), image)  # first column: sources
        assert np.abs(_cell(grid, i + 1, i + 1).astype(int) - plain[i]).max() <= 1  # diagonal: reconstruction
    assert (_cell(grid, 0, 0) == 255).all()


def test_files_limit_and_landmarks(run_dir, images, tmp_path):
    output = tmp_path / "grid.png"
    code = main(["transfer", str(run_dir / "checkpoints" / "last.ckpt"), "--sources", str(images / "im2.png"),
                 "--targets", str(images), "--max", "2", "--show-landmarks", "--output", str(output)])
    assert code == 0
    assert np.asarray(Image.open(output)).shape == (2 * (SIZE + PAD) + PAD, 3 * (SIZE + PAD) + PAD, 3)


@pytest.mark.parametrize("flag, value, message", [
    ("--sources", "missing.png", "missing.png: no such image file or folder"),
    ("--targets", "not_an_image.png", "cannot read image"),
    ("--max", "0", "must be >= 1"),
])
def test_bad_input_is_one_line_exit_2(run_dir, images, tmp_path, capsys, flag, value, message):
    (tmp_path / "not_an_image.png").write_text("hello")
    arguments = {"--sources": str(images), "--targets": str(images), "--max": "8"}
    arguments[flag] = value if flag == "--max" else str(tmp_path / value)
    code = main(["transfer", str(run_dir), *[item for pair in arguments.items() for item in pair],
                 "--output", str(tmp_path / "out.png")])
    error = capsys.readouterr().err
    assert code == 2 and message in error and "Traceback" not in error


def test_missing_checkpoint_is_a_weights_error(tmp_path, images, capsys):
    code = main(["transfer", str(tmp_path), "--sources", str(images), "--targets", str(images)])
    assert code == 2 and "checkpoint does not exist" in capsys.readouterr().err
