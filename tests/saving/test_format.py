"""Tests for the format-neutral pieces: stored-value descriptions and dtype conversion rules."""

import pytest

from heft.saving._format import StoredArray, check_readable, convertible


def test_convertible_rules():
    def stored(dtype, numeric=True):
        return StoredArray("k", (), dtype, numeric)

    assert convertible(stored("float64"), "float32")
    assert convertible(stored("bfloat16"), "float32")
    assert convertible(stored("int64"), "float32")
    assert not convertible(stored("complex64"), "float32")
    assert convertible(stored("complex64"), "complex64")
    assert not convertible(stored("|S3", numeric=False), "float32")


def test_stored_array_describe():
    assert StoredArray("layers/d/vars/0", (3, 4), "float32", True).describe() == "(3, 4) float32"


def test_check_readable_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No weights file at '.*nope.bin'"):
        check_readable(str(tmp_path / "nope.bin"), "`.bin`")
    with pytest.raises(IsADirectoryError, match=r"Pass the path of a `.bin` file"):
        check_readable(str(tmp_path), "`.bin`")
