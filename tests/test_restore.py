"""Restoring a lost study run from its export: only rows the export's provenance vouches for come back,
the rest is recomputed (issue 27 B1)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fovex import study
from fovex.evaluation import run
from fovex.evaluation.store.verify import export_checksums, verify_export
from fovex.study import export_path, export_study, run_dir
from fovex.study.attempts import attempt_history

KEY = ["image_id", "explainer"]
VALUES = KEY + ["drop_pct", "increase", "target", "status"]


@pytest.fixture(scope="module")
def exported_study(tmp_path_factory) -> Path:
    """A tiny faithfulness run (4 sample photos in 2 batches x Grad-CAM and the centre map), exported."""
    root = tmp_path_factory.mktemp("study")
    (root / "configs" / "study").mkdir(parents=True)
    config = {
        "config_version": 1,
        "name": "study-faithfulness",
        "models": ["efficientnet_lite0"],
        "explainers": ["gradcam", "centre"],
        "metrics": ["drop_increase"],
        "dataset": {"name": "samples", "split": "imagenet", "num_images": 4, "order": "spread"},
        "batch_size": 2,
        "threads": 1,
    }
    (root / "configs" / "study" / "faithfulness.yaml").write_text(yaml.safe_dump(config))
    run(root / "configs" / "study" / "faithfulness.yaml", run_dir("faithfulness", root), quiet=True)
    export_study(["faithfulness"], root)
    shutil.rmtree(root / "build")  # a fresh checkout: the export is all there is
    return root


def _copy(exported_study: Path, tmp_path: Path, legacy: bool) -> tuple[Path, pd.DataFrame, list[str]]:
    root = tmp_path / "study"
    shutil.copytree(exported_study, root)
    path = export_path("faithfulness", root)
    if legacy:  # an export from before checksums were recorded (every committed one, today)
        sidecar = path.with_suffix(".json")
        provenance = json.loads(sidecar.read_text())
        del provenance["checksums"]
        sidecar.write_text(json.dumps(provenance))
    original = pd.read_csv(path, dtype={"image_id": str})
    return root, original, path.read_text().splitlines(keepends=True)


def _restore_and_run(root: Path) -> tuple[pd.DataFrame, dict, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.restore_from_export("faithfulness", root)
    results = run(root / "configs" / "study" / "faithfulness.yaml", run_dir("faithfulness", root), quiet=True)
    manifest = json.loads((run_dir("faithfulness", root) / "manifest.json").read_text())
    return results, manifest, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _same_rows(results: pd.DataFrame, original: pd.DataFrame) -> None:
    """Every exported row is back exactly once, with its values (the recomputed ones agree: same machine,
    same thread count, deterministic methods)."""
    assert len(results) == len(original) == 8
    assert not results.duplicated(KEY).any() and set(results["status"]) == {"ok"}
    ordered = [frame[VALUES].sort_values(KEY).reset_index(drop=True) for frame in (results, original)]
    pd.testing.assert_frame_equal(*ordered, check_dtype=False, rtol=1e-6)


def _edit(lines: list[str], how: str) -> str:
    text = "".join(lines)
    if how == "truncated":  # cut to 70 %, mid-row
        return text[: int(len(text) * 0.7)]
    if how == "torn":  # the last row loses its end
        return text[:-12]
    if how == "dropped":  # a row of the first batch is gone
        return "".join(lines[:2] + lines[3:])
    if how == "duplicated":  # a row appears twice
        return "".join(lines + [lines[2]])
    raise AssertionError(how)


@pytest.mark.parametrize("legacy", [False, True], ids=["checksum", "no-checksum"])
@pytest.mark.parametrize("how", ["truncated", "torn", "dropped", "duplicated"])
def test_a_damaged_export_restores_only_what_it_vouches_for_and_the_run_recomputes_the_rest(
    exported_study, tmp_path, how, legacy
):
    root, original, lines = _copy(exported_study, tmp_path, legacy)
    export_path("faithfulness", root).write_text(_edit(lines, how))
    results, manifest, warned = _restore_and_run(root)
    _same_rows(results, original)
    assert manifest["status"] == "complete"
    restore = next(attempt for attempt in manifest["attempts"] if "restored_from" in attempt)
    assert restore["rows_not_restored"] > 0 or how == "torn" and restore["problems"]
    assert restore["rows"] < len(original)  # something was set aside, and recomputed by the run
    assert warned and "will be recomputed" in warned[0]
    assert restore["verified_by"] == (
        "row count, keys and batch contents (no checksum recorded)" if legacy else "per-part checksums"
    )


@pytest.mark.parametrize("legacy", [False, True], ids=["checksum", "no-checksum"])
def test_an_intact_export_is_restored_whole_and_nothing_is_recomputed(exported_study, tmp_path, legacy):
    root, original, _ = _copy(exported_study, tmp_path, legacy)
    assert study.restore_from_export("faithfulness", root) == 2 * 2  # 2 batches x 2 explainers
    results = run(root / "configs" / "study" / "faithfulness.yaml", run_dir("faithfulness", root), quiet=True)
    _same_rows(results, original)
    # Nothing was recomputed: even the wall-clock seconds are the exported ones.
    assert results.sort_values(KEY)["explain_seconds"].tolist() == original.sort_values(KEY)["explain_seconds"].tolist()
    attempts = json.loads((run_dir("faithfulness", root) / "manifest.json").read_text())["attempts"]
    assert attempts[1]["verified_by"] == ("row count and keys (no checksum recorded)" if legacy else "checksum")


def test_an_export_names_the_attempt_and_code_of_every_row(exported_study, tmp_path):
    """Each attempt records its commit and a clean-tree flag, and the rows its parts hold; a restore keeps
    which attempt computed which part, so a second export still attributes every row."""
    root, original, lines = _copy(exported_study, tmp_path, legacy=False)
    provenance = json.loads(export_path("faithfulness", root).with_suffix(".json").read_text())
    (first,) = provenance["attempts"]
    assert first["index"] == 0 and first["rows"] == 8 and set(first["git"]) == {"commit", "dirty"}
    assert {entry["attempt"] for entry in provenance["checksums"]["parts"].values()} == {0}
    export_path("faithfulness", root).write_text(_edit(lines, "dropped"))  # one part is recomputed
    _restore_and_run(root)
    from fovex.study import study_attempts

    in_run_dir = study_attempts(["faithfulness"], root)  # read from the run directory's manifest and parts
    assert in_run_dir["source"].unique().tolist() == ["build/eval/study-faithfulness/manifest.json"]
    assert in_run_dir["rows"].tolist() == [6, 6, 2]
    again = export_study(["faithfulness"], root)["faithfulness"]
    history = attempt_history(again)
    assert history["what"].tolist() == ["computed", "restored", "computed"]
    assert history["rows"].tolist() == [6, 6, 2]  # the recomputed part (2 rows) is the new attempt's
    assert history.loc[2, "commit"] == (again["attempts"][2]["git"] or {}).get("commit", "unknown")[:10]


def test_checksums_name_each_part_and_catch_an_edited_value(tmp_path):
    """Hand-made export: one edited digit in batch 1's row sets aside that part only."""
    table = pd.DataFrame(
        {
            "model": ["m"] * 4,
            "explainer": ["e"] * 4,
            "batch": [0, 0, 1, 1],
            "image_id": ["a", "b", "c", "d"],
            "status": ["ok"] * 4,
            "drop_pct": [1.5, 2.25, 3.0, 4.125],
        }
    )
    data = table.to_csv(index=False, lineterminator="\n").encode()
    checksums = export_checksums(data, {"m|e|0": 3})
    assert set(checksums["parts"]) == {"m|e|0", "m|e|1"} and checksums["parts"]["m|e|0"]["attempt"] == 3
    assert checksums["parts"]["m|e|1"]["rows"] == 2 and "attempt" not in checksums["parts"]["m|e|1"]
    path = tmp_path / "t.csv"
    path.write_bytes(data.replace(b"4.125", b"4.126"))
    check = verify_export(path, {"rows": 4, "checksums": checksums}, ["image_id"])
    assert check.rejected_parts == ["m|e|1"] and check.rows["image_id"].tolist() == ["a", "b"]
    assert check.attempts == {"m|e|0": 3}
    path.write_bytes(data)
    assert verify_export(path, {"rows": 4, "checksums": checksums}).verified_by == "checksum"


