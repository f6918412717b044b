"""Result files on disk, written atomically (write to a temporary sibling, fsync, rename).

Besides the atomic primitives (``atomic_writer``, ``atomic_write_bytes``, ``save_npz``) this module
holds the evaluation result store, one directory per run::

    RUN/
      manifest.json                      what was run: resolved config, its hash, versions, git, device, seed
      summary.csv                        mean metrics per model x explainer (written when the run completes)
      parts/<mi>-<model>__<ei>-<explainer>__b<batch>__r<rank>.parquet   rows of one completed batch
      maps/<same stem>.npz               attribution maps (float16), scanpaths, curves of that batch

A part is the commit record of its batch: its maps file is written first, the part last, both
atomically, so a batch either has a readable part or counts as not done. Every part carries the
run's config hash and its key in its Parquet metadata, so a part from another config, a torn copy or
a duplicate is reported by name instead of being mixed into the results.

Notebooks read results only through :func:`load_results` (one DataFrame, one row per image, model,
explainer and, on VOC, object class) and :func:`load_maps`.
"""
from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timezone
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = [
    "atomic_write_bytes",
    "atomic_writer",
    "save_npz",
    "SCHEMA",
    "SUPPORTED_CONFIG_VERSIONS",
    "StoreError",
    "IncompatibleResultsError",
    "PartKey",
    "read_manifest",
    "write_manifest",
    "write_part",
    "completed_parts",
    "remove_store",
    "remove_temporary_files",
    "load_results",
    "load_maps",
    "export_results",
    "load_exported",
    "load_first_available",
]

#: Layout and row schema of a result directory; bumped when either changes incompatibly.
SCHEMA = "fovex.results/1"
#: Evaluation config versions whose results this fovex reads.
SUPPORTED_CONFIG_VERSIONS = (1,)

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
PARTS = "parts"
MAPS = "maps"
_METADATA_KEY = b"fovex"


# ----------------------------------------------------------------------------- atomic writes


def _umask() -> int:
    """The process's umask (read by setting and restoring it: POSIX has no plain getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one rename.

    A crash leaves either the old file or the new one, never a torn one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; results are shared (e.g. a cluster's filesystem): use the umask like open() does.
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(descriptor, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``np.savez_compressed`` made atomic."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


# ----------------------------------------------------------------------------- errors


class StoreError(RuntimeError):
    """A result directory cannot be used as asked (torn or foreign file, other config, ...)."""


class IncompatibleResultsError(StoreError):
    """Results written by a config version or store schema this fovex does not read."""


# ----------------------------------------------------------------------------- manifest


def read_manifest(run_dir: str | os.PathLike) -> dict | None:
    """The run's manifest, or None when the directory has none."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise StoreError(f"{path}: unreadable manifest ({error}); delete the directory or rerun with --overwrite") from error


def write_manifest(run_dir: str | os.PathLike, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=False, default=_json_default)
    atomic_write_bytes(Path(run_dir) / MANIFEST, (text + "\n").encode())


def _json_default(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def check_compatible(manifest: dict, where: Path) -> None:
    """Raise :class:`IncompatibleResultsError` unless this fovex reads the manifest's results."""
    schema, version = manifest.get("schema"), manifest.get("config_version")
    if schema != SCHEMA or version not in SUPPORTED_CONFIG_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_CONFIG_VERSIONS)
        raise IncompatibleResultsError(
            f"{where} holds results with schema {schema!r} and config_version {version!r}; this fovex reads "
            f"schema {SCHEMA!r} with config_version {supported}. Use the fovex version that wrote them "
            f"(manifest versions: {manifest.get('versions', {}).get('fovex', '?')}) or re-run the evaluation."
        )


# ----------------------------------------------------------------------------- parts


@dataclass(frozen=True, order=True)
class PartKey:
    """Which batch a part holds: indices order the parts as the config orders models and explainers."""

    model_index: int
    explainer_index: int
    batch: int
    model: str = ""
    explainer: str = ""

    @property
    def ident(self) -> tuple[int, int, int]:
        return (self.model_index, self.explainer_index, self.batch)

    def prefix(self) -> str:
        """File-name prefix shared by every batch of this (model, explainer)."""
        return f"{self.model_index:02d}-{_safe(self.model)}__{self.explainer_index:02d}-{_safe(self.explainer)}__"

    def stem(self, rank: int) -> str:
        return f"{self.prefix()}b{self.batch:06d}__r{rank:04d}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", name) or "_"


