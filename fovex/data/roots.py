"""Where data sets live: the user's data root and the project's shared real-data folder."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ROOT_ENV", "SHARED_DATA_ENV", "default_root", "resolve_root", "shared_data_root"]

#: Environment variable that overrides the default data root (the CLI's ``--data-root`` wins over it).
DATA_ROOT_ENV = "FOVEX_DATA"
#: Environment variable naming the shared real-data folder explicitly (as the test suite's conftest does).
SHARED_DATA_ENV = "FOVEX_SHARED_DATA"


def default_root() -> Path:
    """The data root: ``$FOVEX_DATA`` if set, else ``$XDG_CACHE_HOME/fovex``, else ``~/.cache/fovex``."""
    configured = os.environ.get(DATA_ROOT_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "fovex"


def resolve_root(root: str | os.PathLike | None) -> Path:
    """``root`` as a Path, or :func:`default_root` when it is None."""
    return Path(root).expanduser() if root is not None else default_root()


def shared_data_root() -> Path | None:
    """The project's read-only real-data folder ``../shared/data``, or None when it is absent.

    ``$FOVEX_SHARED_DATA`` when set (None if that folder does not exist); otherwise looked up
    relative to the repository that holds this package, then relative to the working directory and
    its parents (notebooks run from sub-folders).
    """
    configured = os.environ.get(SHARED_DATA_ENV)
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_dir() else None
    repo = Path(__file__).resolve().parents[2]
    starts = [repo, Path.cwd().resolve(), *Path.cwd().resolve().parents]
    for start in starts:
        candidate = start.parent / "shared" / "data"
        if candidate.is_dir() and (candidate / "README.md").is_file():
            return candidate
    return None
