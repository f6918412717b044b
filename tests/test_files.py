"""Atomic writes (fovex.files): the target holds the old bytes or the new ones, and no temporary file stays."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fovex import files


def _leftovers(folder):
    return sorted(path.name for path in folder.glob(".*.tmp"))


def test_write_bytes_creates_folders_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "b.bin"
    files.atomic_write_bytes(target, b"xyz")
    assert target.read_bytes() == b"xyz"
    files.atomic_write_bytes(target, b"replaced")
    assert target.read_bytes() == b"replaced"
    assert _leftovers(target.parent) == []


def test_text_mode_writer(tmp_path):
    with files.atomic_writer(tmp_path / "t.csv", "w") as handle:
        handle.write("a,b\n1,2\n")
    assert (tmp_path / "t.csv").read_text() == "a,b\n1,2\n"
    assert _leftovers(tmp_path) == []


def test_save_npz_round_trips_arrays(tmp_path):
    maps = np.random.default_rng(0).random((2, 3, 3)).astype(np.float16)
    files.save_npz(tmp_path / "c.npz", x=np.arange(3), maps=maps)
    with np.load(tmp_path / "c.npz") as loaded:
        assert loaded["x"].tolist() == [0, 1, 2]
        assert loaded["maps"].dtype == np.float16 and np.array_equal(loaded["maps"], maps)
    assert _leftovers(tmp_path) == []


def test_a_writer_that_raises_leaves_no_file_and_no_temporary(tmp_path):
    with pytest.raises(RuntimeError):
        with files.atomic_writer(tmp_path / "d.bin") as handle:
            handle.write(b"half")
            raise RuntimeError("crash mid-write")
    assert not (tmp_path / "d.bin").exists()
    assert _leftovers(tmp_path) == []  # the temporary file is removed, not left torn


def test_a_writer_that_raises_keeps_the_old_file(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_bytes(b'{"old": true}')
    with pytest.raises(KeyboardInterrupt):  # also on BaseException, e.g. Ctrl-C during a run
        with files.atomic_writer(target) as handle:
            handle.write(b'{"new": ')
            handle.flush()
            raise KeyboardInterrupt
    assert target.read_bytes() == b'{"old": true}'
    assert _leftovers(tmp_path) == []


def test_the_temporary_file_is_a_hidden_sibling_until_the_rename(tmp_path):
    target = tmp_path / "part.parquet"
    with files.atomic_writer(target) as handle:
        handle.write(b"x")
        assert not target.exists()
        (temporary,) = tmp_path.glob(".part.parquet.*.tmp")  # what store.remove_temporary_files sweeps
    assert target.read_bytes() == b"x" and not temporary.exists()


def test_files_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        files.atomic_write_bytes(tmp_path / "shared.bin", b"x")
        assert (tmp_path / "shared.bin").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        files.save_npz(tmp_path / "private.npz", x=np.arange(2))
        assert (tmp_path / "private.npz").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(previous)
