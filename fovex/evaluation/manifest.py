"""A run's manifest: checked and written before the first batch, completed after the last.

The manifest (``manifest.json`` of the result store) records the resolved config and its hash, the
columns, every attempt (host, device, threads), the package versions, the commit and, per model,
the checkpoint that ran (``models``: :attr:`fovex.models.Classifier.weights_info`, with its SHA-256;
the config's ``weights: default`` says only which kind). A directory
holding another config's results is refused (resuming would mix them) unless ``overwrite``.
"""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path

import torch

from ..files import atomic_write_bytes, writable_folder
from . import distributed, store
from .config import CONFIG_VERSION, HASH_EXCLUDED_KEYS, EvalConfig
from .plan import plan_changes
from .provenance import device_name, git_state, now, package_versions
from .schema import row_columns
from .summary import summarize

__all__ = ["finish_manifest", "new_manifest", "prepare_store", "record_weights"]


def _config_differences(old: dict, new: dict) -> list[str]:
    keys = sorted((set(old) | set(new)) - set(HASH_EXCLUDED_KEYS))
    return [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in keys if old.get(key) != new.get(key)]


def new_manifest(config: EvalConfig, created_at: str | None, attempts: list[dict] | None = None) -> dict:
    """The manifest of a run directory that has none yet: the config, its hash and row columns."""
    return {
        "schema": store.SCHEMA,
        "config_version": CONFIG_VERSION,
        "config_hash": config.hash,
        "config": config.to_dict(),
        "config_source": config.source,
        "columns": list(row_columns(config.metrics)),
        "seed": config.seed,
        "created_at": created_at,
        "attempts": list(attempts or []),
    }


def prepare_store(
    out: Path,
    config: EvalConfig,
    overwrite: bool,
    dist: distributed.Dist,
    device: torch.device,
    threads: int,
    plan: dict | None = None,
) -> tuple[dict, set]:
    """Rank 0: check a previous run is this config's (or clear it), clean temporaries, write the manifest.

    ``plan``: what each batch holds (:func:`~fovex.evaluation.plan.plan_record`), recorded at the first
    start; a resume whose data set no longer gives the recorded batches is refused (its parts would
    hold other images than the batches left to run: some explained twice, others never).
    Returns the manifest and the idents of the batches already committed.
    """
    writable_folder(out)  # a read-only folder, or a file named like it: one clear error before anything
    # A manifest.json fovex did not write (or cannot read) is refused even with --overwrite: only what
    # the store provably wrote is ever replaced or deleted.
    existing = store.read_manifest(out)
    summary = out / store.SUMMARY
    if (summary.exists() or summary.is_symlink()) and not store.is_store_summary(summary):
        raise store.StoreError(
            f"{out} is not a fovex result directory a run may write to: it holds a {store.SUMMARY} fovex did not "
            "write, which the run would replace; use an empty or new --out directory"
        )
    if overwrite and store.linked_folders(out):
        link = store.linked_folders(out)[0]
        raise store.StoreError(
            f"{link} is a symbolic link (to {os.readlink(link)}); --overwrite never deletes through links: "
            "remove the link or use another --out directory"
        )
    if existing is not None and not overwrite:
        store.check_run_manifest(existing, out)
        if existing.get("config_hash") != config.hash:
            changes = "; ".join(_config_differences(existing.get("config", {}), config.data)) or "(hash only)"
            raise store.StoreError(
                f"{out} holds results of a different config ({changes}). Resuming would mix them: use another "
                "--out directory, or pass --overwrite (run(..., overwrite=True)) to delete those results first."
            )
        changed = plan_changes(existing.get("plan"), plan) if plan is not None else None
        if changed:
            raise store.StoreError(
                f"{out}: the data set no longer matches the plan this run recorded: {changed}. Resuming would "
                "explain some images twice and others never: restore the data set as it was, or start over with "
                "--overwrite (or another --out directory)"
            )
    if overwrite:
        store.remove_store(out)
        existing = None
    store.remove_temporary_files(out)
    # Validate the parts before touching the manifest, so a refused resume leaves the directory as it was.
    done = set(store.completed_parts(out, config.hash))
    attempt = {
        "started_at": now(),
        "host": socket.gethostname(),
        "world_size": dist.world_size,
        "device": device_name(device),
        "threads_per_rank": threads,
        "git": git_state(),  # each attempt's own commit: a resumed run's rows may come from several
    }
    manifest = existing or new_manifest(config, attempt["started_at"])
    # The attempt's place in the history: each part it writes names it, so an export can say which
    # attempt (which commit, which tree) computed which rows.
    attempt["index"] = len(manifest.get("attempts", []))
    manifest.update(
        {
            "status": "running",
            "config": config.to_dict(),  # hash-excluded keys (device, threads, ...) may differ on a resume
            "device": attempt["device"],
            "world_size": dist.world_size,
            "versions": package_versions(),
            "git": git_state(),
        }
    )
    if plan is not None:  # unchanged on a resume (checked above); recorded from now on in an older manifest
        manifest["plan"] = plan
    manifest["attempts"] = list(manifest.get("attempts", [])) + [attempt]
    store.write_manifest(out, manifest)
    return manifest, done


