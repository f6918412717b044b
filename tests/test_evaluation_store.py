"""The result store (fovex.evaluation.store): atomic writes, part files, manifest checks, load_results / load_maps.

These tests build parts by hand (no model), so they run in well under a second each.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet  # noqa: F401  (pa.parquet)
import pytest

from fovex import files
from fovex.evaluation import store

HASH = "a" * 64
OTHER_HASH = "b" * 64


def _manifest(run_dir, **changes):
    manifest = {
        "schema": store.SCHEMA,
        "config_version": 1,
        "config_hash": HASH,
        "config": {"models": [{"label": "m"}], "explainers": [{"label": "e1"}, {"label": "e2"}]},
        "status": "complete",
        "columns": ["image_id", "model", "explainer", "score"],
        **changes,
    }
    store.write_manifest(run_dir, manifest)
    return manifest


def _table(ids, explainer="e1", score=0.5):
    return pa.table(
        {"image_id": ids, "model": ["m"] * len(ids), "explainer": [explainer] * len(ids), "score": [score] * len(ids)}
    )


def _write(run_dir, batch, ids, explainer_index=0, rank=0, config_hash=HASH, arrays=None):
    key = store.PartKey(0, explainer_index, batch, "m", f"e{explainer_index + 1}")
    return store.write_part(run_dir, key, rank, _table(ids, f"e{explainer_index + 1}"), config_hash, arrays)


def test_parts_concatenate_in_key_order(tmp_path):
    _manifest(tmp_path)
    # Written out of order and by different ranks: the table comes back in (model, explainer, batch) order.
    _write(tmp_path, 1, ["c", "d"], rank=1)
    _write(tmp_path, 0, ["e"], explainer_index=1)
    _write(tmp_path, 0, ["a", "b"])
    results = store.load_results(tmp_path)
    assert results["image_id"].tolist() == ["a", "b", "c", "d", "e"]
    assert results["explainer"].tolist() == ["e1"] * 4 + ["e2"]
    assert set(store.completed_parts(tmp_path, HASH)) == {(0, 0, 0), (0, 0, 1), (0, 1, 0)}


def test_part_names_are_deterministic(tmp_path):
    path = _write(tmp_path, 7, ["a"], rank=3)
    assert path.name == "00-m__00-e1__b000007__r0003.parquet"


@pytest.mark.parametrize(
    "key, rank",
    [
        (store.PartKey(0, 1, 7, "m", "e1"), 3),
        (store.PartKey(12, 3, 0, "resnet50.a1_in1k", "grad-cam++"), 0),
        (store.PartKey(123, 4567, 12_345_678, "m", "e"), 12_345),  # numbers wider than their padding
    ],
)
def test_part_stem_parses_back_to_its_key(key, rank):
    assert store.PartKey.parse(key.stem(rank)) == (key, rank)


def test_part_stem_parse_recovers_names_as_written_in_the_file_name():
    # Labels with characters a file name does not keep come back as _safe wrote them; indices exactly.
    key = store.PartKey(2, 5, 9, "my model/v2", "fovex_ (fast)")
    parsed, rank = store.PartKey.parse(key.stem(1))
    assert (parsed.ident, rank) == (key.ident, 1)
    assert (parsed.model, parsed.explainer) == ("my_model_v2", "fovex_fast_")
    assert parsed.stem(1) == key.stem(1)
    empty = store.PartKey(0, 0, 0)  # empty labels are written as "_"
    assert store.PartKey.parse(empty.stem(0)) == (store.PartKey(0, 0, 0, "_", "_"), 0)


@pytest.mark.parametrize(
    "name",
    [
        "mine",
        "00-m__00-e1__b00007__r0003",
        "00-m__00-e1__b000007",
        "0-m__00-e1__b000007__r0003",
        "00-m x__00-e1__b000007__r0003",
        "00-__00-e1__b000007__r0003",
    ],
)
def test_part_stem_parse_refuses_other_names(name):
    with pytest.raises(ValueError, match="not a part file stem"):
        store.PartKey.parse(name)


def test_torn_part_is_reported_by_name(tmp_path):
    _manifest(tmp_path)
    _write(tmp_path, 0, ["a"])
    path = _write(tmp_path, 1, ["b"])
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(store.StoreError, match=path.name):
        store.load_results(tmp_path)
    with pytest.raises(store.StoreError, match="torn"):
        store.completed_parts(tmp_path, HASH)


def test_part_of_another_config_is_refused(tmp_path):
    _manifest(tmp_path)
    _write(tmp_path, 0, ["a"])
    foreign = _write(tmp_path, 1, ["b"], config_hash=OTHER_HASH)
    with pytest.raises(store.StoreError, match=f"{foreign.name}.*another config"):
        store.load_results(tmp_path)


def test_duplicate_batch_is_refused(tmp_path):
    _manifest(tmp_path)
    _write(tmp_path, 0, ["a"], rank=0)
    _write(tmp_path, 0, ["a"], rank=1)
    with pytest.raises(store.StoreError, match="same batch"):
        store.load_results(tmp_path)


def test_incompatible_config_version_errors_clearly(tmp_path):
    _manifest(tmp_path, config_version=99)
    _write(tmp_path, 0, ["a"])
    with pytest.raises(store.IncompatibleResultsError, match="config_version 99.*config_version 1"):
        store.load_results(tmp_path)
    _manifest(tmp_path, schema="fovex.results/0")
    with pytest.raises(store.IncompatibleResultsError, match="fovex.results/0"):
        store.load_results(tmp_path)


def test_missing_manifest_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        store.load_results(tmp_path / "nope")
    with pytest.raises(store.StoreError, match="manifest.json"):
        store.load_results(tmp_path)


def test_incomplete_run_warns_or_raises(tmp_path):
    _manifest(tmp_path, status="running")
    _write(tmp_path, 0, ["a"])
    with pytest.warns(RuntimeWarning, match="not complete"):
        assert len(store.load_results(tmp_path)) == 1
    with pytest.raises(store.StoreError, match="not complete"):
        store.load_results(tmp_path, require_complete=True)


def test_empty_run_gives_columns_from_manifest(tmp_path):
    _manifest(tmp_path)
    results = store.load_results(tmp_path)
    assert list(results.columns) == ["image_id", "model", "explainer", "score"] and results.empty


def test_nullable_dtypes_do_not_depend_on_nulls(tmp_path):
    _manifest(tmp_path)
    key = store.PartKey(0, 0, 0, "m", "e1")
    schema = pa.schema([("image_id", pa.string()), ("n", pa.int64()), ("hit", pa.bool_())])
    store.write_part(
        tmp_path, key, 0, pa.Table.from_pylist([{"image_id": "a", "n": None, "hit": None}], schema=schema), HASH
    )
    results = store.load_results(tmp_path)
    assert results["n"].dtype == pd.Int64Dtype() and results["hit"].dtype == pd.BooleanDtype()


def test_load_maps_by_model_explainer_and_id(tmp_path):
    _manifest(tmp_path)
    maps = np.random.default_rng(0).random((2, 4, 4)).astype(np.float16)
    arrays = {
        "row_keys": np.array(["a", "b"]),
        "image_ids": np.array(["a", "b"]),
        "target": np.array([3, 4]),
        "attribution": maps,
    }
    _write(tmp_path, 0, ["a", "b"], arrays=arrays)
    _write(tmp_path, 0, ["a", "b"], explainer_index=1, arrays={**arrays, "target": np.array([5, 6])})
    loaded = store.load_maps(tmp_path, explainer="e1")
    assert list(loaded) == ["a", "b"]
    assert np.array_equal(loaded["b"]["attribution"], maps[1]) and loaded["b"]["attribution"].dtype == np.float16
    assert loaded["a"]["target"] == 3 and loaded["a"]["image_id"] == "a"
    assert store.load_maps(tmp_path, model="m", explainer="e2", ids=["b"])["b"]["target"] == 6
    with pytest.raises(ValueError, match="e1, e2"):
        store.load_maps(tmp_path)  # two explainers: one must be named
    with pytest.raises(ValueError, match="unknown explainer"):
        store.load_maps(tmp_path, explainer="nope")


def test_maps_without_committed_part_are_ignored(tmp_path):
    _manifest(tmp_path)
    # A run killed between the maps file and its part leaves maps that must not be read.
    arrays = {
        "row_keys": np.array(["z"]),
        "image_ids": np.array(["z"]),
        "target": np.array([1]),
        "attribution": np.zeros((1, 2, 2), np.float16),
    }
    files.save_npz(tmp_path / store.MAPS / f"{store.PartKey(0, 0, 5, 'm', 'e1').stem(0)}.npz", **arrays)
    assert store.load_maps(tmp_path, explainer="e1") == {}


def test_temporary_files_and_store_removal(tmp_path):
    _manifest(tmp_path)
    _write(tmp_path, 0, ["a"])
    (tmp_path / store.PARTS / ".00-m__00-e1__b000001__r0000.parquet.x1.tmp").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("mine")
    assert store.remove_temporary_files(tmp_path) == 1
    store.remove_store(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # only the store's own files go


def test_manifest_round_trip(tmp_path):
    manifest = _manifest(tmp_path, extra={"path": str(tmp_path)})
    assert store.read_manifest(tmp_path) == json.loads(json.dumps(manifest))
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(store.StoreError, match="unreadable manifest"):
        store.read_manifest(tmp_path)


def test_export_round_trip_keeps_rows_and_provenance(tmp_path):
    run = tmp_path / "run"
    _manifest(run, git={"commit": "abc123"}, device="cpu (x86_64)")
    _write(run, 0, ["a", "b"])
    _write(run, 0, ["a", "b"], explainer_index=1)
    target = tmp_path / "book" / "measurement.csv"
    provenance = store.export_results(run, target, columns=["image_id", "explainer", "score"])
    assert provenance["rows"] == 4 and provenance["images"] == 2
    rows, loaded = store.load_exported(target)
    assert list(rows.columns) == ["image_id", "explainer", "score"]
    assert rows["explainer"].tolist() == ["e1", "e1", "e2", "e2"]
    assert rows["score"].tolist() == [0.5] * 4
    assert loaded["config_hash"] == HASH and loaded["git"] == {"commit": "abc123"}
    assert loaded["device"] == "cpu (x86_64)" and loaded["source"] == str(run)
    assert list(target.parent.glob(".*.tmp")) == []


def test_exported_ids_that_look_like_numbers_come_back_as_the_same_names(tmp_path):
    run = tmp_path / "run"
    _manifest(run)
    _write(run, 0, ["000001", "1001"])
    store.export_results(run, tmp_path / "t.csv", columns=["image_id", "explainer"])
    rows, _ = store.load_exported(tmp_path / "t.csv")
    assert rows["image_id"].tolist() == ["000001", "1001"]  # not 1 and 1001
    assert rows["image_id"].tolist() == store.load_results(run)["image_id"].tolist()


def test_export_refuses_unknown_columns_and_load_needs_both_files(tmp_path):
    run = tmp_path / "run"
    _manifest(run)
    _write(run, 0, ["a"])
    with pytest.raises(ValueError, match="no column"):
        store.export_results(run, tmp_path / "t.csv", columns=["image_id", "insertion_auc"])
    assert not (tmp_path / "t.csv").exists()
    store.export_results(run, tmp_path / "t.csv")
    (tmp_path / "t.json").unlink()
    with pytest.raises(FileNotFoundError, match="t.json"):
        store.load_exported(tmp_path / "t.csv")
    store.export_results(run, tmp_path / "t.csv")
    sidecar = json.loads((tmp_path / "t.json").read_text())
    (tmp_path / "t.json").write_text(json.dumps({**sidecar, "schema": "fovex.results/999"}))
    with pytest.raises(store.IncompatibleResultsError):
        store.load_exported(tmp_path / "t.csv")


def test_first_available_source_prefers_the_run_over_its_export(tmp_path):
    run = tmp_path / "run"
    _manifest(run)
    _write(run, 0, ["a", "b"])
    exported = tmp_path / "run.csv"
    store.export_results(run, exported)
    assert store.load_first_available([tmp_path / "absent", tmp_path / "absent.csv"]) is None
    rows, provenance, source = store.load_first_available([run, exported])
    assert source == run and len(rows) == 2 and provenance["config_hash"] == HASH
    store.remove_store(run)
    rows, provenance, source = store.load_first_available([run, exported])
    assert source == exported and rows["image_id"].tolist() == ["a", "b"] and provenance["rows"] == 2


# ----------------------------------------------------------------------------- never touch a user's files (issue 15)


def test_removal_deletes_only_what_the_store_wrote(tmp_path):
    _manifest(tmp_path)
    arrays = {
        "row_keys": np.array(["a"]),
        "image_ids": np.array(["a"]),
        "target": np.array([1]),
        "attribution": np.zeros((1, 2, 2), np.float16),
    }
    ours = [_write(tmp_path, 0, ["a"], arrays=arrays), _write(tmp_path, 1, ["b"])]
    (tmp_path / store.MAPS / "keep.txt").write_text("a user's notes")
    (tmp_path / store.MAPS / "figure.npz").write_bytes(b"a user's arrays")
    pq_foreign = tmp_path / store.PARTS / "mine.parquet"
    pa.parquet.write_table(pa.table({"x": [1]}), pq_foreign)
    removed = store.remove_store(tmp_path)
    assert set(ours) <= set(removed) and not any(p.exists() for p in ours)
    assert (tmp_path / store.MAPS / "keep.txt").read_text() == "a user's notes"
    assert (tmp_path / store.MAPS / "figure.npz").exists() and pq_foreign.exists()
    assert not (tmp_path / store.MANIFEST).exists()


def test_removal_recognises_parts_whose_numbers_outgrow_their_padding(tmp_path):
    # The name pattern is PartKey.parse's: a 100th model's part is still the store's own file.
    _manifest(tmp_path)
    key = store.PartKey(100, 0, 1_000_000, "m", "e1")
    path = store.write_part(tmp_path, key, 0, _table(["a"]), HASH)
    assert path.stem == key.stem(0) and path in store.remove_store(tmp_path) and not path.exists()


def test_a_directory_without_a_manifest_is_not_a_store_and_keeps_everything(tmp_path):
    (tmp_path / store.MAPS).mkdir()
    (tmp_path / store.MAPS / "keep.txt").write_text("x")
    (tmp_path / store.SUMMARY).write_text("my,table\n")
    assert store.remove_store(tmp_path) == []
    assert (tmp_path / store.MAPS / "keep.txt").exists() and (tmp_path / store.SUMMARY).exists()


def test_export_refuses_names_that_collide(tmp_path):
    run = tmp_path / "run"
    _manifest(run)
    _write(run, 0, ["a"])
    before = (run / store.MANIFEST).read_bytes()
    with pytest.raises(ValueError, match="same file"):
        store.export_results(run, tmp_path / "out.json")
    with pytest.raises(ValueError, match="run's own files"):
        store.export_results(run, run / "manifest.csv")  # its provenance would replace manifest.json
    with pytest.raises(ValueError, match="run's own files"):
        store.export_results(run, run / store.PARTS / "rows.csv")
    assert (run / store.MANIFEST).read_bytes() == before and not (tmp_path / "out.json").exists()
    store.export_results(run, run / "rows.csv")  # beside the store's files is fine
    assert (run / "rows.json").exists()


# ----------------------------------------------------------------------------- issue 27: misuse never loses data


def _maps(ids):
    return {
        "row_keys": np.array(ids),
        "image_ids": np.array(ids),
        "target": np.arange(len(ids)),
        "attribution": np.zeros((len(ids), 2, 2), np.float16),
    }


def test_removal_keeps_a_users_own_manifest_and_summary(tmp_path):
    """Issue 27, B2: a manifest.json that fovex did not write marks no result directory; nothing goes."""
    (tmp_path / store.MANIFEST).write_text('{"name": "my app"}')
    (tmp_path / store.SUMMARY).write_text("name,value\nmy app,1\n")
    assert store.remove_store(tmp_path) == []
    assert (tmp_path / store.MANIFEST).read_text() == '{"name": "my app"}'
    assert (tmp_path / store.SUMMARY).read_text() == "name,value\nmy app,1\n"
    with pytest.raises(store.StoreError, match="not written by fovex"):
        store.read_manifest(tmp_path)
    # In a real result directory, a summary.csv that is not the store's summary stays too.
    _manifest(tmp_path)
    assert store.remove_store(tmp_path) == [tmp_path / store.MANIFEST]
    assert (tmp_path / store.SUMMARY).exists()


def test_removal_never_deletes_through_links_out_of_the_run(tmp_path):
    """Issue 27, B3: A/parts and A/maps linked to run B's folders: B keeps every file."""
    b, a = tmp_path / "B", tmp_path / "A"
    _manifest(b)
    ours = [_write(b, 0, ["a"], arrays=_maps(["a"])), _write(b, 1, ["b"])]
    maps = sorted((b / store.MAPS).iterdir())
    (b / store.PARTS / ".00-m__00-e1__b000009__r0000.parquet.x1.tmp").write_bytes(b"B is writing this")
    _manifest(a)
    (a / store.PARTS).symlink_to(b / store.PARTS, target_is_directory=True)
    (a / store.MAPS).symlink_to(b / store.MAPS, target_is_directory=True)
    (a / store.SUMMARY).symlink_to(b / store.MANIFEST)  # not a summary: kept (and B's manifest with it)
    assert store.remove_temporary_files(a) == 0
    removed = store.remove_store(a)
    assert all(p.exists() for p in ours + maps) and (b / store.MANIFEST).exists()
    assert (b / store.PARTS / ".00-m__00-e1__b000009__r0000.parquet.x1.tmp").exists()
    assert removed == [a / store.MANIFEST] and (a / store.PARTS).is_symlink() and (a / store.SUMMARY).is_symlink()


