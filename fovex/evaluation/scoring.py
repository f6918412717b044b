"""Scoring explanations: which metrics apply to which kind of data set, and how each fills its row columns.

Kinds of data set:

- ``classification`` (imagenet-val, imagenet-sample, samples): one row per image; the explained
  class is the model's top-1 prediction (or the label, ``target: label``).
- ``localisation`` (voc2012, voc2007, voc-sample): one row per (image, VOC class present); the
  explained class is the highest-scoring ImageNet class within the VOC class's set
  (:func:`fovex.data.voc_target`); classes without one are rows with ``status="skipped"``.
- ``fixations`` (mit1003, osie, nus-scene500, fixations-csv): one row per image against human gaze.

Faithfulness metrics apply to every kind (they need only the image and the explained class).
A metric that cannot be computed for one row (e.g. an image without fixations in the frame) is NaN
there, with the reason in the row's ``notes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import torch

from ..metrics.registry import COLUMN_NAMES, METRICS, ColumnName, MetricSpec, metric_label, metric_name

__all__ = [
    "COLUMN_NAMES",
    "ColumnName",
    "MetricSpec",
    "METRICS",
    "DATASET_KINDS",
    "VALID_METRICS",
    "DEFAULT_METRICS",
    "METRIC_SETTINGS_DEFAULTS",
    "FaithfulnessSettings",
    "LocalisationSettings",
    "MetricSettings",
    "PlausibilitySettings",
    "ScanpathSettings",
    "dataset_kind",
    "FixationPool",
    "fixation_pool",
    "compute_metrics",
    "metric_label",
    "metric_name",
]


#: Data set name -> kind of evaluation.
DATASET_KINDS: dict[str, str] = {
    "imagenet-val": "classification",
    "imagenet-sample": "classification",
    "samples": "classification",
    "voc2012": "localisation",
    "voc2007": "localisation",
    "voc-sample": "localisation",
    "mit1003": "fixations",
    "osie": "fixations",
    "nus-scene500": "fixations",
    "fixations-csv": "fixations",
}

_FAITHFULNESS = ("drop_increase", "insertion", "deletion")
VALID_METRICS: dict[str, tuple[str, ...]] = {
    "classification": _FAITHFULNESS,
    "localisation": ("pointing_game", "ebpg") + _FAITHFULNESS,
    "fixations": ("nss", "cc", "kld", "sim", "auc_judd", "sauc", "scanpath_dtw", "scanpath_string_edit")
    + _FAITHFULNESS,
}
DEFAULT_METRICS: dict[str, tuple[str, ...]] = {
    "classification": _FAITHFULNESS,
    "localisation": ("pointing_game", "ebpg"),
    "fixations": ("nss", "cc", "kld", "sim", "auc_judd", "sauc", "scanpath_dtw", "scanpath_string_edit"),
}


@dataclass(frozen=True)
class FaithfulnessSettings:
    """``metric_settings.faithfulness``: how drop/increase, insertion and deletion perturb and score."""

    step: int | None = None  # None: RISE's 224 steps at any resolution
    batch_size: int = 64  # perturbed images per forward pass
    deletion_substrate: str = "mean"
    insertion_substrate: str = "rise-blur"
    score: str = "softmax"


@dataclass(frozen=True)
class LocalisationSettings:
    """``metric_settings.localisation``: the pointing game's tolerance and the region energy counts in."""

    tolerance_px: float = 15
    region: str = "boxes"  # or "masks"
    include_difficult: bool = True


@dataclass(frozen=True)
class PlausibilitySettings:
    """``metric_settings.plausibility``: sAUC's negatives."""

    sauc_other_images: int | None = None  # None: the fixations of every other image of the selection


@dataclass(frozen=True)
class ScanpathSettings:
    """``metric_settings.scanpath``: the string-edit grid and how many fixations are compared."""

    grid: int = 5
    max_fixations: int | None = None  # None: the explainer's own number of fixations T (human paths cut to it)


@dataclass(frozen=True)
class MetricSettings:
    """A config's resolved ``metric_settings``, one typed section per metric family (book/spec.md §2)."""

    faithfulness: FaithfulnessSettings = field(default_factory=FaithfulnessSettings)
    localisation: LocalisationSettings = field(default_factory=LocalisationSettings)
    plausibility: PlausibilitySettings = field(default_factory=PlausibilitySettings)
    scanpath: ScanpathSettings = field(default_factory=ScanpathSettings)

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, Any]]) -> MetricSettings:
        """The typed form of a resolved ``metric_settings`` mapping (every family, every key)."""
        return cls(**{family.name: family.default_factory(**data[family.name]) for family in fields(cls)})


