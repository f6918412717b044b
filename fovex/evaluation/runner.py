"""The evaluation loop: shard batches over ranks, explain, score, commit one part per batch.

Work is cut into batches (:mod:`~fovex.evaluation.plan`); batch ``b`` belongs to rank
``b % world_size``. For each of its batches a rank loads the images one by one (a corrupt file
becomes a ``failed`` row), chooses the explained classes with one forward pass, and then, per
explainer whose part is not yet on disk, explains, scores (:mod:`~fovex.evaluation.scoring`) and
commits the part. Explainers draw randomness from per-image generators, so a batch's rows do not
depend on which rank computed it or on what ran before.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..devices import deterministic, synchronize
from . import distributed, store
from .config import EvalConfig, EvaluationError, ExplainerEntry, load_config
from .manifest import finish_manifest, prepare_store, record_weights
from .plan import (
    Item,
    ModelPlan,
    build_explainers,
    explanation_items,
    load_plan_model,
    plan_at_model_size,
    plan_models,
    plan_record,
)
from .provenance import now as provenance_now
from .schema import arrow_schema, base_row, item_fields, map_arrays, row_columns
from .scoring import compute_metrics, fixation_pool

__all__ = ["PART_GATE_ENV", "run"]

#: Test hook: a file path; while that file exists, the run waits after each committed part. A test
#: holds a run between two batches with it, whatever the machine's speed, and interrupts it there.
PART_GATE_ENV = "FOVEX_EVALUATE_PART_GATE"

#: The forward pass on the clean batch that chooses every explained class (and fills ``predicted``).
SELECTION_PASSES = 1


@dataclass
class LoadedBatch:
    """A batch's images that loaded (stacked on the device) and the ones that did not."""

    indices: list[int]
    samples: dict[int, Any] = field(default_factory=dict)  # dataset index -> sample (loaded images only)
    failures: dict[int, tuple[str, str]] = field(default_factory=dict)  # dataset index -> (image id, error)
    images: torch.Tensor | None = None
    logits: torch.Tensor | None = None


@dataclass
class RunContext:
    """What every batch of a run needs."""

    config: EvalConfig
    out: Path
    dist: distributed.Dist
    device: torch.device
    columns: dict[str, str]
    schema: Any
    attempt: int | None = None  # the manifest's index of this attempt, recorded in every part it writes
    manifest: dict | None = None  # rank 0: the manifest, to record each model's checkpoint in


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def _sample_id(dataset, index: int) -> str:
    records = getattr(dataset, "records", None)
    return str(records[index].id) if records is not None else str(index)


