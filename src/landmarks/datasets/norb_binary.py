"""The NYU "binary matrix" format of the smallNORB files (``*-dat.mat``, ``*-cat.mat``, ``*-info.mat``).

Despite the ``.mat`` suffix these are not MATLAB files (scipy.io cannot read them), and no maintained
library outside the deep-learning frameworks' own dataset code reads them, so we parse them here. The
format (all integers little-endian int32)::

    magic          one of MAGIC_DTYPES: the element type
    ndim           number of dimensions
    dims           max(3, ndim) sizes; only the first ndim count (the rest are 1)
    data           the elements, C order (last dimension fastest)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from landmarks.errors import DataError

MAGIC_DTYPES = {  # smallNORB documentation (NYU)
    0x1E3D4C51: np.dtype("<f4"),  # single-precision matrix
    0x1E3D4C53: np.dtype("<f8"),  # double-precision matrix
    0x1E3D4C54: np.dtype("<i4"),  # integer matrix
    0x1E3D4C55: np.dtype("u1"),  # byte matrix
    0x1E3D4C56: np.dtype("<i2"),  # short matrix
}
MIN_HEADER_DIMS = 3  # the header always holds at least three sizes
MAX_DIMS = 16  # a sanity bound for a corrupt header


def read_binary_matrix(path: Path) -> np.ndarray:
    """One binary-matrix file as a read-only array (memory-mapped) of its header's shape and type."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(8 + 4 * MAX_DIMS)
    if len(head) < 8:
        raise DataError(path, "too short for a binary-matrix header")
    magic, ndim = (int(v) for v in np.frombuffer(head[:8], dtype="<u4"))
    if magic not in MAGIC_DTYPES:
        known = ", ".join(hex(m) for m in MAGIC_DTYPES)
        raise DataError(path, f"magic number {magic:#x} is not a binary-matrix type ({known})")
    slots = max(MIN_HEADER_DIMS, ndim)
    if not 0 < ndim <= MAX_DIMS or len(head) < 8 + 4 * slots:
        raise DataError(path, f"header gives {ndim} dimensions")
    offset = 8 + 4 * slots
    shape = tuple(int(n) for n in np.frombuffer(head[8:offset], dtype="<i4")[:ndim])
    dtype = MAGIC_DTYPES[magic]
    expected = int(np.prod(shape)) * dtype.itemsize
    if any(n < 0 for n in shape) or size - offset != expected:
        raise DataError(path, f"header shape {shape} needs {expected} data bytes, file has {size - offset}")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def write_binary_matrix(path: Path, array: np.ndarray) -> None:
    """Write ``array`` in the same format (for tests and small exports)."""
    magic = next((m for m, d in MAGIC_DTYPES.items() if d == array.dtype.newbyteorder("<")), None)
    if magic is None:
        raise ValueError(f"no binary-matrix type for dtype {array.dtype}")
    dims = list(array.shape) + [1] * (MIN_HEADER_DIMS - array.ndim)
    header = np.array([magic, array.ndim, *dims], dtype="<u4").astype("<i4", casting="unsafe")
    path.write_bytes(header.tobytes() + np.ascontiguousarray(array, dtype=MAGIC_DTYPES[magic]).tobytes())