#: ``metric_settings`` sections and their defaults (the protocols of book/spec.md §2), as a config spells them.
METRIC_SETTINGS_DEFAULTS: dict[str, dict[str, Any]] = {
    family.name: asdict(family.default_factory()) for family in fields(MetricSettings)
}


def dataset_kind(name: str) -> str:
    try:
        return DATASET_KINDS[name]
    except KeyError:
        raise ValueError(
            f"data set {name!r} has no evaluation protocol; evaluable: {', '.join(DATASET_KINDS)}"
        ) from None


class FixationPool:
    """Frame fixations of every image of a selection, for sAUC's negatives (deterministic, shard-independent)."""

    def __init__(self, order: list[int], points: dict[int, np.ndarray], other_images: int | None):
        self.order = order
        self.points = points
        self.other_images = other_images
        self._position = {index: i for i, index in enumerate(order)}

    def negatives(self, index: int) -> np.ndarray:
        """(N, 2) (x, y) fixations of the other images (all, or the next ``other_images`` in selection order)."""
        if self.other_images is None:
            others = [i for i in self.order if i != index]
        else:
            start = self._position[index]
            count = min(self.other_images, len(self.order) - 1)
            others = [self.order[(start + k) % len(self.order)] for k in range(1, count + 1)]
        arrays = [self.points[i] for i in others if i in self.points and len(self.points[i])]
        return np.concatenate(arrays) if arrays else np.zeros((0, 2))


def fixation_pool(dataset, selection: list[int], other_images: int | None) -> FixationPool:
    """The frame fixations of every image of ``selection`` (images that fail to open contribute none)."""
    points = {}
    for index in selection:
        try:
            fixations = dataset[index].fixations
        except Exception:  # noqa: BLE001  (the image's own row records the failure)
            continue
        points[index] = fixations.xy if fixations is not None else np.zeros((0, 2))
    return FixationPool(selection, points, other_images)


def compute_metrics(
    metrics: Sequence[str],
    model,
    images: torch.Tensor,
    explanation,
    items: list,
    settings: MetricSettings,
    pool: FixationPool | None = None,
) -> tuple[list[dict], list[list[str]], dict[str, np.ndarray]]:
    """Score a batch of explanations: per item a dict of column values and a list of notes; plus arrays (curves)."""
    values: list[dict] = [{} for _ in items]
    notes: list[list[str]] = [[] for _ in items]
    arrays: dict[str, np.ndarray] = {}
    selected = set(metrics)
    if selected & set(_FAITHFULNESS):
        arrays.update(_faithfulness(selected, model, images, explanation, items, settings.faithfulness, values))
    maps = explanation.attribution.detach().float().cpu()
    for i, item in enumerate(items):
        if selected & {"pointing_game", "ebpg"}:
            _localisation(selected, maps[i], item, settings.localisation, values[i], notes[i])
        if selected & {"nss", "cc", "kld", "sim", "auc_judd", "sauc"}:
            _plausibility(selected, maps[i], item, pool, values[i], notes[i])
        # Scanpath similarity applies to scanpath explainers only; other explainers leave NaN, silently.
        if selected & {"scanpath_dtw", "scanpath_string_edit"} and explanation.fixations_xy is not None:
            fixations = explanation.fixations_xy[i].detach().cpu().numpy()
            _scanpath(selected, fixations, tuple(maps.shape[-2:]), item, settings.scanpath, values[i], notes[i])
    return values, notes, arrays