def test_hand_edited_manifests_are_store_errors_naming_what_is_missing(tmp_path):
    """Issue 27, C: a manifest without config_hash or config, or not a JSON object, is one clear error."""
    run = tmp_path / "run"
    manifest = _manifest(run)
    _write(run, 0, ["a"])
    for broken, message in [
        ({k: v for k, v in manifest.items() if k != "config_hash"}, "config_hash"),
        ({k: v for k, v in manifest.items() if k != "config"}, "'config'"),
        ({**manifest, "config": ["m"]}, "'config'"),
        ([manifest], "not a JSON object"),
    ]:
        (run / store.MANIFEST).write_text(json.dumps(broken))
        for read in (store.load_results, lambda r: store.load_maps(r, explainer="e1")):
            with pytest.raises(store.StoreError, match=message):
                read(run)
        with pytest.raises(store.StoreError, match=message):
            store.export_results(run, tmp_path / "t.csv")
        assert not (tmp_path / "t.csv").exists()


def test_maps_files_must_hold_their_whole_batch(tmp_path):
    """Issue 27, C: a maps file without row_keys, or holding part of its batch, is reported by name."""
    _manifest(tmp_path)
    _write(tmp_path, 0, ["a", "b"], arrays=_maps(["a", "b"]))
    path = tmp_path / store.MAPS / f"{store.PartKey(0, 0, 0, 'm', 'e1').stem(0)}.npz"
    assert sorted(store.load_maps(tmp_path, explainer="e1")) == ["a", "b"]
    files.save_npz(path, **{k: v for k, v in _maps(["a", "b"]).items() if k != "row_keys"})
    with pytest.raises(store.StoreError, match=f"{path.name}.*row_keys"):
        store.load_maps(tmp_path, explainer="e1")
    files.save_npz(path, **_maps(["a"]))  # one of the batch's two maps
    with pytest.raises(store.StoreError, match=f"{path.name}.*1 map.*2"):
        store.load_maps(tmp_path, explainer="e1")
    files.save_npz(path, **{**_maps(["a", "b"]), "attribution": np.zeros((1, 2, 2), np.float16)})
    with pytest.raises(store.StoreError, match=f"{path.name}.*attribution"):
        store.load_maps(tmp_path, explainer="e1")


