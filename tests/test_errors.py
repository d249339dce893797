"""Errors raised in a data loader's worker come back as the same one-line error."""

from __future__ import annotations

import pytest
from torch.utils.data import DataLoader, Dataset

from landmarks.errors import ConfigError, DataError, worker_message


class Unreadable(Dataset):
    def __init__(self, error: Exception):
        self.error = error

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        raise self.error


@pytest.mark.parametrize("error", [DataError("/data/a.png", "cannot read image"), ConfigError("bad value")])
def test_an_error_in_a_worker_keeps_its_type_and_one_line(error):
    with pytest.raises(type(error)) as caught:
        next(iter(DataLoader(Unreadable(error), num_workers=1)))
    assert str(caught.value) == str(error)
    assert "\n" not in str(caught.value)


def test_worker_message_leaves_other_text_alone():
    assert worker_message("Caught nothing here") == "Caught nothing here"
