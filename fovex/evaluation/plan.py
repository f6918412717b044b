"""What a run evaluates: the selection of images, its batches, the explanations per image, and the
model and explainers that compute them.

The data set's images are put in the configured order (``files`` or :func:`spread_order`), cut by
``offset`` / ``num_images`` into the selection, and the selection into batches of ``batch_size``
(the same cut for any number of processes). Each loaded image becomes one :class:`Item` per
explanation: one per image, or one per VOC class present on a localisation set.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from .config import EvalConfig, EvaluationError, ModelEntry, load_config

__all__ = [
    "Item",
    "ModelPlan",
    "build_explainers",
    "explanation_items",
    "load_plan_model",
    "open_config_dataset",
    "plan_at_model_size",
    "plan_changes",
    "plan_models",
    "plan_record",
    "spread_order",
]


@dataclass
class Item:
    """One explanation to score: an image of the batch and the class explained for it."""

    position: int  # the image's position among the batch's loaded images
    index: int  # position in the data set
    sample: Any
    target: int
    object_class: str | None = None
    objects: list = field(default_factory=list)
    difficult: bool | None = None

    @property
    def row_key(self) -> str:
        return self.sample.id if self.object_class is None else f"{self.sample.id}/{self.object_class}"


@dataclass(frozen=True)
class ModelPlan:
    """What one model evaluates: the data set opened at its input size and the batches of the selection."""

    index: int
    entry: ModelEntry
    dataset: Any
    image_size: int
    selection: list[int]
    batches: list[list[int]]


def open_config_dataset(config: EvalConfig, image_size: int):
    from ..data import open_dataset

    spec = config.dataset
    try:
        return open_dataset(
            spec.name,
            root=spec.root,
            split=spec.split,
            image_size=image_size,
            crop_fraction=spec.crop_fraction,
            **spec.options,
        )
    except (FileNotFoundError, ValueError, KeyError, TypeError) as error:
        raise EvaluationError(f"cannot open data set {spec.name!r}: {error}") from error


def plan_models(config: EvalConfig | dict) -> list[ModelPlan]:
    """Batches per model. The data set is opened here to count its images; each model reopens it at its size.

    ``config``: an :class:`EvalConfig`, or a config mapping such as a run manifest's (resolved again here).
    """
    config = load_config(config)
    spec = config.dataset
    dataset = open_config_dataset(config, spec.image_size or 224)
    available = len(dataset) - spec.offset
    count = available if spec.num_images is None else spec.num_images
    if count > available or available <= 0:
        raise EvaluationError(
            f"data set {spec.name!r} has {len(dataset)} images; offset {spec.offset} and "
            f"num_images {spec.num_images} ask for more"
        )
    order = spread_order(len(dataset)) if spec.order == "spread" else list(range(len(dataset)))
    selection = order[spec.offset : spec.offset + count]
    step = config.batch_size
    batches = [selection[start : start + step] for start in range(0, len(selection), step)]
    return [
        ModelPlan(index, entry, dataset, spec.image_size or 224, selection, batches)
        for index, entry in enumerate(config.models)
    ]


def plan_record(plans: list[ModelPlan]) -> dict:
    """What a run's batches hold, as its manifest records it at the first start: the number of images
    selected and, per batch, a digest (SHA-256, 16 hex digits) of its image ids in order. A resume
    compares it with the data set as it is then (:func:`plan_changes`)."""
    plan = plans[0]  # every model evaluates the same selection
    ids = getattr(plan.dataset, "ids", None)
    digests = []
    for batch in plan.batches:
        names = "\n".join(str(ids[i]) if ids is not None else str(i) for i in batch)
        digests.append(hashlib.sha256(names.encode()).hexdigest()[:16])
    return {"images": len(plan.selection), "batches": digests}


def plan_changes(recorded, current: dict) -> str | None:
    """How the batches of ``current`` (:func:`plan_record`) differ from the ``recorded`` ones, in words, or
    None when they hold the same images (or nothing was recorded: a manifest from before the record)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("batches"), list):
        return None
    old, new = recorded["batches"], current["batches"]
    counts = (
        f"it planned {recorded.get('images')} images in {len(old)} batches; the data set now gives "
        f"{current['images']} in {len(new)}"
    )
    changed = next((b for b, (was, now) in enumerate(zip(old, new)) if was != now), None)
    if changed is not None:
        return f"batch {changed} held other images when the run started ({counts})"
    if len(old) != len(new) or recorded.get("images") != current["images"]:
        return counts
    return None


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