def test_every_committed_export_verifies_against_its_provenance():
    """The committed exports have no checksums yet: each holds the rows its provenance counts, one per key,
    and ends with a whole line."""
    from fovex.study.paths import REPO_ROOT, RUN_ORDER

    # Issue 34's seed and tied-sweep runs are computed as far as the machines' time allowed; the book says
    # which of them have no rows yet. Every other run of the committed study is exported.
    later = {"faithfulness-seeds", "faithfulness-rise-seeds", "receptive-field-tied"}
    exported = [name for name in RUN_ORDER if export_path(name, REPO_ROOT).exists()]
    assert set(RUN_ORDER) - set(exported) <= later
    for name in exported:
        path = export_path(name, REPO_ROOT)
        provenance = json.loads(path.with_suffix(".json").read_text())
        check = verify_export(path, provenance, ["model", "explainer", "image_id", "object_class"])
        assert check.intact, (name, check.problems)
        assert len(check.rows) == provenance["rows"]


def test_study_status_lists_every_attempt_with_its_code_and_only_the_runs_named(capsys):
    """The committed faithfulness run's first attempt (started 01:13) names no commit: the export it was
    restored from named 6117da, committed at 02:07, after that attempt started (issue 26, item 7)."""
    from fovex.cli import main
    from fovex.study import study_attempts, study_status

    attempts = study_attempts(["faithfulness"])
    assert set(attempts["run"]) == {"faithfulness"}
    first = attempts.iloc[0]
    assert (first["commit"], first["clean"], first["rows"]) == ("unknown", "unknown", 264)
    assert "6117da6ef8" in first["note"]  # what the export named, said as such
    assert attempts.loc[attempts["attempt"] == 3, ["commit", "clean", "rows"]].values.tolist() == [
        ["df1215d410", True, 368]
    ]
    assert list(study_status(runs=["localisation"]).index) == ["localisation"]
    variants = study_attempts(["map-variants"])  # computed from a dirty tree: said so
    assert (variants["clean"] == False).all() and len(variants) == 3  # noqa: E712
    assert main(["study", "status", "localisation"]) == 0
    printed = capsys.readouterr().out
    assert "localisation" in printed and "faithfulness" not in printed
    assert "attempts not recorded; the latest one's commit was 5522e29cb1" in printed