def _out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an allocation that failed (numpy, PIL, torch on the CPU or a GPU)."""
    return isinstance(error, (MemoryError, torch.OutOfMemoryError)) or "can't allocate memory" in str(error)


def _load_batch(dataset, indices: list[int], image_size: int, model, device: torch.device) -> LoadedBatch:
    """Load each sample on its own so one corrupt file fails one row, not the batch."""
    batch = LoadedBatch(indices)
    images = []
    for index in indices:
        try:
            sample = dataset[index]
            image = sample.image
            if tuple(image.shape) != (3, image_size, image_size) or not torch.isfinite(image).all():
                raise ValueError(
                    f"{sample.path}: loaded as {tuple(image.shape)}, expected (3, {image_size}, {image_size})"
                )
        except Exception as error:  # noqa: BLE001  (any failure to read one image must not stop the run)
            if _out_of_memory(error):  # the machine's limit, not the image's fault: never a permanent failure row
                raise EvaluationError(
                    f"out of memory loading {_sample_id(dataset, index)} at {image_size} px ({type(error).__name__}); "
                    "lower dataset.image_size or batch_size, or free memory, then rerun to resume"
                ) from error
            batch.failures[index] = (_sample_id(dataset, index), f"{type(error).__name__}: {error}")
            continue
        batch.samples[index] = sample
        images.append(image)
    if images:
        batch.images = torch.stack(images).to(device)
        with torch.no_grad():
            batch.logits = model(batch.images).float()
    return batch


def _explain_and_score(context: RunContext, model, explainer, items: list[Item], batch: LoadedBatch, pool):
    """Explain the items in one call and score them; returns per-item values and notes, the explanation,
    the arrays (curves) and the timing columns."""
    images = batch.images[[item.position for item in items]]
    targets = torch.tensor([item.target for item in items], dtype=torch.long, device=context.device)
    synchronize(context.device)
    started = time.perf_counter()
    explanation = explainer.explain(images, targets, selection_passes=SELECTION_PASSES)
    synchronize(context.device)
    explained = time.perf_counter()
    values, notes, arrays = compute_metrics(
        context.config.metrics, model, images, explanation, items, context.config.metric_settings, pool
    )
    synchronize(context.device)
    scored = time.perf_counter()
    # Per-row seconds are the batch's wall time shared equally among its rows.
    timing = {
        "explain_seconds": (explained - started) / len(items),
        "metric_seconds": (scored - explained) / len(items),
    }
    return values, notes, explanation, arrays, timing


def _batch_rows(
    context: RunContext,
    plan: ModelPlan,
    model,
    explainer,
    explainer_entry: ExplainerEntry,
    batch_index: int,
    batch: LoadedBatch,
    items: list[Item],
    skipped: dict,
    pool,
) -> tuple[list[dict], dict | None]:
    """All rows of one (batch, explainer), in image order, and the arrays to store with them."""
    per_image: dict[int, list[dict]] = defaultdict(list)

    def new_row(index: int, image_id: str) -> dict:
        return base_row(
            context.config, context.columns, plan.entry.label, explainer_entry, batch_index, index, image_id
        )

    arrays = None
    if items:
        values, notes, explanation, curves, timing = _explain_and_score(context, model, explainer, items, batch, pool)
        for item, metric_values, item_notes in zip(items, values, notes):
            row = new_row(item.index, item.sample.id)
            row.update(item_fields(model, item, batch.logits), **metric_values, **timing)
            row.update(forward_passes=explanation.forward_passes, backward_passes=explanation.backward_passes)
            row["notes"] = "; ".join(item_notes) or None
            per_image[item.index].append(row)
        arrays = map_arrays(context.config, plan, items, explanation, curves)
    for index, reasons in skipped.items():
        sample = batch.samples[index]
        for object_class, reason, count in reasons:
            row = new_row(index, sample.id)
            row.update(
                object_class=object_class, n_objects=count or None, label=sample.label, status="skipped", error=reason
            )
            per_image[index].append(row)
    for index, (image_id, message) in batch.failures.items():
        row = new_row(index, image_id)
        row.update(status="failed", error=message)
        per_image[index].append(row)
    rows = [row for index in batch.indices for row in per_image.get(index, [])]
    return rows, arrays


def _pending_batches(config: EvalConfig, plans: list[ModelPlan], done: set, dist: distributed.Dist) -> dict:
    """This rank's batches that still lack a part: (model index, batch) -> the explainer indices to run."""
    pending = {}
    for plan in plans:
        for b in range(dist.rank, len(plan.batches), dist.world_size):
            explainers = [
                e
                for e, entry in enumerate(config.explainers)
                if entry.explains(plan.entry.label) and (plan.index, e, b) not in done
            ]
            if explainers:
                pending[(plan.index, b)] = explainers
    return pending


def _run_pending_batches(context: RunContext, plans: list[ModelPlan], done: set, quiet: bool) -> dict:
    """Model by model, load the model and its explainers and run this rank's batches that have no part
    yet, committing one part per (batch, explainer); returns the explainers' resolved settings per model."""
    from tqdm.auto import tqdm

    config, dist = context.config, context.dist
    todo = _pending_batches(config, plans, done, dist)
    total = sum(len(plans[m].batches[b]) * len(e) for (m, b), e in todo.items())
    gate = os.environ.get(PART_GATE_ENV)
    resolved = {}
    with tqdm(
        total=total,
        unit="img",
        desc=f"rank {dist.rank}/{dist.world_size}" if dist.enabled else "evaluate",
        disable=quiet or not dist.is_main,
        dynamic_ncols=True,
    ) as bar:
        for plan in plans:
            batches = [b for (m, b) in todo if m == plan.index]
            if not batches:
                continue
            model = load_plan_model(plan.entry, context.device)
            if context.manifest is not None:
                record_weights(context.out, context.manifest, plan.entry.label, getattr(model, "weights_info", None))
            plan = plan_at_model_size(config, plan, model)
            explainers = build_explainers(config, model, plan.entry.label)
            resolved[plan.entry.label] = {
                "image_size": plan.image_size,
                "explainers": {e.label: x.settings for e, x in zip(config.explainers, explainers) if x is not None},
            }
            other_images = config.metric_settings.plausibility.sauc_other_images
            pool = fixation_pool(plan.dataset, plan.selection, other_images) if "sauc" in config.metrics else None
            for b in batches:
                batch = _load_batch(plan.dataset, plan.batches[b], plan.image_size, model, context.device)
                items, skipped = explanation_items(config, batch)
                for e in todo[(plan.index, b)]:
                    entry = config.explainers[e]
                    bar.set_postfix_str(f"{plan.entry.label} / {entry.label}", refresh=False)
                    rows, arrays = _batch_rows(
                        context, plan, model, explainers[e], entry, b, batch, items, skipped, pool
                    )
                    _commit(context, plan, e, b, rows, arrays)
                    bar.update(len(plan.batches[b]))
                    while gate and os.path.exists(gate):
                        time.sleep(0.05)
    return resolved