def test_export_refuses_bad_targets_before_writing_anything(tmp_path):
    """Issue 27, C: a folder, a file where a folder should be, a user's own .json, no columns."""
    run = tmp_path / "run"
    _manifest(run)
    _write(run, 0, ["a"])
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "file").write_text("a file")
    for target, message in [
        (run, "is a folder"),
        (tmp_path / "dir.csv", "is a folder"),
        (tmp_path / "file" / "x.csv", "file is a file, not a folder"),
    ]:
        with pytest.raises(files.OutputError, match=message):
            store.export_results(run, target)
    assert not (tmp_path / "run.json").exists() and (tmp_path / "file").read_text() == "a file"
    with pytest.raises(ValueError, match="at least one column"):
        store.export_results(run, tmp_path / "t.csv", columns=[])
    (tmp_path / "t.json").write_text('{"mine": true}')
    with pytest.raises(ValueError, match="t.json.*not the provenance of a fovex export"):
        store.export_results(run, tmp_path / "t.csv")
    assert (tmp_path / "t.json").read_text() == '{"mine": true}' and not (tmp_path / "t.csv").exists()
    (tmp_path / "t.json").unlink()
    store.export_results(run, tmp_path / "t.csv")
    store.export_results(run, tmp_path / "t.csv", columns=["image_id"])  # its own earlier export is replaced
    assert store.load_exported(tmp_path / "t.csv")[0].columns.tolist() == ["image_id"]


