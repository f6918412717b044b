"""Verified, resumable downloads and safe archive extraction (standard library only).

- :func:`download_file`: HTTP(S) GET into ``<dest>.part`` with a tqdm bar; an existing ``.part`` is
  resumed with an HTTP Range request (a server that ignores Range restarts it); the finished file is
  checked against SHA-256 and/or MD5 and only then renamed to ``dest``.
- :func:`extract_archive`: zip or tar (any compression). Every member is checked *before* anything is
  written: no absolute paths, no ``..``, no symlink or hardlink pointing outside the target, no path
  through a symlink, no device files. Archives are integrity-checked (zip CRCs, a full tar read). A
  marker file makes a second call a no-op.
- :func:`fetch`: the registry's archives for a data set, downloaded, verified and extracted under the
  data root, idempotent (a marker after success: a second fetch touches no network).
"""
from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import socket
import stat
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .base import DatasetNotFoundError
from .roots import resolve_root

__all__ = [
    "DownloadError",
    "ChecksumError",
    "ArchiveError",
    "UnsafeArchiveError",
    "ManualDownloadRequired",
    "RemoteFile",
    "RemoteDataset",
    "REGISTRY",
    "IMAGENET_INSTRUCTIONS",
    "download_file",
    "extract_archive",
    "fetch",
    "file_digest",
]

log = logging.getLogger(__name__)


class DownloadError(RuntimeError):
    """A download failed or was interrupted (an interrupted one can be resumed by calling again)."""


class ChecksumError(DownloadError):
    """The downloaded bytes are not the expected ones (the partial file is deleted)."""


class ArchiveError(ValueError):
    """The archive is corrupt, truncated or of an unknown format."""


class UnsafeArchiveError(ArchiveError):
    """The archive would write outside its target (path traversal, links out, devices): refused."""


class ManualDownloadRequired(DatasetNotFoundError):
    """The data set cannot be fetched automatically; the message says how to get it."""


@dataclass(frozen=True)
class RemoteFile:
    """One public archive. ``sha256``/``md5``: published checksums (None when none is published)."""

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    note: str = ""


@dataclass(frozen=True)
class RemoteDataset:
    """A fetchable data set: its archives, extracted into ``<data root>/<subdir>``."""

    name: str
    files: tuple[RemoteFile, ...]
    subdir: str
    description: str = ""


_NO_CHECKSUM = "no published checksum: verified by archive integrity; pin one with --checksum FILE=sha256:HEX"

#: Data sets ``fovex data fetch`` can download. MD5s are the organisers' (as used by torchvision).
REGISTRY: dict[str, RemoteDataset] = {
    "voc2012": RemoteDataset(
        "voc2012",
        (RemoteFile("http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
                    "VOCtrainval_11-May-2012.tar", md5="6cd6e144f989b92b3379bac3b3de84fd"),),  # fmt: skip
        subdir="voc2012",
        description="PASCAL VOC 2012 trainval (2 GB) -> <root>/voc2012/VOCdevkit/VOC2012",
    ),
    "voc2007": RemoteDataset(
        "voc2007",
        (RemoteFile("http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
                    "VOCtrainval_06-Nov-2007.tar", md5="c52e279531787c972589f7e41ab4ae64"),
         RemoteFile("http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
                    "VOCtest_06-Nov-2007.tar", md5="b6e924de25625d8de591ea690078ad9f")),  # fmt: skip
        subdir="voc2007",
        description="PASCAL VOC 2007 trainval + test (0.9 GB) -> <root>/voc2007/VOCdevkit/VOC2007",
    ),
    "mit1003": RemoteDataset(
        "mit1003",
        (RemoteFile("http://people.csail.mit.edu/tjudd/WherePeopleLook/ALLSTIMULI.zip", "ALLSTIMULI.zip", note=_NO_CHECKSUM),
         RemoteFile("http://people.csail.mit.edu/tjudd/WherePeopleLook/ALLFIXATIONMAPS.zip", "ALLFIXATIONMAPS.zip", note=_NO_CHECKSUM)),  # fmt: skip
        subdir="mit1003",
        description="MIT1003 stimuli and fixation maps (Judd et al. 2009) -> <root>/mit1003/{ALLSTIMULI,ALLFIXATIONMAPS}",
    ),
}

IMAGENET_INSTRUCTIONS = """\
ImageNet cannot be downloaded automatically (its terms require registration).
  1. Register at https://image-net.org/download.php and accept the terms.
  2. Download ILSVRC2012_img_val.tar (6.3 GB) and ILSVRC2012_devkit_t12.tar.gz (2.5 MB).
  3. Unpack them into <data root>/imagenet/:
       <data root>/imagenet/val/ILSVRC2012_val_00000001.JPEG ...
       <data root>/imagenet/ILSVRC2012_devkit_t12/data/{ILSVRC2012_validation_ground_truth.txt,meta.mat}
     (class folders <data root>/imagenet/val/<wnid>/*.JPEG work too).
  A one-per-class sample needs no download: open_dataset("imagenet-sample") or "samples"."""

