"""Atomic file writes: a reader (or a resumed run) sees the old file or the new one, never a torn one.

Every file fovex writes for later reading (result parts and maps, manifests, exports, executed
notebooks) goes through :func:`atomic_writer`: the bytes go to a temporary sibling
``.<name>.<random>.tmp``, are fsynced, and one ``os.replace`` puts them in place. A killed writer
leaves at most that temporary file behind (:func:`fovex.evaluation.store.remove_temporary_files` sweeps them).

A write that the system refuses (a read-only folder, a file where a folder should be, a full disk)
raises :class:`OutputError`, an ``OSError`` whose message names the file and the reason in one line;
the commands report it and exit with status 2.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["OutputError", "atomic_write_bytes", "atomic_writer", "check_output_file", "save_npz", "writable_folder"]


class OutputError(OSError):
    """A file or folder could not be written; ``str()`` is one line naming it and why.

    An ``OSError`` (``errno`` and ``filename`` kept), so code that handles a failed write keeps working."""

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


_HINTS = {
    errno.ENOSPC: "; free some space and rerun (finished work is kept)",
    errno.EDQUOT: "; free some space and rerun (finished work is kept)",
    errno.EROFS: " (a read-only file system)",
}


def output_error(path: str | os.PathLike, error: OSError) -> OutputError:
    """``error`` (raised while writing ``path``) as an :class:`OutputError` that says what is wrong."""
    if isinstance(error, OutputError):
        return error
    path = Path(path)
    reason = error.strerror or str(error)
    if isinstance(error, (FileExistsError, NotADirectoryError)) or error.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            reason = f"{blocker} is a file, not a folder"
    elif isinstance(error, IsADirectoryError) or error.errno == errno.EISDIR:
        reason = "it is a folder; name a file"
    return OutputError(error.errno or errno.EIO, reason + _HINTS.get(error.errno, ""), str(path))


def check_output_file(path: str | os.PathLike) -> Path:
    """Raise :class:`OutputError` when ``path`` cannot become a file: it is a folder, or a file stands
    where one of its folders should be. Found before anything is written."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(errno.EISDIR, "it is a folder; name a file", str(path))
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(errno.ENOTDIR, f"{blocker} is a file, not a folder", str(path))
    return path


def writable_folder(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and check a file can be created in it (as :func:`atomic_writer` does);
    :class:`OutputError` otherwise (a read-only folder, a file in its place, ...)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".fovex-write-check.", suffix=".tmp", dir=folder)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise output_error(folder, error) from None
    return folder


def _umask() -> int:
    """The process's umask (read by setting and restoring it: POSIX has no plain getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one rename.

    ``mode``: ``"wb"`` or ``"w"``. Missing parent folders are created. When the ``with`` body raises,
    the temporary file is deleted and ``path`` is left as it was. The new file gets the mode
    ``open()`` would give it (0666 minus the umask). An ``OSError`` while writing becomes
    :class:`OutputError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise output_error(path, error) from None
    try:
        # mkstemp creates 0600; results are shared (e.g. a cluster's filesystem): use the umask like open() does.
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(descriptor, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise output_error(path, error) from error
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as handle:
        handle.write(data)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``np.savez_compressed(path, **arrays)`` made atomic (the archive is built in memory first)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())
