"""Safe archive extraction (standard library only): zip or tar (any compression).

Every member is checked *before* anything is written: no absolute paths, no ``..``, no symlink or
hardlink pointing outside the target, no path through a symlink, no device files. Archives are
integrity-checked (zip CRCs, a full tar read). A marker file makes a second call a no-op.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

__all__ = ["ArchiveError", "UnsafeArchiveError", "extract_archive"]

log = logging.getLogger(__name__)


class ArchiveError(ValueError):
    """The archive is corrupt, truncated or of an unknown format."""


class UnsafeArchiveError(ArchiveError):
    """The archive would write outside its target (path traversal, links out, devices): refused."""


def _member_parts(name: str, archive: Path) -> tuple[str, ...]:
    """Normalised relative path parts of an archive member; refuses absolute and parent-escaping names."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise UnsafeArchiveError(f"{archive.name}: member {name!r} has an absolute path; refusing to extract")
    parts = tuple(part for part in unified.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(
            f"{archive.name}: member {name!r} points outside the target ('..'); refusing to extract"
        )
    return parts


def _inside(parts: list[str]) -> bool:
    """True when resolving '..' in ``parts`` never climbs above the root."""
    depth = 0
    for part in parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return True


def _check_link(archive: Path, name: str, parts: tuple[str, ...], linkname: str, hard: bool) -> None:
    kind = "hardlink" if hard else "symlink"
    unified = linkname.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise UnsafeArchiveError(f"{archive.name}: {kind} {name!r} -> {linkname!r} is absolute; refusing to extract")
    # A hardlink target is relative to the archive root, a symlink target to the link's folder.
    base = [] if hard else list(parts[:-1])
    if not _inside(base + unified.split("/")):
        raise UnsafeArchiveError(
            f"{archive.name}: {kind} {name!r} -> {linkname!r} points outside the target; refusing to extract"
        )


def _validate_tar(archive: Path, members: list[tarfile.TarInfo]) -> None:
    links = set()
    for member in members:
        parts = _member_parts(member.name, archive)
        if member.issym() or member.islnk():
            _check_link(archive, member.name, parts, member.linkname, hard=member.islnk())
            if member.issym():
                links.add(parts)
        elif not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"{archive.name}: member {member.name!r} is a device or fifo; refusing to extract")
    for member in members:
        parts = _member_parts(member.name, archive)
        # Writing through an archived symlink could escape even when each link looks harmless alone.
        if any(parts[:i] in links for i in range(1, len(parts))):
            raise UnsafeArchiveError(
                f"{archive.name}: member {member.name!r} lies under a symlink; refusing to extract"
            )


def _validate_zip(archive: Path, infos: list[zipfile.ZipInfo]) -> None:
    for info in infos:
        _member_parts(info.filename, archive)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(
                f"{archive.name}: member {info.filename!r} is a symlink; links in zip archives are refused"
            )


def extract_archive(archive: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Safely extract a zip or tar archive into ``target``; returns ``target``.

    Idempotent: a marker ``target/.<archive name>.extracted`` is written after success and a second
    call returns at once. Raises :class:`UnsafeArchiveError` (nothing written) for hostile members and
    :class:`ArchiveError` for corrupt or truncated archives.
    """
    archive, target = Path(archive), Path(target)
    marker = target / f".{archive.name}.extracted"
    if marker.is_file():
        return target
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive")
    if zipfile.is_zipfile(archive):
        extract, names = _extract_zip, _zip_names
    elif _is_tar(archive):
        extract, names = _extract_tar, _tar_names
    else:
        raise ArchiveError(f"{archive.name}: not a zip or tar archive (corrupt or truncated?)")
    new = _new_paths(target, names(archive))
    try:
        count = extract(archive, target)
        marker.write_text(
            json.dumps({"archive": archive.name, "bytes": archive.stat().st_size, "members": count}) + "\n"
        )
    except OSError as error:  # a full disk, a read-only root: what this extraction wrote goes, nothing half-done stays
        _remove(new)
        reason = error.strerror or str(error)
        raise OSError(
            error.errno,
            f"cannot extract {archive.name} into {target}: {reason} (what it wrote is removed; rerun once "
            "that is fixed)",
        ) from error
    return target


def _zip_names(archive: Path) -> list[str]:
    try:
        with zipfile.ZipFile(archive) as handle:
            return handle.namelist()
    except (zipfile.BadZipFile, OSError):
        return []  # the extraction says what is wrong


def _tar_names(archive: Path) -> list[str]:
    try:
        with tarfile.open(archive, "r:*") as handle:
            return handle.getnames()
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return []


def _new_paths(target: Path, names: list[str]) -> list[Path]:
    """The paths an extraction into ``target`` of members ``names`` would create: ``target`` itself when it
    does not exist yet, else the first missing folder or file on the way to each member."""
    if not target.exists():
        return [target]
    new = set()
    for name in names:
        path = target
        for part in (p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")):
            path = path / part
            if not path.exists() and not path.is_symlink():
                new.add(path)
                break
    return sorted(new)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)


def _is_tar(archive: Path) -> bool:
    try:
        return tarfile.is_tarfile(archive)
    except (OSError, tarfile.TarError):
        return False


def _extract_zip(archive: Path, target: Path) -> int:
    try:
        with zipfile.ZipFile(archive) as handle:
            infos = handle.infolist()
            _validate_zip(archive, infos)
            bad = handle.testzip()  # reads every member and checks its CRC
            if bad is not None:
                raise ArchiveError(f"{archive.name}: member {bad!r} is corrupt (CRC mismatch)")
            target.mkdir(parents=True, exist_ok=True)
            for info in infos:
                handle.extract(info, target)
            return len(infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError) as error:
        raise ArchiveError(f"{archive.name}: corrupt or truncated zip ({error})") from error


def _extract_tar(archive: Path, target: Path) -> int:
    try:
        with tarfile.open(archive, "r:*") as handle:
            members = handle.getmembers()  # reads the whole archive: a truncated one fails here
            _validate_tar(archive, members)
            target.mkdir(parents=True, exist_ok=True)
            if hasattr(tarfile, "data_filter"):
                # Python's own 'data' filter as a second line of defence (resolves real paths on disk).
                handle.extractall(target, members=members, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                handle.extractall(target, members=members)
            return len(members)
    except UnsafeArchiveError:
        raise
    except tarfile.FilterError as error:
        raise UnsafeArchiveError(f"{archive.name}: refused by the tar safety filter ({error})") from error
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise ArchiveError(f"{archive.name}: corrupt or truncated tar ({error})") from error