_FETCH_MARKER = ".fovex-fetch.json"
_CHUNK = 1 << 20


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digests(path: Path, digests: dict[str, hashlib._Hash], sha256: str | None, md5: str | None) -> None:
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is None:
            continue
        actual = digests[algorithm].hexdigest()
        if actual.lower() != expected.strip().lower():
            raise ChecksumError(f"{path.name}: {algorithm} is {actual}, expected {expected} (corrupt or truncated download)")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): urllib would otherwise also follow one to ftp."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise DownloadError(f"{req.full_url}: refusing a redirect to {newurl!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def _content_range_start(header: str | None) -> int | None:
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", header or "")
    return int(match.group(1)) if match else None


def _download(url: str, dest: Path, *, sha256: str | None, md5: str | None, progress: bool, timeout: float,
              _restarted: bool = False) -> dict[str, str]:
    """Download with resume; returns the hex digests {"sha256", "md5"} of the complete file."""
    from tqdm.auto import tqdm

    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": "fovex-data", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = _OPENER.open(request, timeout=timeout)  # scheme checked by download_file and on redirects
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset and not _restarted:
            # Range not satisfiable: the .part is already complete (or longer than the file). Verify it, or restart.
            error.close()
            digests = {name: hashlib.new(name) for name in ("sha256", "md5")}
            _hash_file_into(part, digests)
            try:
                _check_digests(dest, digests, sha256, md5)
            except ChecksumError:
                part.unlink()
                return _download(url, dest, sha256=sha256, md5=md5, progress=progress, timeout=timeout, _restarted=True)
            os.replace(part, dest)
            return {name: digest.hexdigest() for name, digest in digests.items()}
        raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"{url}: {getattr(error, 'reason', error)}") from error

    with response:
        status = response.status
        if status == 206 and offset:
            if _content_range_start(response.headers.get("Content-Range")) != offset:
                raise DownloadError(f"{url}: server answered a resume at byte {offset} with {response.headers.get('Content-Range')!r}")
            mode = "ab"
        elif status == 200:
            if offset:
                log.info("%s: server ignored the Range request; restarting from byte 0", dest.name)
            offset, mode = 0, "wb"
        else:
            raise DownloadError(f"{url}: unexpected HTTP status {status}")
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None and length.isdigit() else None

        digests = {name: hashlib.new(name) for name in ("sha256", "md5")}
        if offset:
            _hash_file_into(part, digests)
        received = offset
        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
                   disable=not progress, leave=False)  # fmt: skip
        try:
            with bar, open(part, mode) as handle:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    handle.write(chunk)
                    for digest in digests.values():
                        digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        except (http.client.IncompleteRead, ConnectionError, socket.timeout, OSError) as error:
            raise DownloadError(f"{url}: interrupted after {received} bytes ({error}); run again to resume from {part.name}") from error
    if total is not None and received != total:
        raise DownloadError(f"{url}: got {received} of {total} bytes; run again to resume from {part.name}")
    try:
        _check_digests(dest, digests, sha256, md5)
    except ChecksumError:
        part.unlink(missing_ok=True)  # bad bytes cannot be resumed from
        raise
    os.replace(part, dest)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def _hash_file_into(path: Path, digests: dict) -> None:
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            for digest in digests.values():
                digest.update(chunk)


def download_file(url: str, dest: str | os.PathLike, sha256: str | None = None, md5: str | None = None, *,
                  progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), verify the checksums, return ``dest``.

    An existing ``dest`` is kept when it matches the checksums (or when none is given) and
    re-downloaded otherwise. Raises :class:`ChecksumError` on a mismatch and :class:`DownloadError` on
    network failures or truncation (the ``.part`` is kept so a second call resumes it).
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"only http(s) URLs are downloaded, got {url!r}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file():
        if sha256 is None and md5 is None:
            return dest
        digests = {name: hashlib.new(name) for name in ("sha256", "md5")}
        _hash_file_into(dest, digests)
        try:
            _check_digests(dest, digests, sha256, md5)
            return dest
        except ChecksumError:
            log.warning("%s does not match its checksum; downloading it again", dest)
            dest.unlink()
    _download(url, dest, sha256=sha256, md5=md5, progress=progress, timeout=timeout)
    return dest


# ----------------------------------------------------------------------------- extraction