def write_part(
    run_dir: str | os.PathLike,
    key: PartKey,
    rank: int,
    table,
    config_hash: str,
    arrays: dict[str, np.ndarray] | None = None,
    extra_metadata: dict | None = None,
) -> Path:
    """Commit one batch: its arrays (if any), then its rows as a Parquet part, each atomically.

    ``table``: a ``pyarrow.Table``. The part's metadata records the config hash and the key.
    """
    import pyarrow.parquet as pq

    run_dir = Path(run_dir)
    stem = key.stem(rank)
    if arrays:
        save_npz(run_dir / MAPS / f"{stem}.npz", **arrays)
    metadata = {
        "schema": SCHEMA,
        "config_hash": config_hash,
        "model_index": key.model_index,
        "model": key.model,
        "explainer_index": key.explainer_index,
        "explainer": key.explainer,
        "batch": key.batch,
        "rank": rank,
        "rows": table.num_rows,
        "has_maps": bool(arrays),
        **(extra_metadata or {}),
    }
    schema_metadata = dict(table.schema.metadata or {})
    schema_metadata[_METADATA_KEY] = json.dumps(metadata).encode()
    table = table.replace_schema_metadata(schema_metadata)
    path = run_dir / PARTS / f"{stem}.parquet"
    with atomic_writer(path) as handle:
        pq.write_table(table, handle, compression="zstd")
    return path


def _part_metadata(path: Path) -> dict:
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(_METADATA_KEY)
    except Exception as error:  # pyarrow raises several types for a torn or foreign file
        raise StoreError(
            f"{path}: unreadable part file ({type(error).__name__}: {error}); it is torn or not a fovex part. "
            "Delete it to recompute its batch."
        ) from error
    if raw is None:
        raise StoreError(f"{path}: a Parquet file without fovex metadata sits among the parts; remove it")
    return json.loads(raw)


def completed_parts(run_dir: str | os.PathLike, config_hash: str) -> dict[tuple[int, int, int], Path]:
    """Key ident ``(model_index, explainer_index, batch)`` -> part path, for every committed batch.

    Raises :class:`StoreError` naming the file for a torn part, a part of another config, or two
    parts of the same batch.
    """
    found: dict[tuple[int, int, int], Path] = {}
    for path in sorted((Path(run_dir) / PARTS).glob("*.parquet")):
        metadata = _part_metadata(path)
        if metadata.get("config_hash") != config_hash:
            raise StoreError(
                f"{path}: part of another config (hash {str(metadata.get('config_hash'))[:12]}..., this run "
                f"{config_hash[:12]}...); it does not belong in this result directory"
            )
        ident = (int(metadata["model_index"]), int(metadata["explainer_index"]), int(metadata["batch"]))
        if ident in found:
            raise StoreError(f"{path} and {found[ident]} hold the same batch {ident}; remove one of them")
        found[ident] = path
    return found


def remove_temporary_files(run_dir: str | os.PathLike) -> int:
    """Delete temporary files a killed writer left behind (``.<name>.*.tmp``); returns how many."""
    removed = 0
    run_dir = Path(run_dir)
    for folder in (run_dir, run_dir / PARTS, run_dir / MAPS):
        if folder.is_dir():
            for path in folder.glob(".*.tmp"):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    return removed


#: File stems the store gives parts and maps (``PartKey.stem``): nothing else in parts/ or maps/ is ours.
_STEM = re.compile(r"\d{2}-[A-Za-z0-9.+_-]*__\d{2}-[A-Za-z0-9.+_-]*__b\d{6}__r\d{4}")


def remove_store(run_dir: str | os.PathLike) -> list[Path]:
    """Delete what the store itself wrote in ``run_dir``, and nothing else; returns the deleted paths.

    Only a directory with a manifest is a result directory; without one nothing is deleted. Then:
    the manifest and summary, every part in ``parts/`` that carries fovex metadata, every ``.npz`` in
    ``maps/`` named like a part, and the store's temporary files; ``parts/`` and ``maps/`` go only when
    that leaves them empty. A user's own files there (any other name or content) are kept.
    """
    run_dir = Path(run_dir)
    if not (run_dir / MANIFEST).is_file():
        return []
    removed: list[Path] = []
    for path in sorted((run_dir / PARTS).glob("*.parquet")):
        try:
            _part_metadata(path)
        except StoreError:
            continue  # not provably ours
        if _STEM.fullmatch(path.stem):
            path.unlink()
            removed.append(path)
    for path in sorted((run_dir / MAPS).glob("*.npz")):
        if _STEM.fullmatch(path.stem):
            path.unlink()
            removed.append(path)
    for name in (SUMMARY, MANIFEST):
        with contextlib.suppress(FileNotFoundError):
            (run_dir / name).unlink()
            removed.append(run_dir / name)
    remove_temporary_files(run_dir)
    for name in (PARTS, MAPS):
        with contextlib.suppress(OSError):  # not there, or still holding a user's files
            (run_dir / name).rmdir()
    return removed


