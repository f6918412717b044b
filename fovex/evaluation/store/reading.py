"""Reading a run back: its rows as one DataFrame, its maps per (model, explainer)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .layout import MAPS, StoreError, read_run_manifest
from .parts import completed_parts, part_metadata


def ordered_parts(run_dir: Path, manifest: dict) -> list[tuple[tuple[int, int, int], Path]]:
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
    manifest = read_run_manifest(run_dir)
    if manifest.get("status") != "complete":
        message = f"{run_dir}: the run is not complete (status {manifest.get('status')!r}); rerun it to finish"
        if require_complete:
            raise StoreError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    tables = []
    for _, path in ordered_parts(run_dir, manifest):
        try:
            tables.append(pq.read_table(path))
        except Exception as error:  # a footer can survive while a column chunk is damaged
            raise StoreError(
                f"{path}: unreadable part file ({type(error).__name__}: {error}); delete it to recompute its batch"
            ) from error
    if not tables:
        columns = manifest.get("columns") or []
        import pandas as pd

        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables])
    return table.to_pandas(types_mapper=_stable_dtypes).reset_index(drop=True)


def _stable_dtypes(arrow_type):
    """Nullable pandas dtypes for integers and booleans: a column's dtype does not depend on whether it
    holds a null."""
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
    manifest = read_run_manifest(run_dir)
    config = manifest["config"]
    model_index, model = _pick(model, [m["label"] for m in config["models"]], "model")
    explainer_index, explainer = _pick(explainer, [e["label"] for e in config["explainers"]], "explainer")
    wanted = None if ids is None else {str(i) for i in ids}
    result: dict[str, dict[str, Any]] = {}
    for (mi, ei, _), part in ordered_parts(run_dir, manifest):
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
        _check_maps(maps_path, data, part_metadata(part).get("maps"))
        for i, row_key in enumerate(data["row_keys"].tolist()):
            image_id = data["image_ids"][i].item()
            if wanted is not None and row_key not in wanted and image_id not in wanted:
                continue
            entry = {name: values[i] for name, values in data.items() if name not in ("row_keys", "image_ids")}
            entry["image_id"] = image_id
            result[row_key] = entry
    return result


def _check_maps(path: Path, data: dict, expected: int | None) -> None:
    """A maps file holds ``row_keys``, ``image_ids`` and one entry per key in every array, as many as
    its part says were written (``expected``; parts written before fovex recorded it say nothing)."""
    for name in ("row_keys", "image_ids"):
        if name not in data:
            raise StoreError(f"{path}: a maps file without {name!r}; not written by this fovex, or damaged")
    count = len(data["row_keys"])
    if expected is not None and count != expected:
        raise StoreError(
            f"{path}: holds {count} map(s) but its part recorded {expected}; the file is damaged or was "
            "replaced: delete it and its part to recompute the batch"
        )
    uneven = sorted(name for name, values in data.items() if values.ndim == 0 or len(values) != count)
    if uneven:
        raise StoreError(
            f"{path}: {', '.join(uneven)} hold(s) a different number of entries than its {count} row_keys; "
            "the file is damaged: delete it and its part to recompute the batch"
        )


def _pick(value: str | None, labels: list[str], what: str) -> tuple[int, str]:
    if value is None:
        if len(labels) != 1:
            raise ValueError(f"the run has {len(labels)} {what}s; name one of: {', '.join(labels)}")
        return 0, labels[0]
    if value not in labels:
        raise ValueError(f"unknown {what} {value!r}; the run has: {', '.join(labels)}")
    return labels.index(value), value