def _member_parts(name: str, archive: Path) -> tuple[str, ...]:
    """Normalised relative path parts of an archive member; refuses absolute and parent-escaping names."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise UnsafeArchiveError(f"{archive.name}: member {name!r} has an absolute path; refusing to extract")
    parts = tuple(part for part in unified.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive.name}: member {name!r} points outside the target ('..'); refusing to extract")
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
        raise UnsafeArchiveError(f"{archive.name}: {kind} {name!r} -> {linkname!r} points outside the target; refusing to extract")


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
            raise UnsafeArchiveError(f"{archive.name}: member {member.name!r} lies under a symlink; refusing to extract")


def _validate_zip(archive: Path, infos: list[zipfile.ZipInfo]) -> None:
    for info in infos:
        _member_parts(info.filename, archive)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"{archive.name}: member {info.filename!r} is a symlink; links in zip archives are refused")


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
        count = _extract_zip(archive, target)
    elif _is_tar(archive):
        count = _extract_tar(archive, target)
    else:
        raise ArchiveError(f"{archive.name}: not a zip or tar archive (corrupt or truncated?)")
    marker.write_text(json.dumps({"archive": archive.name, "bytes": archive.stat().st_size, "members": count}) + "\n")
    return target


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


# ----------------------------------------------------------------------------- fetch


def _parse_checksum(value: str) -> tuple[str | None, str | None]:
    """'sha256:HEX', 'md5:HEX' or a bare hex digest (64 digits sha256, 32 md5) -> (sha256, md5)."""
    algorithm, _, digest = value.rpartition(":")
    digest = digest.strip().lower()
    algorithm = algorithm.strip().lower() or {64: "sha256", 32: "md5"}.get(len(digest), "")
    if algorithm not in ("sha256", "md5") or not re.fullmatch(r"[0-9a-f]+", digest) or len(digest) != {"sha256": 64, "md5": 32}[algorithm]:
        raise ValueError(f"checksum {value!r}: expected sha256:<64 hex> or md5:<32 hex>")
    return (digest, None) if algorithm == "sha256" else (None, digest)


def fetch(name: str, root: str | os.PathLike | None = None, *, progress: bool = True,
          checksums: Mapping[str, str] | None = None, keep_archives: bool = False, timeout: float = 60.0) -> Path:
    """Download, verify and extract data set ``name`` into ``<root>/<subdir>``; returns that folder.

    ``root``: the data root (default :func:`fovex.data.default_root`). ``checksums``: archive file name
    -> ``"sha256:HEX"`` / ``"md5:HEX"`` pins (override or add to the registry's). Idempotent: after a
    complete fetch a marker is written and later calls return without any network access.
    ``keep_archives``: keep the downloaded archives (in ``<root>/downloads/<name>``) after extraction.
    """
    key = name.lower()
    if key in ("imagenet", "imagenet-val", "imagenet1k", "ilsvrc2012"):
        raise ManualDownloadRequired(IMAGENET_INSTRUCTIONS)
    if key not in REGISTRY:
        raise ValueError(f"cannot fetch {name!r}: fetchable data sets are {', '.join(sorted(REGISTRY))} (ImageNet: manual download)")
    spec = REGISTRY[key]
    data_root = resolve_root(root)
    target = data_root / spec.subdir
    marker = target / _FETCH_MARKER
    if marker.is_file():
        log.info("%s is already fetched in %s", spec.name, target)
        return target
    pins = {filename: _parse_checksum(value) for filename, value in (checksums or {}).items()}
    unknown = set(pins) - {remote.filename for remote in spec.files}
    if unknown:
        raise ValueError(f"checksums given for files {sorted(unknown)} that {spec.name} does not have")
    downloads = data_root / "downloads" / spec.name
    record = {"name": spec.name, "files": {}}
    for remote in spec.files:
        sha256, md5 = pins.get(remote.filename, (remote.sha256, remote.md5))
        if sha256 is None and md5 is None:
            log.warning("%s: %s", remote.filename, remote.note or "no checksum known; relying on archive integrity")
        archive = download_file(remote.url, downloads / remote.filename, sha256=sha256, md5=md5, progress=progress, timeout=timeout)
        digest = file_digest(archive, "sha256")
        if sha256 is None:
            log.info("%s sha256 %s (pin it with --checksum %s=sha256:%s)", remote.filename, digest, remote.filename, digest)
        extract_archive(archive, target)
        record["files"][remote.filename] = {"url": remote.url, "sha256": digest, "bytes": archive.stat().st_size}
    marker.write_text(json.dumps(record, indent=2) + "\n")
    if not keep_archives:
        shutil.rmtree(downloads, ignore_errors=True)
    return target