def test_writes_into_a_read_only_folder_or_a_full_disk_are_output_errors(tmp_path, monkeypatch):
    """Issue 27, C: the OSError of a failed write becomes OutputError naming the file (rc 2 in the CLI).

    Tests run as root here, where chmod does not make a folder read-only: the refusal is simulated
    where the operating system would give it, when the temporary file is created."""
    import errno
    import tempfile

    real_mkstemp = tempfile.mkstemp
    locked = tmp_path / "ro"
    locked.mkdir()

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(files.OutputError, match="cannot write .*ro/x.bin: Permission denied") as error:
        files.atomic_write_bytes(locked / "x.bin", b"x")
    assert isinstance(error.value, OSError) and error.value.errno == errno.EACCES
    with pytest.raises(files.OutputError, match="Permission denied"):
        files.writable_folder(locked)

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(files.OutputError, match="cannot write .*y.bin: No space left on device"):
        files.atomic_write_bytes(tmp_path / "y.bin", b"y")
    assert list(tmp_path.glob(".*.tmp")) == [] and not (tmp_path / "y.bin").exists()


def test_export_command_misuse_is_one_line_and_status_2(tmp_path, capsys, monkeypatch):
    """Issue 27, C: `fovex export RUN RUN`, `RUN dir.csv`, `RUN file/x.csv`, `RUN /ro/x.csv`, `--columns`
    without names, a user's own t.json, a hand-edited manifest: one line on stderr, exit status 2."""
    import errno
    import tempfile

    from fovex.cli import main

    run = tmp_path / "run"
    manifest = _manifest(run)
    _write(run, 0, ["a"])
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "file").write_text("a file")
    (tmp_path / "ro").mkdir()
    (tmp_path / "t.json").write_text('{"mine": true}')
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(tmp_path / "ro")):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    cases = [
        ([str(run), str(run)], "is a folder"),
        ([str(run), str(tmp_path / "dir.csv")], "is a folder"),
        ([str(run), str(tmp_path / "file" / "x.csv")], "not a folder"),
        ([str(run), str(tmp_path / "ro" / "x.csv")], "Permission denied"),
        ([str(run), str(tmp_path / "c.csv"), "--columns"], "at least one column"),
        ([str(run), str(tmp_path / "t.csv")], "not the provenance of a fovex export"),
    ]
    for argv, message in cases:
        assert main(["export", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.csv", "file", "ro", "run", "t.json"]
    assert (tmp_path / "t.json").read_text() == '{"mine": true}' and list((tmp_path / "ro").iterdir()) == []
    store.write_manifest(run, {k: v for k, v in manifest.items() if k != "config_hash"})
    assert main(["export", str(run), str(tmp_path / "u.csv")]) == 2
    err = capsys.readouterr().err
    assert "config_hash" in err and err.count("\n") == 1


def test_a_table_named_like_its_provenance_in_another_case_is_refused(tmp_path, capsys):
    """Issue 36: `fovex export RUN T.JSON` wrote the table as T.JSON and its provenance as T.json: one file on a
    case-insensitive file system (macOS, Windows), where the provenance replaced the table."""
    from fovex.cli import main

    run = tmp_path / "run"
    _manifest(run)
    _write(run, 0, ["a"])
    for name in ("T.JSON", "T.Json"):
        assert main(["export", str(run), str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert "same file" in err and "case" in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
