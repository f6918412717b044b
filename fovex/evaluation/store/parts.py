"""Writing parts (the commit record of a batch), listing the completed ones, cleaning up."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np

from ...files import atomic_writer, save_npz
from .layout import (
    MANIFEST,
    MAPS,
    METADATA_KEY,
    PART_STEM,
    PARTS,
    SCHEMA,
    SUMMARY,
    PartKey,
    StoreError,
    read_manifest,
)


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
        "maps": len(arrays["row_keys"]) if arrays else 0,  # load_maps checks the maps file holds them all
        **(extra_metadata or {}),
    }
    schema_metadata = dict(table.schema.metadata or {})
    schema_metadata[METADATA_KEY] = json.dumps(metadata).encode()
    table = table.replace_schema_metadata(schema_metadata)
    path = run_dir / PARTS / f"{stem}.parquet"
    with atomic_writer(path) as handle:
        pq.write_table(table, handle, compression="zstd")
    return path


def part_metadata(path: Path) -> dict:
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
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
        metadata = part_metadata(path)
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


def own_folders(run_dir: str | os.PathLike) -> list[Path]:
    """``run_dir`` and those of its ``parts/`` and ``maps/`` that are real folders of it: one that is a
    symbolic link may lead into another run (or anywhere), and nothing is ever deleted through it."""
    run_dir = Path(run_dir)
    return [run_dir] + [run_dir / name for name in (PARTS, MAPS) if not (run_dir / name).is_symlink()]


def linked_folders(run_dir: str | os.PathLike) -> list[Path]:
    """The store folders of ``run_dir`` (``parts/``, ``maps/``) that are symbolic links."""
    return [Path(run_dir) / name for name in (PARTS, MAPS) if (Path(run_dir) / name).is_symlink()]


def is_store_summary(path: Path) -> bool:
    """Whether ``path`` is a summary the store wrote: its header starts ``model,explainer,n_ok``, or it is
    the table of a run without rows (``""``)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            header = handle.readline()
    except OSError:
        return False
    return header.startswith("model,explainer,n_ok,") or header == '""\n'


def remove_temporary_files(run_dir: str | os.PathLike) -> int:
    """Delete temporary files a killed writer left behind (``.<name>.*.tmp``); returns how many.

    Never in a linked ``parts/`` or ``maps/`` (:func:`own_folders`): another run may be writing there."""
    removed = 0
    for folder in own_folders(run_dir):
        if folder.is_dir():
            for path in folder.glob(".*.tmp"):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    return removed


def remove_store(run_dir: str | os.PathLike) -> list[Path]:
    """Delete what the store itself wrote in ``run_dir``, and nothing else; returns the deleted paths.

    Only a directory whose manifest fovex wrote is a result directory (:func:`read_manifest`);
    otherwise nothing is deleted. Then: the manifest, the summary (when it is the store's: see
    :func:`is_store_summary`), every part in ``parts/`` that carries fovex metadata, every ``.npz`` in
    ``maps/`` named like a part, and the store's temporary files; ``parts/`` and ``maps/`` go only when
    that leaves them empty. A user's own files there (any other name or content) are kept, and a
    ``parts/`` or ``maps/`` that is a symbolic link is not entered (a file that is a link is removed as
    a link: what it points to stays).
    """
    run_dir = Path(run_dir)
    try:
        if read_manifest(run_dir) is None:
            return []
    except StoreError:
        return []  # unreadable or a user's own manifest.json: not provably a result directory
    folders = own_folders(run_dir)
    removed: list[Path] = []
    if run_dir / PARTS in folders:
        for path in sorted((run_dir / PARTS).glob("*.parquet")):
            try:
                part_metadata(path)
            except StoreError:
                continue  # not provably ours
            if PART_STEM.fullmatch(path.stem):
                path.unlink()
                removed.append(path)
    if run_dir / MAPS in folders:
        for path in sorted((run_dir / MAPS).glob("*.npz")):
            if PART_STEM.fullmatch(path.stem):
                path.unlink()
                removed.append(path)
    summary = run_dir / SUMMARY
    if is_store_summary(summary):
        summary.unlink()
        removed.append(summary)
    (run_dir / MANIFEST).unlink()
    removed.append(run_dir / MANIFEST)
    remove_temporary_files(run_dir)
    for folder in folders[1:]:
        with contextlib.suppress(OSError):  # not there, or still holding a user's files
            folder.rmdir()
    return removed