def _faithfulness(
    selected, model, images, explanation, items, settings: FaithfulnessSettings, values
) -> dict[str, np.ndarray]:
    from ..metrics.faithfulness import average_drop_increase, insertion_deletion

    maps = explanation.attribution.to(images.device)
    targets = torch.tensor([item.target for item in items], dtype=torch.long, device=images.device)
    arrays = {}
    if "drop_increase" in selected:
        result = average_drop_increase(model, images, maps, targets, batch_size=settings.batch_size)
        for i, row in enumerate(values):
            row["drop_pct"] = float(result.drop_pct[i])
            row["increase"] = bool(result.increase[i])
            row["score_masked"] = float(result.score_masked[i])
    modes = [mode for mode in ("deletion", "insertion") if mode in selected]
    if modes:
        result = insertion_deletion(
            model,
            images,
            maps,
            targets,
            step=settings.step,
            deletion_substrate=settings.deletion_substrate,
            insertion_substrate=settings.insertion_substrate,
            score=settings.score,
            modes=modes,
            batch_size=settings.batch_size,
        )
        for mode in modes:
            curve = getattr(result, mode)
            for i, row in enumerate(values):
                row[f"{mode}_auc"] = float(curve.auc[i])
            arrays[f"{mode}_curve"] = curve.scores.detach().float().cpu().numpy()
    return arrays


def _record(row: dict, notes: list[str], column: str, compute) -> None:
    """Fill one metric column; a degenerate input (ValueError) leaves NaN and a note instead of stopping the run."""
    try:
        row[column] = compute()
    except ValueError as error:
        row[column] = None
        notes.append(f"{column}: {error}")


def _localisation(selected, attribution, item, settings: LocalisationSettings, row, notes) -> None:
    from ..metrics.localization import energy_pointing_game, pointing_game

    if settings.region == "masks" and any(obj.mask is None for obj in item.objects):
        region_error = "region 'masks' asked, but an object of this class has no instance mask"
        region = None
    else:
        region_error = None
        region = (
            [obj.mask for obj in item.objects]
            if settings.region == "masks"
            else np.stack([obj.box for obj in item.objects])
        )

    def need_region():
        if region_error:
            raise ValueError(region_error)
        return region

    if "pointing_game" in selected:
        _record(
            row,
            notes,
            "pointing_hit",
            lambda: bool(pointing_game(attribution, need_region(), settings.tolerance_px)),
        )
    if "ebpg" in selected:
        _record(row, notes, "ebpg_pct", lambda: float(energy_pointing_game(attribution, need_region())))


def _plausibility(selected, attribution, item, pool, row, notes) -> None:
    from ..metrics import plausibility as P

    shape = tuple(attribution.shape)
    fixations = item.sample.fixations
    points = fixations.xy if fixations is not None else np.zeros((0, 2))

    def fixation_map():
        if len(points) == 0:
            raise ValueError("no human fixations inside the frame")
        return P.fixation_map(points, shape)

    def density():
        value = item.sample.density
        if value is None:
            raise ValueError("no fixation density (no fixations in the frame, or unknown pixels per degree)")
        return value

    columns = {
        "nss": lambda: P.nss(attribution, fixation_map()),
        "auc_judd": lambda: P.auc_judd(attribution, fixation_map()),
        "sauc": lambda: P.sauc(attribution, fixation_map(), _negatives(pool, item.index)),
        "cc": lambda: P.cc(attribution, density()),
        "kld": lambda: P.kld(attribution, density()),
        "sim": lambda: P.sim(attribution, density()),
    }
    for name, compute in columns.items():
        if name in selected:
            _record(row, notes, name, lambda compute=compute: float(compute()))


def _negatives(pool: FixationPool | None, index: int) -> np.ndarray:
    negatives = pool.negatives(index) if pool is not None else np.zeros((0, 2))
    if len(negatives) == 0:
        raise ValueError("no other image's fixations to draw sAUC negatives from")
    return negatives


def _scanpath(selected, fixations_xy, shape, item, settings: ScanpathSettings, row, notes) -> None:
    from ..metrics.scanpath import compare_to_humans

    def humans():
        observed = item.sample.fixations
        paths = [p for p in (observed.scanpaths().values() if observed is not None else []) if len(p)]
        if not paths:
            raise ValueError("the data set has no per-observer scanpaths for this image")
        return paths

    # Compare equally long paths by default: DTW is a sum over fixations, so it grows with length.
    limit = settings.max_fixations or len(fixations_xy)
    if "scanpath_dtw" in selected:
        _record(
            row,
            notes,
            "scanpath_dtw_px",
            lambda: compare_to_humans(fixations_xy, humans(), "dtw", max_fixations=limit).mean,
        )
    if "scanpath_string_edit" in selected:
        _record(
            row,
            notes,
            "scanpath_string_edit",
            lambda: (
                compare_to_humans(
                    fixations_xy, humans(), "string_edit", max_fixations=limit, image_shape=shape, grid=settings.grid
                ).mean
            ),
        )
