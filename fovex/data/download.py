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
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from .archives import ArchiveError, UnsafeArchiveError, extract_archive
from .base import DatasetNotFoundError
from .roots import resolve_root
from .sources import IMAGENET_INSTRUCTIONS, REGISTRY, RemoteDataset, RemoteFile

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


class ManualDownloadRequired(DatasetNotFoundError):
    """The data set cannot be fetched automatically; the message says how to get it."""


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
            raise ChecksumError(
                f"{path.name}: {algorithm} is {actual}, expected {expected} (corrupt or truncated download)"
            )


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


def _download(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    md5: str | None,
    progress: bool,
    timeout: float,
    _restarted: bool = False,
) -> dict[str, str]:
    """Download with resume into ``dest.part``, verify, then rename; returns the hex digests {"sha256", "md5"}."""
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": "fovex-data", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        # The scheme is checked by download_file and on every redirect.
        response = _OPENER.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset and not _restarted:
            # Range not satisfiable: the .part is already complete (or longer than the file). Verify it, or restart.
            error.close()
            digests = _new_digests()
            _hash_file_into(part, digests)
            try:
                return _finish(part, dest, digests, sha256, md5)
            except ChecksumError:
                return _download(url, dest, sha256=sha256, md5=md5, progress=progress, timeout=timeout, _restarted=True)
        raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"{url}: {getattr(error, 'reason', error)}") from error

    with response:
        offset, mode = _resume_point(response, url, dest, offset)
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None and length.isdigit() else None
        digests = _new_digests()
        if offset:
            _hash_file_into(part, digests)
        received = _stream(response, part, mode, digests, offset, total, url, progress)
    if total is not None and received != total:
        raise DownloadError(f"{url}: got {received} of {total} bytes; run again to resume from {part.name}")
    return _finish(part, dest, digests, sha256, md5)


def _new_digests() -> dict[str, hashlib._Hash]:
    return {name: hashlib.new(name) for name in ("sha256", "md5")}


def _resume_point(response, url: str, dest: Path, offset: int) -> tuple[int, str]:
    """Where the answer's bytes go: ``(offset, "ab")`` for a matching resume, ``(0, "wb")`` for a whole file."""
    status = response.status
    if status == 206 and offset:
        if _content_range_start(response.headers.get("Content-Range")) != offset:
            raise DownloadError(
                f"{url}: server answered a resume at byte {offset} with {response.headers.get('Content-Range')!r}"
            )
        return offset, "ab"
    if status == 200:
        if offset:
            log.info("%s: server ignored the Range request; restarting from byte 0", dest.name)
        return 0, "wb"
    raise DownloadError(f"{url}: unexpected HTTP status {status}")


def _stream(response, part: Path, mode: str, digests: dict, offset: int, total: int | None, url: str, progress: bool):
    """Append the response body to ``part`` while hashing it; returns the bytes the file holds then."""
    from tqdm.auto import tqdm

    received = offset
    bar = tqdm(
        total=total,
        initial=offset,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=part.name.removesuffix(".part"),
        disable=not progress,
        leave=False,
    )
    try:
        with bar, open(part, mode) as handle:
            while chunk := response.read(_CHUNK):
                handle.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    except (TimeoutError, http.client.IncompleteRead, ConnectionError, OSError) as error:
        raise DownloadError(
            f"{url}: interrupted after {received} bytes ({error}); run again to resume from {part.name}"
        ) from error
    return received


def _finish(part: Path, dest: Path, digests: dict, sha256: str | None, md5: str | None) -> dict[str, str]:
    """Check the digests of the complete ``part``; rename it to ``dest`` or delete it (bad bytes cannot be resumed)."""
    try:
        _check_digests(dest, digests, sha256, md5)
    except ChecksumError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def _hash_file_into(path: Path, digests: dict) -> None:
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            for digest in digests.values():
                digest.update(chunk)


def download_file(
    url: str,
    dest: str | os.PathLike,
    sha256: str | None = None,
    md5: str | None = None,
    *,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
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


# ----------------------------------------------------------------------------- fetch


def _parse_checksum(value: str) -> tuple[str | None, str | None]:
    """'sha256:HEX', 'md5:HEX' or a bare hex digest (64 digits sha256, 32 md5) -> (sha256, md5)."""
    algorithm, _, digest = value.rpartition(":")
    digest = digest.strip().lower()
    algorithm = algorithm.strip().lower() or {64: "sha256", 32: "md5"}.get(len(digest), "")
    if (
        algorithm not in ("sha256", "md5")
        or not re.fullmatch(r"[0-9a-f]+", digest)
        or len(digest) != {"sha256": 64, "md5": 32}[algorithm]
    ):
        raise ValueError(f"checksum {value!r}: expected sha256:<64 hex> or md5:<32 hex>")
    return (digest, None) if algorithm == "sha256" else (None, digest)


def fetch(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    progress: bool = True,
    checksums: Mapping[str, str] | None = None,
    keep_archives: bool = False,
    timeout: float = 60.0,
) -> Path:
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
        raise ValueError(
            f"cannot fetch {name!r}: fetchable data sets are {', '.join(sorted(REGISTRY))} (ImageNet: manual download)"
        )
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
        archive = download_file(
            remote.url, downloads / remote.filename, sha256=sha256, md5=md5, progress=progress, timeout=timeout
        )
        digest = file_digest(archive, "sha256")
        if sha256 is None:
            log.info(
                "%s sha256 %s (pin it with --checksum %s=sha256:%s)", remote.filename, digest, remote.filename, digest
            )
        extract_archive(archive, target)
        record["files"][remote.filename] = {"url": remote.url, "sha256": digest, "bytes": archive.stat().st_size}
    marker.write_text(json.dumps(record, indent=2) + "\n")
    if not keep_archives:
        shutil.rmtree(downloads, ignore_errors=True)
    return target