def record_weights(out: Path, manifest: dict, label: str, info: dict | None) -> None:
    """Rank 0, when model ``label`` is loaded: record the checkpoint it runs (``info``: the model's
    ``weights_info``) as ``manifest["models"][label]`` and in the current attempt, and write the manifest.

    A resumed run whose checkpoint differs from the one recorded (another file behind ``default``: a
    new hub revision, another cache) is warned about: its rows would come from two checkpoints.
    """
    if info is None:
        return
    previous = manifest.get("models", {}).get(label)
    if previous and previous.get("sha256") != info.get("sha256"):
        warnings.warn(
            f"{out}: model {label!r} now runs checkpoint {info.get('sha256')} ({info.get('file')}), but earlier "
            f"rows of this run came from {previous.get('sha256')} ({previous.get('file')}); use --overwrite to "
            "recompute them all with one checkpoint",
            RuntimeWarning,
            stacklevel=2,
        )
    manifest.setdefault("models", {})[label] = info
    if manifest.get("attempts"):
        manifest["attempts"][-1].setdefault("models", {})[label] = info
    store.write_manifest(out, manifest)


def finish_manifest(out: Path, config: EvalConfig, expected: set, manifest: dict, resolved: dict, quiet: bool):
    """Rank 0, after every rank is done: check every ``expected`` part exists, write the summary, mark
    the manifest complete; returns the results. A missing part marks the run incomplete (rerun to finish)."""
    done = store.completed_parts(out, config.hash)
    missing = sorted(expected - set(done))
    if missing:
        manifest.update(status="incomplete", missing_parts=len(missing))
        store.write_manifest(out, manifest)
        raise store.StoreError(
            f"{out}: {len(missing)} batches have no part (first: {missing[0]}); rerun the same command to finish"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the manifest still says "running" until below
        results = store.load_results(out)
    summary = summarize(results)
    atomic_write_bytes(out / store.SUMMARY, summary.to_csv().encode())
    counts = results["status"].value_counts().to_dict()
    manifest.update(
        {
            "status": "complete",
            "finished_at": now(),
            "parts": len(done),
            "rows": len(results),
            "rows_by_status": {str(k): int(v) for k, v in counts.items()},
            "resolved": {**manifest.get("resolved", {}), **resolved},
        }
    )
    store.write_manifest(out, manifest)
    if not quiet:
        import pandas as pd

        with pd.option_context(
            "display.width", 200, "display.max_columns", 50, "display.float_format", "{:.4g}".format
        ):
            print(
                f"\nfovex evaluate: {len(results)} rows in {out} ({', '.join(f'{v} {k}' for k, v in counts.items())})"
            )
            print(summary.to_string())
    return results