# ------------------------------------------------------------------- issue 36: exports that do not match


def _study_run_command(root: Path, monkeypatch, capsys) -> tuple[int, str]:
    """`fovex study run faithfulness` on the study at ``root``: exit status and stderr."""
    import functools

    import fovex.study
    from fovex.cli import main

    monkeypatch.setattr(fovex.study, "compute_study", functools.partial(fovex.study.compute_study, root=root))
    code = main(["study", "run", "faithfulness", "--quiet"])
    return code, capsys.readouterr().err


def test_the_restore_warning_counts_the_parts_an_export_lost_whole(exported_study, tmp_path):
    """Issue 36: an export cut after its first part said "0 batch parts ... are not restored" (3 were missing)."""
    root, original, lines = _copy(exported_study, tmp_path, legacy=False)
    export_path("faithfulness", root).write_text("".join(lines[:3]))  # the header and the first part's 2 rows
    results, manifest, warned = _restore_and_run(root)
    assert len(warned) == 1 and "3 batch parts (6 rows) are not restored" in warned[0], warned
    restore = next(attempt for attempt in manifest["attempts"] if "restored_from" in attempt)
    assert restore["rows"] == 2 and restore["rows_not_restored"] == 6
    _same_rows(results, original)


def test_a_forged_export_restores_no_part_outside_the_runs_plan(exported_study, tmp_path):
    """Issue 36: an export of another batch size whose provenance claims this config's hash restored its
    parts (batches 2 and 3 of a 2-batch plan) into the run."""
    root, original, lines = _copy(exported_study, tmp_path, legacy=True)
    table = pd.read_csv(export_path("faithfulness", root), dtype={"image_id": str})
    table["batch"] = table.groupby("explainer").cumcount()  # one image per batch: 4 batches, not 2
    table.to_csv(export_path("faithfulness", root), index=False, lineterminator="\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert study.restore_from_export("faithfulness", root) == 0
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "8 batch parts" in messages[0] and "not this run's batches" in messages[0]
    results = run(root / "configs" / "study" / "faithfulness.yaml", run_dir("faithfulness", root), quiet=True)
    _same_rows(results, original)
    assert sorted(results["batch"].unique()) == [0, 1]


def test_an_export_provenance_that_is_no_object_or_no_json_is_one_line(exported_study, tmp_path, monkeypatch, capsys):
    """Issue 36: an export JSON holding a list raised AttributeError in `fovex study run`; an undecodable one
    stopped the run without naming the file."""
    root, _, _ = _copy(exported_study, tmp_path, legacy=False)
    sidecar = export_path("faithfulness", root).with_suffix(".json")
    for content in (b"[1, 2]", b"\xff\xfe not json"):
        sidecar.write_bytes(content)
        code, err = _study_run_command(root, monkeypatch, capsys)
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert str(sidecar) in err and "provenance" in err
        assert not run_dir("faithfulness", root).exists()


def test_an_undecodable_export_is_set_aside_with_its_name_and_recomputed(exported_study, tmp_path):
    """Issue 36: a CSV that is no UTF-8 text stopped `fovex study run` without naming the file."""
    root, original, lines = _copy(exported_study, tmp_path, legacy=False)
    export_path("faithfulness", root).write_bytes(b"\xff\xfe" + "".join(lines).encode())
    results, manifest, warned = _restore_and_run(root)
    assert len(warned) == 1 and str(export_path("faithfulness", root)) in warned[0] and "UTF-8" in warned[0]
    _same_rows(results, original)