def _commit(
    context: RunContext, plan: ModelPlan, explainer_index: int, batch_index: int, rows: list[dict], arrays
) -> None:
    import pyarrow as pa

    entry = context.config.explainers[explainer_index]
    key = store.PartKey(plan.index, explainer_index, batch_index, plan.entry.label, entry.label)
    table = pa.Table.from_pylist(rows, schema=context.schema)
    store.write_part(
        context.out,
        key,
        context.dist.rank,
        table,
        context.config.hash,
        arrays,
        extra_metadata={"device": str(context.device), "attempt": context.attempt},
    )


def _expected_parts(config: EvalConfig, plans: list[ModelPlan]) -> set:
    return {
        (p.index, e, b)
        for p in plans
        for e, entry in enumerate(config.explainers)
        for b in range(len(p.batches))
        if entry.explains(p.entry.label)
    }


def _output_dir(config: EvalConfig, out_dir) -> Path:
    chosen = out_dir if out_dir is not None else config.output_dir
    if chosen is None:
        raise EvaluationError("no output directory: pass --out DIR (out_dir=...) or set output_dir in the config")
    if not str(chosen).strip():  # Path("") is the current folder: never chosen without a word
        raise EvaluationError("the output directory is empty text: name a folder (--out . for the current one)")
    return Path(chosen).expanduser()


def run(config, out_dir=None, *, quiet: bool = False, overwrite: bool = False, device: str | None = None):
    """Run an evaluation config into a resumable result store; returns the results DataFrame (rank 0).

    ``config``: a YAML path, a dict or an :class:`~fovex.evaluation.config.EvalConfig`. ``out_dir``
    overrides the config's ``output_dir``. Rerunning with the same config completes an interrupted
    run (finished batches are kept); a directory holding another config's results is refused unless
    ``overwrite=True``, which deletes them first. ``device`` overrides the config's device. A config
    with ``deterministic: true`` computes with bit-stable kernels (:func:`fovex.devices.deterministic`,
    TF32 off). Under
    ``torchrun`` each rank evaluates batches ``b`` with ``b % world_size == rank``; other ranks return None.
    """
    config = load_config(config)
    if device is not None:
        config = load_config({**config.to_dict(), "device": device})
    out = _output_dir(config, out_dir)
    dist = distributed.from_env()
    try:
        torch_device = distributed.resolve_device(config.device, dist)
    except RuntimeError as error:
        raise EvaluationError(str(error)) from error
    threads = config.threads or distributed.default_threads(dist, torch_device)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(threads)
    _seed_everything(config.seed)
    dist = distributed.setup(dist, torch_device)
    try:
        plans = plan_models(config)
        prelude = None
        if dist.is_main:
            try:
                plan = plan_record(plans)
                manifest, done = prepare_store(out, config, overwrite, dist, torch_device, threads, plan)
                prelude = ("ok", manifest, done)
            except Exception as error:  # noqa: BLE001  (relayed to every rank, then raised everywhere)
                prelude = ("error", error, None)
        status, payload, done = distributed.broadcast(dist, prelude)
        if status == "error":
            raise payload
        columns = row_columns(config.metrics)
        attempt = (payload.get("attempts") or [{}])[-1].get("index")
        context = RunContext(
            config, out, dist, torch_device, columns, arrow_schema(columns), attempt, payload if dist.is_main else None
        )
        try:
            with deterministic(config.deterministic):  # flags restored after the run, also on error
                resolved = _run_pending_batches(context, plans, done, quiet)
        except Exception as error:
            # A crash (not an interrupt: that stays "running", to resume) is recorded in the manifest,
            # when it can be: on a full disk even that write may fail, and the crash is what to report.
            if dist.is_main:
                with contextlib.suppress(OSError):
                    store.write_manifest(
                        out,
                        {
                            **payload,
                            "status": "failed",
                            "error": f"{type(error).__name__}: {error}",
                            "failed_at": provenance_now(),
                        },
                    )
            raise
        distributed.barrier(dist)
        if not dist.is_main:
            return None
        return finish_manifest(out, config, _expected_parts(config, plans), payload, resolved, quiet)
    finally:
        distributed.shutdown(dist)
        torch.set_num_threads(threads_before)  # run() from a notebook must not leave its thread count behind
