"""Computing, restoring and exporting the study's runs, and what they cost (``fovex study run|export|status``)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from ..evaluation.store import export_results, load_first_available
from ..files import atomic_write_bytes, atomic_writer
from .axes import load_run
from .paths import (
    DERIVED,
    DEVELOPMENT_PHOTOS,
    REPO_ROOT,
    RUNS_ENV,
    config_path,
    export_path,
    is_default_runs_folder,
    run_dir,
    run_names,
    runs_folder,
    variant_choice_path,
)
from .restore import restore_from_export
from .variants import compute_held_out, compute_map_variants, export_map_variants, read_parts

__all__ = [
    "compute_study",
    "export_study",
    "restore_from_export",
    "study_attempts",
    "study_config",
    "study_cost",
    "study_status",
]


def compute_study(
    runs=None,
    root: Path = REPO_ROOT,
    quiet: bool = False,
    device: str | None = None,
    restore: bool | None = None,
    overrides: dict | None = None,
) -> None:
    """Compute (or resume) the study's runs in :data:`RUN_ORDER` (or the order given), then the derived tables.

    Under ``torchrun`` the ranks share each run (alternate batches); rank 0 alone restores a lost run
    directory from its export and computes the derived tables, which are not sharded.

    ``restore``: seed a missing run directory from its committed export (default: only for the committed
    study's own runs, ``build/eval``; a recomputation elsewhere, e.g. on a GPU, starts from scratch).
    ``overrides``: config keys replaced in every run (:func:`study_config`), e.g. a GPU's batch sizes.
    """
    from ..evaluation import distributed, run
    from .studies import active_study

    main = distributed.from_env().is_main
    exported = active_study(root).exported
    restore = (exported and is_default_runs_folder(root)) if restore is None else restore
    for name in run_names(runs, root):
        if name in DERIVED and not main:
            continue
        if name == "map-variants":
            compute_map_variants(root, quiet=quiet)
            continue
        if name == "held-out-variant":
            if not variant_choice_path(root).is_file():
                print("study run held-out-variant: skipped, no variant chosen yet (fovex study choose)", flush=True)
            else:
                compute_held_out(root, quiet=quiet)
            continue
        # The other ranks wait for rank 0 inside run() (its manifest is broadcast), so they never see a half restore.
        seeded = restore_from_export(name, root) if main and restore else 0
        if not quiet and main:
            restored = f" ({seeded} batches restored from {export_path(name, root).name})" if seeded else ""
            from .studies import active_study

            template = config_path(active_study(root).template(name), root)
            print(f"study run {name}: {template} -> {run_dir(name, root)}{restored}", flush=True)
        run(study_config(name, root, overrides), run_dir(name, root), quiet=quiet, device=device)


def study_config(name: str, root: Path = REPO_ROOT, overrides: dict | None = None):
    """A run's config in the active study (:func:`fovex.study.studies.run_config`: its template under
    ``configs/study/``, the study's models, data and budgets) with ``overrides`` applied: top-level keys
    replace the config's, except ``metric_settings``, merged per family (``{faithfulness: {batch_size: 256}}``
    changes only that value), ``dataset`` (merged) and ``explainer_settings`` (``{rise: {batch_size: 256}}``),
    merged into the settings of every explainer entry of that method. Overrides of a result-defining key
    change the run's hash: such a run belongs in its own folder (:data:`~fovex.study.paths.RUNS_ENV`), never
    beside the exports."""
    from ..evaluation import load_config
    from .studies import run_config

    return load_config(run_config(name, root=root, overrides=overrides))


def export_study(runs=None, root: Path = REPO_ROOT) -> dict[str, dict]:
    """Export every run that has a directory into ``book/measurements/study-<run>.csv``; run -> provenance.

    Only the committed study's own runs (``build/eval``) are exported: runs recomputed elsewhere (the
    ``gpu`` profile's) are compared with the committed rows, never written over them.
    """
    if not is_default_runs_folder(root):
        raise ValueError(
            f"the study's runs are read from {runs_folder(root)} (${RUNS_ENV}): only build/eval's runs are "
            "exported into book/measurements/; unset it to export the committed study"
        )
    exported = {}
    for name in run_names(runs, root):
        if name == "map-variants":
            # The map spreads need only the faithfulness run's stored maps; the variants, their own parts.
            if (run_dir("faithfulness", root) / "manifest.json").is_file():
                exported[name] = export_map_variants(root)
            continue
        if name == "held-out-variant":
            held_out = read_parts(run_dir(name, root))
            if len(held_out):
                from ..evaluation.provenance import git_state, now

                with atomic_writer(export_path(name, root), "w") as handle:
                    held_out.to_csv(handle, index=False)
                exported[name] = {
                    "images": int(held_out["image_id"].nunique()),
                    "rows": len(held_out),
                    "status": "parts",
                    "git": git_state(),  # the code exporting it; the parts were computed by this checkout
                    "exported_at": now(),
                }
                sidecar = export_path(name, root).with_suffix(".json")
                atomic_write_bytes(sidecar, json.dumps(exported[name], indent=2).encode())
            continue
        if run_dir(name, root).is_dir():
            source = f"build/eval/study-{name}"  # relative: the provenance names no local path
            exported[name] = export_results(run_dir(name, root), export_path(name, root), source=source)
    return exported


def study_status(root: Path = REPO_ROOT, runs=None) -> pd.DataFrame:
    """Images reached per run (``runs``: these only; default all): in its run directory and in its
    committed export (NaN: absent)."""
    rows = []
    for name in run_names(runs, root):
        entry = {"run": name}
        if name in DERIVED:
            built, committed = read_parts(run_dir(name, root)), export_path(name, root)
            entry["images_run_dir"] = built["image_id"].nunique() if len(built) else float("nan")
            entry["of"] = DEVELOPMENT_PHOTOS if name == "map-variants" else None
            entry["images_export"] = (
                pd.read_csv(committed)["image_id"].nunique() if committed.is_file() else float("nan")
            )
            rows.append(entry)
            continue
        for where, source in (("run_dir", run_dir(name, root)), ("export", export_path(name, root))):
            with warnings.catch_warnings():  # an unfinished run is what a status is asked about
                warnings.simplefilter("ignore", RuntimeWarning)
                found = load_first_available([source])
            entry[f"images_{where}"] = found[0]["image_id"].nunique() if found is not None else float("nan")
            if found is not None and where == "run_dir":
                entry["of"] = found[1]["config"]["dataset"].get("num_images")
        rows.append(entry)
    return pd.DataFrame(rows).set_index("run")


def study_attempts(runs=None, root: Path = REPO_ROOT) -> pd.DataFrame:
    """Every attempt of every run (``runs``: these only), with the commit and clean-tree flag of its code
    and the rows it computed (:func:`fovex.study.attempts.attempt_history`), from the run directory's
    manifest where there is one, else from the committed export (``source``). The derived tables list
    their own exports (map variants: ``map-variants`` and ``map-spread``; the variant choice)."""
    from .attempts import attempt_history

    sources = []
    for name in run_names(runs, root):
        if name == "map-variants":
            sources += [
                (name, export_path(table, root).with_suffix(".json")) for table in ("map-variants", "map-spread")
            ]
            sources.append((name, variant_choice_path(root)))
        elif name == "held-out-variant":
            sources.append((name, export_path(name, root).with_suffix(".json")))
        elif (run_dir(name, root) / "manifest.json").is_file():
            sources.append((name, run_dir(name, root) / "manifest.json"))
        else:
            sources.append((name, export_path(name, root).with_suffix(".json")))
    frames = []
    for name, path in sources:
        if not path.is_file():
            continue
        relative = path.relative_to(root) if path.is_relative_to(root) else path
        if path.name == "manifest.json":  # a run directory: its parts say which attempt computed them
            from ..evaluation.store import read_run_manifest
            from ..evaluation.store.exports import _attempt_rows, _part_attempts

            provenance = read_run_manifest(path.parent)
            provenance["attempts"] = _attempt_rows(
                provenance.get("attempts", []), _part_attempts(path.parent, provenance)
            )
        else:
            from ..evaluation.store.exports import read_provenance

            provenance = read_provenance(path)
        history = attempt_history(provenance)
        frames.append(history.assign(run=name, source=str(relative)))
    columns = ["run", "source", "attempt", "started_at", "what", "commit", "clean", "rows", "note"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def study_cost(root: Path = REPO_ROOT, prefer: str = "export", recent: int = 20) -> pd.DataFrame:
    """What each run of the study has cost and what it still needs, from the seconds its rows record.

    A row records the wall-clock seconds of its explanation and of its metrics (one process per CPU
    core in the study's runs). Per run (index: run name):

    - ``images``, ``planned``: images reached, and the config's ``num_images`` (the images reached once
      a run is complete and its config names no number);
    - ``hours``: Σ over its rows (explain_seconds + metric_seconds) / 3600;
    - ``minutes_per_image``: the current rate, the median over the last ``recent`` images computed
      (by batch) of an image's seconds summed over its rows (every explainer, object class) / 60;
    - ``hours_left``: (planned − images) × minutes_per_image / 60.

    ``prefer`` as in :func:`~fovex.study.load_axis`. Runs without rows yet are NaN. The derived
    tables (map variants, held-out variant) record no seconds and are not listed.
    """
    from .studies import run_config

    if recent < 1:
        raise ValueError(f"recent must be >= 1, got {recent}")
    entries = []
    for name in run_names(None, root):
        if name in DERIVED:
            continue
        planned = run_config(name, root=root)["dataset"].get("num_images")
        entry = {"run": name, "images": 0, "planned": planned, "hours": 0.0}
        found = load_run(name, root, prefer)
        if found is None:
            entries.append({**entry, "minutes_per_image": float("nan"), "hours_left": float("nan")})
            continue
        rows, provenance, _ = found
        seconds = rows["explain_seconds"].fillna(0) + rows["metric_seconds"].fillna(0)
        per_image = (
            rows.assign(seconds=seconds)
            .groupby("image_id")
            .agg(seconds=("seconds", "sum"), batch=("batch", "max"))
            .sort_values("batch", kind="stable")
        )
        if planned is None and provenance.get("status") == "complete":
            planned = len(per_image)
        rate = float(per_image["seconds"].tail(recent).median()) / 60
        entry.update(images=len(per_image), planned=planned, hours=float(seconds.sum()) / 3600)
        left = float("nan") if planned is None else max(planned - len(per_image), 0) * rate / 60
        entries.append({**entry, "minutes_per_image": rate, "hours_left": left})
    table = pd.DataFrame(entries).set_index("run")
    table["planned"] = table["planned"].astype(float)  # NaN: a config without num_images, not complete yet
    return table