def plan_at_model_size(config: EvalConfig, plan: ModelPlan, model) -> ModelPlan:
    """``plan`` with its data set opened at the model's input size, unless the config fixes ``image_size``.

    Returns a new plan (the same one when the size is already right); the selection and batches are kept.
    """
    size = config.dataset.image_size or model.input_size
    if size == plan.image_size:
        return plan
    return replace(plan, dataset=open_config_dataset(config, size), image_size=size)


def explanation_items(config: EvalConfig, batch) -> tuple[list[Item], dict[int, list[tuple[str, str, int]]]]:
    """Explanations to compute for a loaded batch (``samples``: index -> sample, ``logits``: (B, classes)).

    Returns the items in image order and, per image, what is not explained: (class, reason, count).
    On a localisation set there is one item per VOC class present, explaining the highest-scoring
    ImageNet class of that VOC class (:func:`fovex.data.voc_target`).
    """
    from ..data import VOC_CLASSES, split_explainable, voc_target

    items, skipped = [], defaultdict(list)
    kind = config.kind
    for position, (index, sample) in enumerate(batch.samples.items()):
        logits = batch.logits[position]
        if kind != "localisation":
            if config.target == "label":
                if sample.label is None:
                    skipped[index].append((None, "the image has no label to explain", 0))
                    continue
                target = int(sample.label)
            else:
                target = int(logits.argmax())
            items.append(Item(position, index, sample, target))
            continue
        split = split_explainable(
            sample.objects or [], include_difficult=config.metric_settings.localisation.include_difficult
        )
        by_class = defaultdict(list)
        for obj in split.explainable:
            by_class[obj.name].append(obj)
        order = {name: i for i, name in enumerate(VOC_CLASSES)}
        for name in sorted(by_class, key=lambda n: (order.get(n, len(order)), n)):
            objects = by_class[name]
            items.append(
                Item(
                    position, index, sample, voc_target(logits, name), name, objects, all(o.difficult for o in objects)
                )
            )
        reasons = defaultdict(int)
        for obj, reason in split.skipped:
            if obj.name not in by_class:
                reasons[(obj.name, reason)] += 1
        for (name, reason), count in sorted(reasons.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])):
            skipped[index].append((name, reason, count))
        if not sample.objects:
            skipped[index].append((None, "no annotated objects", 0))
    return items, skipped


def load_plan_model(entry: ModelEntry, device):
    """The entry's model on ``device``; a model that cannot be loaded is an :class:`EvaluationError`."""
    from ..models import load_model

    try:
        return load_model(entry.name, weights=entry.weights, device=device)
    except (RuntimeError, ValueError, FileNotFoundError) as error:
        raise EvaluationError(f"cannot load model {entry.label!r}: {error}") from error


def build_explainers(config: EvalConfig, model, model_label: str) -> list:
    """One explainer per config entry; None where the entry does not apply to this model.

    With the config's ``compile``, explainers that call the model whole get one compiled wrapper of it
    (the same weights); hook-based ones keep the eager model, whose layers they hook into."""
    from ..explain import explainer, explainer_class
    from ..models import compile_model

    compiled = None
    built = []
    for entry in config.explainers:
        if not entry.explains(model_label):
            built.append(None)
            continue
        runs = model
        if config.compile is not None and explainer_class(entry.name).calls_model_whole:
            if compiled is None:
                compiled = compile_model(model, config.compile)
            runs = compiled
        try:
            built.append(explainer(entry.name, runs, **entry.settings))
        except (TypeError, ValueError) as error:
            raise EvaluationError(
                f"explainer {entry.label!r} ({entry.name}) with settings {dict(entry.settings)}: {error}"
            ) from error
    return built
