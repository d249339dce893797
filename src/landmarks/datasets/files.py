"""Finding a dataset's expected files under its root, with errors that name what is missing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import scipy.io

from landmarks.errors import DataError

MAX_LISTED_MISSING = 5  # missing files named in an error; the rest are counted
VALIDATION_SHARE = 0.1  # "the last 10% of the training split" (MAFL, AFLW: REFERENCE sec. 4)


def expect_file(root: Path, relative: str, dataset: str) -> Path:
    """``root / relative``, which must be a file of ``dataset`` as distributed."""
    path = root / relative
    if not path.is_file():
        raise DataError(path, f"expected {dataset} file is missing (is {root} the {dataset} folder?)")
    return path


def expect_folder(root: Path, relative: str, dataset: str) -> Path:
    """``root / relative``, which must be a folder of ``dataset`` as distributed."""
    path = root / relative
    if not path.is_dir():
        raise DataError(path, f"expected {dataset} folder is missing (is {root} the {dataset} folder?)")
    return path


def read_lines(path: Path) -> list[str]:
    """The non-blank lines of a text file, stripped."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(path, f"not a UTF-8 text file ({error})") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_files_exist(folder: Path, names: Sequence[str | Path], what: str) -> None:
    """Raise one :class:`DataError` naming the first few of ``names`` missing under ``folder``."""
    missing = [name for name in names if not (folder / name).is_file()]
    if not missing:
        return
    listed = ", ".join(str(name) for name in missing[:MAX_LISTED_MISSING])
    more = f" and {len(missing) - MAX_LISTED_MISSING} more" if len(missing) > MAX_LISTED_MISSING else ""
    raise DataError(folder, f"{len(missing)} {what} not found: {listed}{more}")


def validation_tail(count: int) -> int:
    """How many of a training split's ``count`` items form its validation tail: 10%, rounded half up.

    NOTE(released): Python 2's ``round`` (half away from zero), so 19,000 MAFL images give 1,900 and
    an odd count rounds like the released code, not like Python 3's banker's rounding.
    """
    return int(math.floor(VALIDATION_SHARE * count + 0.5))


def load_mat(path: Path) -> dict:
    """A MATLAB v4-v7.2 ``.mat`` file's variables (scipy); a v7.3 (HDF5) or broken file is a DataError."""
    try:
        return scipy.io.loadmat(path)
    except NotImplementedError:
        raise DataError(path, "a MATLAB v7.3 (HDF5) file; save it with -v7 to read it here") from None
    except (ValueError, OSError, scipy.io.matlab.MatReadError) as error:
        raise DataError(path, f"cannot read as a MATLAB file ({error})") from None