# ----------------------------------------------------------------------------- reading


def _manifest_for_reading(run_dir: Path) -> dict:
    if not run_dir.is_dir():
        raise FileNotFoundError(f"result directory {run_dir} does not exist")
    manifest = read_manifest(run_dir)
    if manifest is None:
        raise StoreError(f"{run_dir} has no {MANIFEST}: not a fovex result directory (or the run never started)")
    check_compatible(manifest, run_dir)
    return manifest


def _ordered_parts(run_dir: Path, manifest: dict) -> list[tuple[tuple[int, int, int], Path]]:
    parts = completed_parts(run_dir, manifest["config_hash"])
    return sorted(parts.items())


def load_results(run_dir: str | os.PathLike, require_complete: bool = False):
    """All rows of a run as one ``pandas.DataFrame``, in config order (model, explainer, image).

    One row per (image, model, explainer), and per object class on VOC. ``status`` is ``"ok"``,
    ``"failed"`` (the image could not be loaded; ``error`` says why) or ``"skipped"`` (a VOC class
    with no ImageNet counterpart). Metric columns are NaN where a metric does not apply.
    Raises :class:`IncompatibleResultsError` for results of another config version or schema,
    :class:`StoreError` naming the file for a torn or foreign part. An unfinished run is returned
    as far as it got, with a warning (``require_complete=True`` raises instead).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    run_dir = Path(run_dir)
    manifest = _manifest_for_reading(run_dir)
    if manifest.get("status") != "complete":
        message = f"{run_dir}: the run is not complete (status {manifest.get('status')!r}); rerun it to finish"
        if require_complete:
            raise StoreError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    tables = []
    for _, path in _ordered_parts(run_dir, manifest):
        try:
            tables.append(pq.read_table(path))
        except Exception as error:  # a footer can survive while a column chunk is damaged
            raise StoreError(f"{path}: unreadable part file ({type(error).__name__}: {error}); delete it to recompute its batch") from error
    if not tables:
        columns = manifest.get("columns") or []
        import pandas as pd

        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables])
    return table.to_pandas(types_mapper=_stable_dtypes).reset_index(drop=True)


def _stable_dtypes(arrow_type):
    """Nullable pandas dtypes for integers and booleans, so a column's dtype does not depend on whether it holds a null."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def load_maps(
    run_dir: str | os.PathLike,
    model: str | None = None,
    explainer: str | None = None,
    ids: Iterable[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Stored arrays of one (model, explainer), keyed by row key (image id; ``"<id>/<class>"`` on VOC).

    Each value holds ``attribution`` (H, W) float16 in [0, 1], ``target`` and, where present,
    ``fixations_xy`` (T, 2) pixels (x right, y down), ``losses`` (T,), ``insertion_curve`` and
    ``deletion_curve``. ``model``/``explainer`` (labels as in the results) may be left out when the
    run has only one; ``ids`` restricts the keys (image ids or row keys).
    """
    run_dir = Path(run_dir)
    manifest = _manifest_for_reading(run_dir)
    config = manifest["config"]
    model_index, model = _pick(model, [m["label"] for m in config["models"]], "model")
    explainer_index, explainer = _pick(explainer, [e["label"] for e in config["explainers"]], "explainer")
    wanted = None if ids is None else {str(i) for i in ids}
    result: dict[str, dict[str, Any]] = {}
    for (mi, ei, _), part in _ordered_parts(run_dir, manifest):
        if (mi, ei) != (model_index, explainer_index):
            continue
        maps_path = run_dir / MAPS / f"{part.stem}.npz"
        if not maps_path.is_file():
            continue  # maps were not saved for this batch (save_maps: false or beyond its limit)
        try:
            with np.load(maps_path, allow_pickle=False) as arrays:
                data = {name: arrays[name] for name in arrays.files}
        except Exception as error:
            raise StoreError(f"{maps_path}: unreadable maps file ({type(error).__name__}: {error})") from error
        for i, row_key in enumerate(data["row_keys"].tolist()):
            image_id = data["image_ids"][i].item()
            if wanted is not None and row_key not in wanted and image_id not in wanted:
                continue
            entry = {name: values[i] for name, values in data.items() if name not in ("row_keys", "image_ids")}
            entry["image_id"] = image_id
            result[row_key] = entry
    return result


def _pick(value: str | None, labels: list[str], what: str) -> tuple[int, str]:
    if value is None:
        if len(labels) != 1:
            raise ValueError(f"the run has {len(labels)} {what}s; name one of: {', '.join(labels)}")
        return 0, labels[0]
    if value not in labels:
        raise ValueError(f"unknown {what} {value!r}; the run has: {', '.join(labels)}")
    return labels.index(value), value


# ----------------------------------------------------------------------------- exported tables

#: Manifest fields an exported table keeps as its provenance.
_PROVENANCE_FIELDS = ("schema", "config_version", "config_hash", "config", "seed", "status", "device", "world_size",
                      "versions", "git", "created_at", "finished_at", "rows_by_status")  # fmt: skip


def export_results(run_dir: str | os.PathLike, path: str | os.PathLike, columns: Iterable[str] | None = None,
                   source: str | None = None) -> dict:  # fmt: skip
    """Write a run's rows as CSV at ``path`` and its provenance as JSON next to it (``.json``).

    For measurements too long to recompute when a book is built: the CSV holds the rows (only
    ``columns`` when given; floats written to round-trip exactly), the JSON the run's config, hash,
    versions, commit and device, plus ``rows``, ``images``, ``exported_at`` (UTC) and ``source``
    (``source`` if given, else ``run_dir``). Both files are written atomically. Returns the provenance.
    """
    run_dir, path = Path(run_dir), Path(path)
    sidecar = path.with_suffix(".json")
    if path.resolve() == sidecar.resolve():
        raise ValueError(f"{path}: the table and its provenance ({sidecar.name}) would be the same file; name the table *.csv")
    own = [run_dir / MANIFEST, run_dir / SUMMARY]
    for target in (path, sidecar):
        inside_store = any(target.resolve().is_relative_to((run_dir / name).resolve()) for name in (PARTS, MAPS))
        if inside_store or any(target.resolve() == file.resolve() for file in own):
            raise ValueError(f"{target}: would overwrite the run's own files; write the export outside {run_dir}'s store files")
    table = load_results(run_dir)
    if columns is not None:
        columns = list(columns)
        missing = [name for name in columns if name not in table.columns]
        if missing:
            raise ValueError(f"{run_dir}: no column(s) {', '.join(missing)}; available: {', '.join(table.columns)}")
        table = table[columns]
    manifest = _manifest_for_reading(run_dir)
    provenance = {name: manifest[name] for name in _PROVENANCE_FIELDS if name in manifest}
    provenance["source"] = source or str(run_dir)
    provenance["exported_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    provenance["rows"] = int(len(table))
    if "image_id" in table.columns:
        provenance["images"] = int(table["image_id"].nunique())
    with atomic_writer(path, "w") as handle:
        table.to_csv(handle, index=False)
    atomic_write_bytes(sidecar, json.dumps(provenance, indent=2, default=_json_default).encode())
    return provenance


def load_exported(path: str | os.PathLike):
    """``(rows, provenance)`` of a table written by :func:`export_results`."""
    import pandas as pd

    path = Path(path)
    sidecar = path.with_suffix(".json")
    if not path.is_file() or not sidecar.is_file():
        raise FileNotFoundError(f"{path}: an exported table needs both {path.name} and {sidecar.name}")
    provenance = json.loads(sidecar.read_text())
    if provenance.get("schema") != SCHEMA:
        raise IncompatibleResultsError(f"{sidecar}: schema {provenance.get('schema')!r}, this fovex reads {SCHEMA!r}")
    return pd.read_csv(path), provenance


def load_first_available(sources: Iterable[str | os.PathLike]):
    """``(rows, provenance, source)`` of the first source that exists, else None.

    A source is a run directory (its manifest is the provenance) or a table written by
    :func:`export_results`; list a run directory before its export so a fresh run wins.
    """
    for source in map(Path, sources):
        if source.is_dir() and (source / MANIFEST).is_file():
            return load_results(source), _manifest_for_reading(source), source
        if source.is_file():
            rows, provenance = load_exported(source)
            return rows, provenance, source
    return None
