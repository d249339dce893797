"""Reading a TensorFlow checkpoint (the V2 ``PREFIX.index`` + ``PREFIX.data-*`` pair that TF 1 and 2
save) as a read-only mapping of variable names to numpy arrays, through TensorFlow's own reader.

TensorFlow is an optional extra (``pip install 'landmarks[convert]'``, which installs ``tensorflow-cpu``),
imported only here and only when a checkpoint is read. A checkpoint is named by its prefix
(``logs/celeba-10pts/model.ckpt``), by any of its files (``model.ckpt.index``, ``.meta``, ``.data-...``)
or by the folder holding it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from landmarks.errors import WeightsError

INSTALL_HINT = "pip install 'landmarks[convert]' (tensorflow-cpu; docs/released-models.md)"
_SUFFIX = re.compile(r"\.(index|meta|data-\d+-of-\d+)$")


def checkpoint_prefix(path: str | Path) -> Path:
    """The checkpoint prefix that ``path`` names (see the module docstring).

    Raises:
        WeightsError: nothing there is a checkpoint, or a folder holds several and names none of them
            in its ``checkpoint`` file.
    """
    path = Path(path)
    if path.is_dir():
        return _prefix_in_folder(path)
    prefix = path.with_name(_SUFFIX.sub("", path.name))
    if not prefix.with_name(prefix.name + ".index").is_file():
        raise WeightsError(f"{path}: no TensorFlow checkpoint there ({prefix.name}.index not found)")
    return prefix


def _prefix_in_folder(folder: Path) -> Path:
    """The checkpoint named in ``folder/checkpoint`` (TF's bookkeeping file), else the only one there."""
    named = folder / "checkpoint"
    if named.is_file():
        match = re.search(r'^model_checkpoint_path:\s*"(.+)"', named.read_text(errors="replace"), re.M)
        if match and (folder / (Path(match.group(1)).name + ".index")).is_file():
            return folder / Path(match.group(1)).name
    indexes = sorted(folder.glob("*.index"))
    if len(indexes) != 1:
        found = ", ".join(p.name[: -len(".index")] for p in indexes) or "none"
        raise WeightsError(f"{folder}: name one TensorFlow checkpoint in this folder (found: {found})")
    return indexes[0].with_suffix("")


class CheckpointVariables(Mapping):
    """Variable name -> numpy array, each read from the checkpoint when asked for."""

    def __init__(self, reader, prefix: Path):
        self._reader = reader
        self._shapes = reader.get_variable_to_shape_map()
        self.prefix = prefix

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._shapes:
            raise KeyError(name)
        return np.asarray(self._reader.get_tensor(name))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._shapes))

    def __len__(self) -> int:
        return len(self._shapes)


def read_tf_checkpoint(path: str | Path) -> CheckpointVariables:
    """The variables of the TensorFlow checkpoint that ``path`` names.

    Raises:
        WeightsError: TensorFlow is not installed, or the files are not a readable checkpoint.
    """
    prefix = checkpoint_prefix(path)
    tf = _import_tensorflow()
    try:
        reader = tf.train.load_checkpoint(str(prefix))
    except Exception as error:  # noqa: BLE001 - TF raises its own error types for damaged files
        reason = " ".join(str(error).split())[:200]
        raise WeightsError(f"{prefix}: not a readable TensorFlow checkpoint ({reason})") from None
    return CheckpointVariables(reader, prefix)


def tensorflow_available() -> bool:
    """Whether TensorFlow can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


def _import_tensorflow():
    if not tensorflow_available():
        raise WeightsError(f"reading TensorFlow checkpoints needs TensorFlow: {INSTALL_HINT}")
    # TF's C++ start-up lines, before the import: its log level, and the oneDNN notice (only a checkpoint
    # is read here, no TF op runs, so oneDNN's numerics do not matter)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf

    return tf
