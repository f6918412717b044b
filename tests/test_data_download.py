"""fovex.data.download against a loopback HTTP server serving archives generated here."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from fovex.data import download
from fovex.data.download import (
    ArchiveError,
    ChecksumError,
    DownloadError,
    ManualDownloadRequired,
    RemoteDataset,
    RemoteFile,
    UnsafeArchiveError,
    download_file,
    extract_archive,
    fetch,
)

# ----------------------------------------------------------------------------- loopback server


class _Server:
    """Serves ``files`` (path -> bytes) on 127.0.0.1 with HTTP Range support; logs every request.

    ``truncate_after``: path -> byte count after which the body is cut (Content-Length still promises
    the rest), simulating a dropped connection. ``ignore_range``: answer 200 with the whole file.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.truncate_after: dict[str, int] = {}
        self.ignore_range = False
        self.redirects: dict[str, str] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = server.files.get(self.path)
                entry = {"path": self.path, "range": self.headers.get("Range"), "sent": 0}
                server.requests.append(entry)
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if body is None:
                    self.send_error(404)
                    return
                start, status = 0, 200
                range_header = self.headers.get("Range")
                if range_header and not server.ignore_range:
                    start = int(range_header.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    status = 206
                payload = body[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                cut = server.truncate_after.get(self.path)
                if cut is not None:
                    payload = payload[:cut]
                entry["sent"] = len(payload)  # recorded first: the client may finish before write returns
                self.wfile.write(payload)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server():
    srv = _Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


# ----------------------------------------------------------------------------- archives


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str, kind=tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # S_IFLNK: a symlink entry
            archive.writestr(info, target)
    return buffer.getvalue()


GOOD_FILES = {"data/a.txt": b"alpha\n", "data/sub/b.bin": bytes(range(256)) * 64}


def _good_tar() -> bytes:
    return _tar([(_file(name), data) for name, data in GOOD_FILES.items()] + [(_link("data/link-to-a", "a.txt"), None)])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


# ----------------------------------------------------------------------------- download_file


def test_download_verifies_sha256_and_md5(server, tmp_path):
    payload = _good_tar()
    server.files["/good.tar.gz"] = payload
    dest = download_file(
        server.url("/good.tar.gz"),
        tmp_path / "good.tar.gz",
        sha256=_sha256(payload),
        md5=hashlib.md5(payload).hexdigest(),
        progress=False,
    )
    assert dest.read_bytes() == payload
    assert not (tmp_path / "good.tar.gz.part").exists()
    # An existing, matching file is not downloaded again.
    download_file(server.url("/good.tar.gz"), dest, sha256=_sha256(payload), progress=False)
    assert len(server.requests) == 1


def test_checksum_mismatch_raises_and_leaves_nothing(server, tmp_path):
    payload = _good_tar()
    server.files["/short.tar.gz"] = payload[: len(payload) // 2]  # a truncated file served "completely"
    with pytest.raises(ChecksumError, match="sha256"):
        download_file(server.url("/short.tar.gz"), tmp_path / "x.tar.gz", sha256=_sha256(payload), progress=False)
    assert _tree(tmp_path) == set()


def test_interrupted_download_is_resumed_with_a_range_request(server, tmp_path):
    payload = _good_tar() * 20
    server.files["/big.tar.gz"] = payload
    server.truncate_after["/big.tar.gz"] = 1000  # the connection drops after 1000 bytes
    dest = tmp_path / "big.tar.gz"
    with pytest.raises(DownloadError, match="resume"):
        download_file(server.url("/big.tar.gz"), dest, sha256=_sha256(payload), progress=False)
    part = tmp_path / "big.tar.gz.part"
    assert part.stat().st_size == 1000 and not dest.exists()

    del server.truncate_after["/big.tar.gz"]
    download_file(server.url("/big.tar.gz"), dest, sha256=_sha256(payload), progress=False)
    assert dest.read_bytes() == payload
    last = server.requests[-1]
    assert last["range"] == "bytes=1000-"
    assert last["sent"] == len(payload) - 1000  # only the rest was transferred


def test_resume_from_a_partial_file(server, tmp_path):
    payload = bytes(range(256)) * 1000
    server.files["/blob"] = payload
    (tmp_path / "blob.part").write_bytes(payload[:12345])
    download_file(server.url("/blob"), tmp_path / "blob", sha256=_sha256(payload), progress=False)
    assert (tmp_path / "blob").read_bytes() == payload
    assert server.requests[-1]["range"] == "bytes=12345-" and server.requests[-1]["sent"] == len(payload) - 12345


def test_server_without_range_support_restarts(server, tmp_path):
    payload = bytes(range(256)) * 100
    server.files["/blob"] = payload
    server.ignore_range = True
    (tmp_path / "blob.part").write_bytes(b"garbage")
    download_file(server.url("/blob"), tmp_path / "blob", sha256=_sha256(payload), progress=False)
    assert (tmp_path / "blob").read_bytes() == payload


def test_complete_part_file_is_finalised_on_416(server, tmp_path):
    payload = b"complete"
    server.files["/blob"] = payload
    (tmp_path / "blob.part").write_bytes(payload)
    download_file(server.url("/blob"), tmp_path / "blob", sha256=_sha256(payload), progress=False)
    assert (tmp_path / "blob").read_bytes() == payload


def test_redirects_are_followed_only_to_http(server, tmp_path):
    server.files["/real"] = b"payload"
    server.redirects["/moved"] = server.url("/real")
    server.redirects["/to-ftp"] = "ftp://127.0.0.1/secret"
    assert download_file(server.url("/moved"), tmp_path / "a", progress=False).read_bytes() == b"payload"
    with pytest.raises(DownloadError, match="redirect"):
        download_file(server.url("/to-ftp"), tmp_path / "b", progress=False)
    assert not (tmp_path / "b").exists()


def test_http_error_and_bad_scheme(server, tmp_path):
    with pytest.raises(DownloadError, match="404"):
        download_file(server.url("/missing"), tmp_path / "m", progress=False)
    with pytest.raises(ValueError, match="http"):
        download_file("file:///etc/passwd", tmp_path / "p", progress=False)


# ----------------------------------------------------------------------------- extract_archive


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_extract_good_archive_is_idempotent(tmp_path, kind):
    archive = tmp_path / f"good.{kind}"
    archive.write_bytes(_good_tar() if kind == "tar" else _zip(GOOD_FILES))
    target = tmp_path / "out"
    extract_archive(archive, target)
    for name, data in GOOD_FILES.items():
        assert (target / name).read_bytes() == data
    if kind == "tar":
        assert (target / "data" / "link-to-a").read_bytes() == GOOD_FILES["data/a.txt"]  # an inside link is fine
    # Second call: the marker makes it a no-op (a deleted file is not restored).
    (target / "data" / "a.txt").unlink()
    extract_archive(archive, target)
    assert not (target / "data" / "a.txt").exists()


HOSTILE_TARS = {
    "parent": [(_file("../evil.txt"), b"x")],
    "nested-parent": [(_file("data/../../evil.txt"), b"x")],
    "absolute": [(_file("/tmp/fovex-evil.txt"), b"x")],
    "symlink-out": [(_link("data/escape", "../../outside"), None), (_file("data/ok.txt"), b"ok")],
    "symlink-absolute": [(_link("etc", "/etc"), None)],
    "hardlink-out": [(_link("data/hard", "../evil.txt", tarfile.LNKTYPE), None)],
    # each link alone stays inside, but writing through the first escapes: refused
    "through-symlink": [(_link("d/up", ".."), None), (_file("d/up/x.txt"), b"x")],
    "device": [(_link("dev", "", tarfile.CHRTYPE), None)],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TARS))
def test_hostile_tar_is_refused_and_writes_nothing(tmp_path, case):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    archive = tmp_path / "hostile.tar.gz"
    archive.write_bytes(_tar(HOSTILE_TARS[case]))
    before = _tree(tmp_path)
    with pytest.raises(UnsafeArchiveError, match="refus"):
        extract_archive(archive, sandbox / "target")
    assert _tree(tmp_path) == before  # nothing inside or outside the target
    assert not Path("/tmp/fovex-evil.txt").exists()


@pytest.mark.parametrize(
    "entries,symlinks",
    [
        ({"../evil.txt": b"x"}, None),
        ({"/abs/evil.txt": b"x"}, None),
        ({"C:/evil.txt": b"x"}, None),
        ({"ok.txt": b"ok"}, {"link": "../../outside"}),
    ],
)
def test_hostile_zip_is_refused_and_writes_nothing(tmp_path, entries, symlinks):
    archive = tmp_path / "hostile.zip"
    archive.write_bytes(_zip(entries, symlinks))
    before = _tree(tmp_path)
    with pytest.raises(UnsafeArchiveError, match="refus"):
        extract_archive(archive, tmp_path / "target")
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_truncated_archive_is_an_integrity_error(tmp_path, kind):
    data = _good_tar() if kind == "tar" else _zip(GOOD_FILES)
    archive = tmp_path / f"cut.{kind}"
    archive.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ArchiveError):
        extract_archive(archive, tmp_path / "target")
    assert not (tmp_path / "target" / f".{archive.name}.extracted").exists()


def test_zip_crc_corruption_is_detected(tmp_path):
    data = bytearray(_zip({"a.txt": b"a" * 5000}))
    data[40] ^= 0xFF  # flip a byte of the compressed member data
    archive = tmp_path / "bad.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveError):
        extract_archive(archive, tmp_path / "target")


# ----------------------------------------------------------------------------- fetch


def _register(monkeypatch, server, name, files: dict[str, bytes], checksums: dict[str, str] | None = None):
    remote = []
    for filename, data in files.items():
        server.files[f"/{filename}"] = data
        remote.append(RemoteFile(server.url(f"/{filename}"), filename, sha256=(checksums or {}).get(filename)))
    monkeypatch.setitem(download.REGISTRY, name, RemoteDataset(name, tuple(remote), subdir=name))


def test_fetch_downloads_verifies_extracts_and_is_idempotent(server, tmp_path, monkeypatch):
    tar = _good_tar()
    _register(
        monkeypatch,
        server,
        "toy",
        {"toy.tar.gz": tar, "more.zip": _zip({"extra/c.txt": b"c"})},
        checksums={"toy.tar.gz": _sha256(tar)},
    )
    folder = fetch("toy", tmp_path, progress=False)
    assert folder == tmp_path / "toy"
    assert (folder / "data" / "a.txt").read_bytes() == GOOD_FILES["data/a.txt"]
    assert (folder / "extra" / "c.txt").read_bytes() == b"c"
    assert not (tmp_path / "downloads" / "toy").exists()  # archives removed after success
    requests = len(server.requests)
    assert fetch("toy", tmp_path, progress=False) == folder
    assert len(server.requests) == requests  # second fetch: no network at all


def test_fetch_with_wrong_pinned_checksum_fails(server, tmp_path, monkeypatch):
    _register(monkeypatch, server, "toy", {"toy.tar.gz": _good_tar()})
    with pytest.raises(ChecksumError):
        fetch("toy", tmp_path, progress=False, checksums={"toy.tar.gz": "sha256:" + "0" * 64})
    assert not (tmp_path / "toy" / ".fovex-fetch.json").exists()
    with pytest.raises(ValueError, match="does not have"):
        fetch("toy", tmp_path, progress=False, checksums={"other.zip": "0" * 64})
    with pytest.raises(ValueError, match="sha256"):
        fetch("toy", tmp_path, progress=False, checksums={"toy.tar.gz": "md5:xyz"})


def test_fetch_refuses_a_hostile_archive(server, tmp_path, monkeypatch):
    _register(monkeypatch, server, "evil", {"evil.tar.gz": _tar(HOSTILE_TARS["parent"])})
    with pytest.raises(UnsafeArchiveError):
        fetch("evil", tmp_path / "root", progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "root" / "evil.txt").exists()


def test_fetch_imagenet_and_unknown_names():
    with pytest.raises(ManualDownloadRequired, match="image-net.org"):
        fetch("imagenet")
    with pytest.raises(ValueError, match="mit1003"):
        fetch("no-such-set")


def test_registry_has_the_public_archives():
    assert download.REGISTRY["voc2012"].files[0].md5 == "6cd6e144f989b92b3379bac3b3de84fd"
    mit = {f.filename: f for f in download.REGISTRY["mit1003"].files}
    assert set(mit) == {"ALLSTIMULI.zip", "ALLFIXATIONMAPS.zip", "DATA.zip"}
    assert mit["DATA.zip"].url == "http://people.csail.mit.edu/tjudd/WherePeopleLook/DATA.zip"
    # pysaliency's pins of the same URLs; the site publishes none, and none is invented for the maps.
    assert mit["DATA.zip"].md5 == "ea19d74ad0a0144428c53e9d75c2d71c"
    assert mit["ALLSTIMULI.zip"].md5 == "0d7df8b954ecba69b6796e77b9afe4b6"
    assert mit["ALLFIXATIONMAPS.zip"].md5 is None and mit["ALLFIXATIONMAPS.zip"].sha256 is None
    assert all(f.url.startswith("http") for spec in download.REGISTRY.values() for f in spec.files)


def _mit1003_archives(tmp_path) -> dict[str, bytes]:
    """The three MIT1003 zips, as the site lays them out (ALLSTIMULI/, ALLFIXATIONMAPS/, DATA/<observer>/)."""
    from test_mit1003 import hand_mit1003

    root = hand_mit1003(tmp_path / "source")
    archives = {}
    for folder in ("ALLSTIMULI", "ALLFIXATIONMAPS", "DATA"):
        entries = {
            f"{folder}/{path.relative_to(root / folder).as_posix()}": path.read_bytes()
            for path in sorted((root / folder).rglob("*"))
            if path.is_file()
        }
        archives[f"{folder}.zip"] = _zip(entries)
    return archives


def _serve_mit1003(monkeypatch, server, archives, md5s):
    """The real registry entry, with its URLs moved to the loopback server and the given MD5s."""
    from dataclasses import replace

    spec = download.REGISTRY["mit1003"]
    files = []
    for remote in spec.files:
        server.files[f"/tjudd/{remote.filename}"] = archives[remote.filename]
        files.append(replace(remote, url=server.url(f"/tjudd/{remote.filename}"), md5=md5s.get(remote.filename)))
    monkeypatch.setitem(download.REGISTRY, "mit1003", replace(spec, files=tuple(files)))


def test_fetch_mit1003_with_its_eye_traces(server, tmp_path, monkeypatch):
    """`fovex data fetch mit1003` downloads DATA.zip too, and the fetched set has per-observer fixations."""
    from fovex.data import open_dataset

    archives = _mit1003_archives(tmp_path)
    md5s = {name: hashlib.md5(data).hexdigest() for name, data in archives.items() if name != "ALLFIXATIONMAPS.zip"}
    _serve_mit1003(monkeypatch, server, archives, md5s)
    folder = fetch("mit1003", tmp_path / "root", progress=False)
    assert folder == tmp_path / "root" / "mit1003"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "ALLFIXATIONMAPS",
        "ALLSTIMULI",
        "DATA",
    ]
    assert {request["path"] for request in server.requests} == {f"/tjudd/{name}" for name in archives}
    dataset = open_dataset("mit1003", root=folder, image_size=None)
    assert dataset.has_observers and dataset.observers == ("CNG", "ajs", "zb")
    scene = dataset[dataset.index_of("scene")].fixations_original
    assert scene.xy[scene.subject == 1].tolist() == [[30, 40], [200, 150], [100, 20]]


