"""The shape of a run's results: row columns and their Arrow types, and the arrays stored with the maps.

A row is one explanation (one image, or one VOC class of an image) by one explainer of one model:
the identifying and base columns of :data:`BASE_COLUMNS`, then each selected metric's columns
(:data:`fovex.evaluation.scoring.METRICS`). Arrays per part (``maps/<part>.npz``): ``row_keys``,
``image_ids``, ``target``, ``attribution`` (float16), and where present ``fixations_xy``, ``losses``,
the explainer's per-image extras and the insertion/deletion curves.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from .config import EvalConfig, ExplainerEntry
from .plan import Item, ModelPlan
from .scoring import METRICS

__all__ = ["BASE_COLUMNS", "arrow_schema", "base_row", "item_fields", "map_arrays", "row_columns"]

BASE_COLUMNS: dict[str, str] = {
    "dataset": "string",
    "split": "string",
    "index": "int64",
    "image_id": "string",
    "model": "string",
    "explainer": "string",
    "method": "string",
    "object_class": "string",
    "n_objects": "int64",
    "difficult": "bool",
    "label": "int64",
    "predicted": "int64",
    "target": "int64",
    "target_name": "string",
    "target_score": "float64",
    "status": "string",
    "error": "string",
    "notes": "string",
    "forward_passes": "int64",
    "backward_passes": "int64",
    "explain_seconds": "float64",
    "metric_seconds": "float64",
    "batch": "int64",
}


def row_columns(metrics: Iterable[str]) -> dict[str, str]:
    """Column name -> arrow type name of a run's rows: the base columns, then each metric's."""
    columns = dict(BASE_COLUMNS)
    for name in metrics:
        columns.update(METRICS[name].columns)
    return columns


def arrow_schema(columns: dict[str, str]):
    """The Arrow schema of rows with these columns (name -> ``string``, ``int64``, ``float64``, ``bool``)."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    return pa.schema([(name, types[kind]) for name, kind in columns.items()])


def base_row(
    config: EvalConfig,
    columns,
    model_label: str,
    explainer_entry: ExplainerEntry,
    batch_index: int,
    index: int,
    image_id: str,
) -> dict:
    """A row with every column None except what identifies it (data set, image, model, explainer, batch)."""
    row = {name: None for name in columns}
    row.update(
        dataset=config.dataset.name,
        split=config.dataset.split,
        index=index,
        image_id=image_id,
        model=model_label,
        explainer=explainer_entry.label,
        method=explainer_entry.name,
        batch=batch_index,
    )
    return row


def item_fields(model, item: Item, logits: torch.Tensor) -> dict:
    """The columns an explained item fills before scoring: what was explained and how the model saw it."""
    probabilities = logits[item.position].softmax(dim=0)
    return {
        "object_class": item.object_class,
        "n_objects": len(item.objects) if item.object_class is not None else None,
        "difficult": item.difficult,
        "label": item.sample.label,
        "predicted": int(logits[item.position].argmax()),
        "target": item.target,
        "target_name": model.class_names[item.target],
        "target_score": float(probabilities[item.target]),
        "status": "ok",
    }


def _saved(config: EvalConfig, plan: ModelPlan, index: int) -> bool:
    """``save_maps``: true, false, or the number of images of the selection whose maps are kept."""
    limit = config.save_maps
    if isinstance(limit, bool):
        return limit
    return plan.selection.index(index) < limit


def map_arrays(config: EvalConfig, plan: ModelPlan, items: list[Item], explanation, curves: dict) -> dict | None:
    """The arrays stored beside a part (maps, scanpaths, extras, curves) for the items whose maps are kept."""
    keep = [i for i, item in enumerate(items) if _saved(config, plan, item.index)]
    if not keep:
        return None
    arrays = {
        "row_keys": np.array([items[i].row_key for i in keep]),
        "image_ids": np.array([items[i].sample.id for i in keep]),
        "target": np.array([items[i].target for i in keep], dtype=np.int64),
        # float16 keeps ~3 decimal digits of a [0, 1] map: plenty for figures and re-scoring, half the bytes.
        "attribution": explanation.attribution[keep].detach().cpu().numpy().astype(np.float16),
    }
    if explanation.fixations_xy is not None:
        arrays["fixations_xy"] = explanation.fixations_xy[keep].detach().float().cpu().numpy()
    if explanation.losses is not None:
        arrays["losses"] = explanation.losses[keep].detach().float().cpu().numpy()
    for name, values in explanation.extras.items():  # e.g. FovEx's blurred_loss, to re-weight heat maps later
        if isinstance(values, torch.Tensor) and values.shape[:1] == explanation.attribution.shape[:1]:
            arrays[name] = values[keep].detach().float().cpu().numpy()
    for name, values in curves.items():
        arrays[name] = values[keep]
    return arrays
