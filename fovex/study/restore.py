"""Restoring a lost run directory of the study from its committed export (``fovex study run``)."""

from __future__ import annotations

import warnings
from pathlib import Path

from .paths import REPO_ROOT, config_path, export_path, run_dir

__all__ = ["restore_from_export"]


def restore_from_export(name: str, root: Path = REPO_ROOT) -> int:
    """Rebuild a lost run directory's parts from its committed export; returns the batches restored.

    ``build/`` does not survive a fresh checkout, the committed export does: when the run directory
    has no manifest and the export was made from the same config (same hash), every exported
    (model, explainer, batch) that the export's provenance vouches for becomes a part again, so
    ``fovex study run`` continues where the export stopped instead of recomputing it. The export is
    first checked against its provenance (:func:`fovex.evaluation.store.verify.verify_export`: row count,
    checksums, one row per key, whole batches): a part cut short, torn, edited, with a row dropped
    or duplicated is not restored, with a warning, and the run recomputes it. Maps are not restored
    (the export holds rows only). The new manifest carries the export's attempts (each with its
    commit where it is known) and a record of the restore (what was verified, what was set aside).
    """
    import pyarrow as pa

    from ..evaluation import EvaluationError, load_config
    from ..evaluation.manifest import new_manifest
    from ..evaluation.plan import plan_models
    from ..evaluation.schema import arrow_schema, row_columns
    from ..evaluation.store import MANIFEST, PartKey, write_manifest, write_part
    from ..evaluation.store.exports import read_provenance
    from ..evaluation.store.verify import group_key, verify_export

    target, source = run_dir(name, root), export_path(name, root)
    if (target / MANIFEST).is_file() or not source.is_file():
        return 0
    config = load_config(config_path(name, root))
    provenance = read_provenance(source.with_suffix(".json"))
    if provenance.get("config_hash") != config.hash:
        return 0  # the config changed since the export: its rows are not this run's
    keys = ["model", "explainer", "image_id", "object_class"]
    try:  # each batch's images, to tell a whole batch from a cut one in an export without checksums
        plan = plan_models(config)[0]
        batch_images = {b: {plan.dataset.ids[i] for i in batch} for b, batch in enumerate(plan.batches)}
    except (OSError, ValueError, EvaluationError):  # the data set is absent here: the run itself will say so
        batch_images = None
    check = verify_export(source, provenance, keys, batch_images)
    if not check.intact:
        warnings.warn(
            f"{source}: {'; '.join(check.problems)}. {_set_aside(check.rejected_parts, check.rejected_rows)} "
            "and will be recomputed.",
            RuntimeWarning,
            stacklevel=2,
        )
    rows = check.rows
    if rows.empty:
        return 0
    schema = arrow_schema(row_columns(config["metrics"]))
    models = [m["label"] for m in config["models"]]
    explainers = [e["label"] for e in config["explainers"]]
    groups = list(rows.groupby(["model", "explainer", "batch"], sort=True))
    # Only parts that are this run's batches come back (a provenance may claim the config's hash for rows
    # of another batch size or data set): each (model, explainer) of the config, holding its batch's images.
    outside = [
        group_key(model, explainer, batch)
        for (model, explainer, batch), group in groups
        if model not in models
        or explainer not in explainers
        or (batch_images is not None and set(group["image_id"]) != batch_images.get(int(batch)))
    ]
    if outside:
        outside_rows = sum(len(group) for (m, e, b), group in groups if group_key(m, e, b) in outside)
        warnings.warn(
            f"{source}: {_set_aside(outside, outside_rows)}: they are not this run's batches (other labels, "
            "or other images than the plan's batches hold), and will be recomputed.",
            RuntimeWarning,
            stacklevel=2,
        )
    count = 0
    for (model, explainer, batch), group in groups:
        if group_key(model, explainer, batch) in outside:
            continue
        key = PartKey(models.index(model), explainers.index(explainer), int(batch), model, explainer)
        extra = {"restored_from": source.name}
        attempt = check.attempts.get(group_key(model, explainer, batch))
        if attempt is not None:
            extra["attempt"] = attempt  # the attempt that computed it, as the export recorded
        table = pa.Table.from_pandas(group[schema.names], schema=schema, preserve_index=False)
        write_part(target, key, 0, table, config.hash, extra_metadata=extra)
        count += 1
    # The manifest keeps the export's history, so the next export still names every attempt's commit.
    history = provenance.get("attempts") or [
        {  # an export made before attempts were exported: how many attempts, and their code, are unknown
            "started_at": provenance.get("created_at"),
            "device": provenance.get("device"),
            "git": None,
            "git_at_export": provenance.get("git"),
            "note": "attempts before this export were not recorded: the code of their rows is unknown "
            "(git_at_export is the latest attempt's commit, not necessarily theirs)",
        }
    ]
    restored_rows = len(rows) - (outside_rows if outside else 0)
    restored = {
        "restored_from": source.name,
        "exported_at": provenance.get("exported_at"),
        "rows": restored_rows,
        "verified_by": check.verified_by,
    }
    if not check.intact:
        restored.update(problems=check.problems, rows_not_restored=check.rejected_rows)
    if outside:
        restored.update(parts_outside_the_plan=len(outside), rows_not_restored=len(rows) - restored_rows)
    manifest = new_manifest(config, provenance.get("created_at"), [*history, restored])
    write_manifest(target, {**manifest, "status": "incomplete"})
    return count


def _set_aside(parts: list[str], rows: int) -> str:
    if parts == ["*"]:
        return f"nothing in it ({rows} rows) is restored"
    return f"{len(parts)} batch parts ({rows} rows) are not restored" if parts else f"{rows} rows are not restored"