def test_fetch_mit1003_checks_the_pinned_md5(server, tmp_path, monkeypatch):
    """The registry's MD5 of DATA.zip is enforced: an archive that is not the published one is refused."""
    archives = _mit1003_archives(tmp_path)
    pinned = {f.filename: f.md5 for f in download.REGISTRY["mit1003"].files}
    _serve_mit1003(monkeypatch, server, archives, {**pinned, "ALLSTIMULI.zip": None})
    with pytest.raises(ChecksumError, match="DATA.zip"):
        fetch("mit1003", tmp_path / "root", progress=False)
    assert not (tmp_path / "root" / "mit1003" / ".fovex-fetch.json").exists()


def test_cli_fetch_and_where(server, tmp_path, monkeypatch, capsys):
    from fovex.data.cli import main

    _register(monkeypatch, server, "toy", {"toy.tar.gz": _good_tar()})
    assert main(["fetch", "toy", "--data-root", str(tmp_path), "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "toy")
    assert main(["fetch", "imagenet"]) == 1
    assert "image-net.org" in capsys.readouterr().err


def test_cli_main_accepts_the_project_cli_namespace(tmp_path, monkeypatch, capsys):
    import argparse

    import fovex.data
    from fovex.data.cli import cli_main

    calls = []
    monkeypatch.setattr(fovex.data, "fetch", lambda name, root, **kw: calls.append((name, root, kw)) or tmp_path)
    args = argparse.Namespace(command="data", data_command="fetch", name="mit1003", data_root=str(tmp_path))
    assert cli_main(args) == 0
    assert calls == [("mit1003", str(tmp_path), {"progress": True, "checksums": {}, "keep_archives": False})]
    assert capsys.readouterr().out.strip() == str(tmp_path)


def test_a_full_disk_while_extracting_is_one_line_and_leaves_no_half_extracted_folder(
    server, tmp_path, monkeypatch, capsys
):
    """Issue 36: `fovex data fetch NAME --data-root /full/disk` ended in an OSError traceback and left a
    half-extracted folder; the same command, once there is space, fetches the set."""
    import errno

    from fovex.data.cli import main

    _register(monkeypatch, server, "toy", {"toy.tar.gz": _good_tar()})
    real = tarfile.TarFile.makefile

    def full_disk(self, tarinfo, targetpath):
        if targetpath.endswith("b.bin"):
            Path(targetpath).write_bytes(b"the first bytes")
            raise OSError(errno.ENOSPC, "No space left on device", targetpath)
        return real(self, tarinfo, targetpath)

    monkeypatch.setattr(tarfile.TarFile, "makefile", full_disk)
    assert main(["fetch", "toy", "--data-root", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "No space left on device" in err and "toy.tar.gz" in err
    assert not (tmp_path / "toy").exists()  # nothing half-extracted is left behind
    monkeypatch.setattr(tarfile.TarFile, "makefile", real)
    assert main(["fetch", "toy", "--data-root", str(tmp_path), "--no-progress"]) == 0
    assert (tmp_path / "toy" / "data" / "sub" / "b.bin").read_bytes() == GOOD_FILES["data/sub/b.bin"]
