"""Exported tables: a run's rows as CSV with a JSON provenance sidecar, and reading either back."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from ...files import atomic_write_bytes, check_output_file
from .layout import (
    MANIFEST,
    MAPS,
    PARTS,
    SCHEMA,
    SUMMARY,
    IncompatibleResultsError,
    StoreError,
    field_type_problem,
    is_store_manifest,
    json_default,
    read_run_manifest,
)
from .parts import completed_parts, part_metadata
from .reading import load_results
from .verify import export_checksums, group_key

# ----------------------------------------------------------------------------- exported tables

#: Manifest fields an exported table keeps as its provenance.
_PROVENANCE_FIELDS = (
    "schema",
    "config_version",
    "config_hash",
    "config",
    "seed",
    "status",
    "device",
    "world_size",
    "versions",
    "git",
    "created_at",
    "finished_at",
    "rows_by_status",
    "models",
    "attempts",
)


def export_results(
    run_dir: str | os.PathLike, path: str | os.PathLike, columns: Iterable[str] | None = None, source: str | None = None
) -> dict:
    """Write a run's rows as CSV at ``path`` and its provenance as JSON next to it (``.json``).

    For measurements too long to recompute when a book is built: the CSV holds the rows (only
    ``columns`` when given; floats written to round-trip exactly), the JSON the run's config, hash,
    versions, commit and device (the latest attempt's; ``attempts`` lists every attempt's, each with
    the ``rows`` it computed where its parts record it), plus ``rows``, ``images``, ``exported_at``
    (UTC), ``source`` (``source`` if given, else ``run_dir``) and ``checksums`` (the CSV's SHA-256 and
    each batch part's, :mod:`fovex.evaluation.store.verify`: a restore trusts only rows that still match them).
    Both files are written atomically. Returns the provenance.

    Refused before anything is written: a ``path`` that is a folder or lies under a file
    (:class:`~fovex.files.OutputError`), no columns, names that collide with each other or the
    run's files, and an existing ``.json`` that is not an export's provenance (a user's own file).
    """
    run_dir, path = Path(run_dir), Path(path)
    sidecar = path.with_suffix(".json")
    check_output_file(path)
    check_output_file(sidecar)
    if columns is not None:
        columns = list(columns)
        if not columns:
            raise ValueError("--columns needs at least one column name (leave it out to export every column)")
    if str(path.resolve()).casefold() == str(sidecar.resolve()).casefold():
        # T.JSON beside T.json: one file where case is not told apart (macOS, Windows), whose provenance replaced it
        raise ValueError(
            f"{path}: the table and its provenance ({sidecar.name}) would be the same file (on a file system that "
            "ignores case, as macOS's and Windows' do); name the table *.csv"
        )
    own = [run_dir / MANIFEST, run_dir / SUMMARY]
    for target in (path, sidecar):
        inside_store = any(target.resolve().is_relative_to((run_dir / name).resolve()) for name in (PARTS, MAPS))
        if inside_store or any(target.resolve() == file.resolve() for file in own):
            raise ValueError(
                f"{target}: would overwrite the run's own files; write the export outside {run_dir}'s store files"
            )
    if sidecar.exists() and not _is_provenance(sidecar):
        raise ValueError(
            f"{sidecar} exists and is not the provenance of a fovex export; the export would replace it: "
            "move it, or name the table differently"
        )
    table = load_results(run_dir)
    if columns is not None:
        missing = [name for name in columns if name not in table.columns]
        if missing:
            raise ValueError(f"{run_dir}: no column(s) {', '.join(missing)}; available: {', '.join(table.columns)}")
        table = table[columns]
    manifest = read_run_manifest(run_dir)
    provenance = {name: manifest[name] for name in _PROVENANCE_FIELDS if name in manifest}
    provenance["source"] = source or str(run_dir)
    provenance["exported_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    provenance["rows"] = int(len(table))
    if "image_id" in table.columns:
        provenance["images"] = int(table["image_id"].nunique())
    computed_by = _part_attempts(run_dir, manifest)
    if "attempts" in provenance:
        provenance["attempts"] = _attempt_rows(provenance["attempts"], computed_by)
    data = table.to_csv(index=False, lineterminator="\n").encode()
    provenance["checksums"] = export_checksums(data, {key: attempt for key, (attempt, _) in computed_by.items()})
    atomic_write_bytes(path, data)
    atomic_write_bytes(sidecar, json.dumps(provenance, indent=2, default=json_default).encode())
    return provenance


def _is_provenance(path: Path) -> bool:
    """Whether ``path`` holds a provenance :func:`export_results` wrote (a run's schema and ``exported_at``)."""
    try:
        provenance = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return is_store_manifest(provenance) and "exported_at" in provenance


def _part_attempts(run_dir: Path, manifest: dict) -> dict[str, tuple[int | None, int]]:
    """Part (``group_key``) -> (index of the attempt that computed it, or None where not recorded; its rows)."""
    found = {}
    for path in completed_parts(run_dir, manifest.get("config_hash")).values():
        metadata = part_metadata(path)
        key = group_key(metadata["model"], metadata["explainer"], metadata["batch"])
        found[key] = (metadata.get("attempt"), int(metadata.get("rows", 0)))
    return found


def _attempt_rows(attempts: list[dict], computed_by: dict[str, tuple[int | None, int]]) -> list[dict]:
    """Each attempt that records its ``index`` (runs since parts name their attempt) gets the rows its
    parts hold; older attempts are left as recorded (their rows are not attributed)."""
    rows: dict[int, int] = {}
    for attempt, count in computed_by.values():
        if attempt is not None:
            rows[attempt] = rows.get(attempt, 0) + count
    return [
        {**attempt, "rows": rows.get(attempt["index"], 0)} if "index" in attempt else attempt for attempt in attempts
    ]


def read_provenance(path: str | os.PathLike) -> dict:
    """An exported table's provenance (its ``.json``), or a :class:`StoreError` naming the file when it is
    unreadable, not a JSON object, or holds fields of the wrong type (``attempts: [1]``, ``git: "abc"``)."""
    path = Path(path)
    try:
        provenance = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        problem = f"is unreadable ({error_text(error)})"
    else:
        problem = None
        if not isinstance(provenance, dict):
            problem = f"holds a JSON {type(provenance).__name__}, not the object an export's provenance is"
        elif field_type_problem(provenance):
            problem = f"has {field_type_problem(provenance)}: edited by hand or damaged"
    if problem:
        raise StoreError(
            f"{path} {problem}; restore this export provenance from version control (git checkout -- {path.name}), "
            "or move the export away"
        )
    return provenance


def error_text(error: BaseException) -> str:
    return f"{error.strerror}" if isinstance(error, OSError) and error.strerror else str(error)


def load_exported(path: str | os.PathLike):
    """``(rows, provenance)`` of a table written by :func:`export_results`.

    ``image_id`` is read as text, as the run's own rows hold it: ids such as OSIE's ``1001`` or VOC's
    ``000001`` are names, not numbers (read as numbers, they no longer name their image)."""
    import pandas as pd

    path = Path(path)
    sidecar = path.with_suffix(".json")
    if not path.is_file() or not sidecar.is_file():
        raise FileNotFoundError(f"{path}: an exported table needs both {path.name} and {sidecar.name}")
    provenance = read_provenance(sidecar)
    if provenance.get("schema") != SCHEMA:
        raise IncompatibleResultsError(f"{sidecar}: schema {provenance.get('schema')!r}, this fovex reads {SCHEMA!r}")
    return pd.read_csv(path, dtype={"image_id": str}), provenance


def load_first_available(sources: Iterable[str | os.PathLike]):
    """``(rows, provenance, source)`` of the first source that exists, else None.

    A source is a run directory (its manifest is the provenance) or a table written by
    :func:`export_results`; list a run directory before its export so a fresh run wins. The rows
    carry their run's :func:`metric_settings_key` in a ``metric_settings`` column, so that a paired
    comparison (:mod:`fovex.report.statistics`) refuses rows scored under different metric settings.
    """
    for source in map(Path, sources):
        if source.is_dir() and (source / MANIFEST).is_file():
            rows, provenance = load_results(source), read_run_manifest(source)
        elif source.is_file():
            rows, provenance = load_exported(source)
        else:
            continue
        settings = (provenance.get("config") or {}).get("metric_settings")
        if settings is not None:
            rows = rows.assign(metric_settings=metric_settings_key(settings))
        return rows, provenance, source
    return None


def metric_settings_key(settings: dict) -> str:
    """A run's resolved ``metric_settings`` as canonical JSON, without the ``batch_size`` keys (how many
    images a metric scores per model pass changes no definition): equal keys, like-for-like rows."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "batch_size"}
        return value

    return json.dumps(strip(settings), sort_keys=True, default=json_default)
