"""Atomic file writes: a reader (or a resumed run) sees the old file or the new one, never a torn one.

Every file fovex writes for later reading (result parts and maps, manifests, exports, executed
notebooks) goes through :func:`atomic_writer`: the bytes go to a temporary sibling
``.<name>.<random>.tmp``, are fsynced, and one ``os.replace`` puts them in place. A killed writer
leaves at most that temporary file behind (:func:`fovex.store.remove_temporary_files` sweeps them).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_writer", "atomic_write_bytes", "save_npz"]


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
    ``open()`` would give it (0666 minus the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; results are shared (e.g. a cluster's filesystem): use the umask like open() does.
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(descriptor, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
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
