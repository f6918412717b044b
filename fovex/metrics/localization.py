"""Localisation: does the map point at the object? (book/spec.md §2.2)

- :func:`pointing_game` / :func:`pointing_game_accuracy`: the hit variant of the pointing game
  (Zhang et al. 2016) with TorchRay's conventions.
- :func:`energy_pointing_game`: EBPG (Score-CAM, Wang et al. 2020).

Ground truth per explained (image, class) pair is a *region*: the union of that class's
objects in the image, given as

- boxes: a numeric array ``(N, 4)`` or ``(4,)`` of ``(x0, y0, x1, y1)``, 0-based, inclusive pixel
  coordinates in the attribution map's frame (VOC's 1-based boxes need ``- 1``); parts outside the
  map are clipped;
- masks: a boolean array ``(H, W)`` or ``(N, H, W)`` of the map's size;
- or a list mixing such items (their union).

One map ``(H, W)`` with one region gives Python scalars; a batch of maps (a ``(B, H, W)``
tensor/array, or a list of ``(H, W)`` maps of possibly different sizes, as VOC images have) with a
list of B regions gives tensors ``(B,)`` on the maps' device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._utils import as_bool, as_float, to_tensor

__all__ = [
    "PointingGameAccuracy",
    "argmax_point",
    "region_mask",
    "pointing_game",
    "pointing_game_accuracy",
    "energy_pointing_game",
]


def _maps_and_regions(attributions: Any, regions: Any):
    """Return (list of (H, W) float maps, list of regions, batched)."""
    if isinstance(attributions, (list, tuple)):
        maps = [as_float(m, f"attribution map {i}") for i, m in enumerate(attributions)]
        batched = True
    else:
        t = as_float(attributions, "attributions")
        if t.ndim == 2:
            maps, batched = [t], False
        elif t.ndim == 3:
            maps, batched = list(t), True
        else:
            raise ValueError(f"attributions must be (H, W), (B, H, W) or a list of (H, W), got shape {tuple(t.shape)}")
    if not maps:
        raise ValueError("attributions is an empty batch")
    for i, m in enumerate(maps):
        if m.ndim != 2:
            raise ValueError(f"attribution map {i} must be 2-D (H, W), got shape {tuple(m.shape)}")
        if m.numel() == 0:
            raise ValueError(f"attribution map {i} is empty")
    if not batched:
        return maps, [regions], False
    if not isinstance(regions, (list, tuple)) or len(regions) != len(maps):
        got = len(regions) if isinstance(regions, (list, tuple)) else type(regions).__name__
        raise ValueError(f"a batch of {len(maps)} maps needs a list of {len(maps)} regions, got {got}")
    return maps, list(regions), True


def _is_numeric_nested(x: Any) -> bool:
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError):
        return False
    return arr.dtype.kind in "iuf" and arr.ndim in (1, 2)


def region_mask(region: Any, shape: tuple[int, int], device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean mask ``(H, W)`` of a ground-truth region (boxes, masks or a list of them; module doc)."""
    height, width = shape
    mask = torch.zeros((height, width), dtype=torch.bool, device=device)
    if isinstance(region, (list, tuple)) and not (len(region) > 0 and _is_numeric_nested(region)):
        for item in region:
            mask |= region_mask(item, shape, device)
        return mask
    t = to_tensor(region, "region")
    if t.dtype == torch.bool:
        if t.ndim == 3:
            t = t.any(dim=0)
        if t.shape != (height, width):
            raise ValueError(f"mask shape {tuple(t.shape)} does not match the map's shape {(height, width)}")
        return mask | t.to(mask.device)
    boxes = as_float(t, "boxes")
    if boxes.ndim == 1:
        boxes = boxes.view(1, -1)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be (N, 4) as (x0, y0, x1, y1), got shape {tuple(boxes.shape)}")
    for x0, y0, x1, y1 in boxes.tolist():
        if x1 < x0 or y1 < y0:
            raise ValueError(f"box {(x0, y0, x1, y1)} has x1 < x0 or y1 < y0")
        # Inclusive pixel coordinates: pixels i with x0 <= i <= x1.
        c0, c1 = max(math.ceil(x0), 0), min(math.floor(x1), width - 1)
        r0, r1 = max(math.ceil(y0), 0), min(math.floor(y1), height - 1)
        if c0 <= c1 and r0 <= r1:
            mask[r0 : r1 + 1, c0 : c1 + 1] = True
    return mask


def argmax_point(attribution: Any) -> tuple[int, int]:
    """``(x, y)`` pixel of the map's maximum; ties go to the first in row-major order."""
    m = as_float(attribution, "attribution")
    if m.ndim != 2:
        raise ValueError(f"attribution must be (H, W), got shape {tuple(m.shape)}")
    flat = int(torch.argmax(m))
    return flat % m.shape[1], flat // m.shape[1]


def pointing_game(attributions: Any, regions: Any, tolerance_px: float = 15):
    """Pointing-game hits: is the map's maximum within ``tolerance_px`` of the region?

    With ``p = argmax(A)`` (first maximum in row-major order) and R the region's pixels, a hit is
    ``min_{r in R} ||p - r||_2 < tolerance_px`` (strict, as TorchRay) or ``p in R``
    (so ``tolerance_px=0`` means "inside the region").

    Args:
        attributions: map ``(H, W)``, or ``(B, H, W)`` / list of B maps.
        regions: the explained class's region for each map (module doc); a list of B for a batch.
        tolerance_px: radius in pixels of the map's frame (TorchRay / Zhang et al.: 15).
    Returns:
        bool, or bool tensor ``(B,)``. Aggregate with :func:`pointing_game_accuracy`.
    """
    if tolerance_px < 0:
        raise ValueError(f"tolerance_px must be >= 0, got {tolerance_px}")
    maps, regions, batched = _maps_and_regions(attributions, regions)
    hits = []
    for i, (m, region) in enumerate(zip(maps, regions)):
        mask = region_mask(region, tuple(m.shape), m.device)
        pixels = mask.nonzero()
        if pixels.shape[0] == 0:
            raise ValueError(f"region {i} is empty in the map's frame: the pointing game needs ground truth")
        x, y = argmax_point(m)
        squared_distance = ((pixels[:, 0] - y) ** 2 + (pixels[:, 1] - x) ** 2).min()
        hits.append(bool(mask[y, x]) or bool(squared_distance < tolerance_px**2))
    if batched:
        return torch.tensor(hits, dtype=torch.bool, device=maps[0].device)
    return hits[0]


@dataclass
class PointingGameAccuracy:
    """Pointing-game accuracy, mean over classes of per-class hit rates (TorchRay convention).

    Attributes:
        accuracy_pct: mean over classes of ``per_class_pct``.
        per_class_pct: class -> hit rate in % over that class's entries.
        count_per_class: class -> number of entries used.
    """

    accuracy_pct: float
    per_class_pct: dict[int, float]
    count_per_class: dict[int, int]


def pointing_game_accuracy(
    hits: Any,
    classes: Any,
    difficult: Any | None = None,
    exclude_difficult: bool = False,
) -> PointingGameAccuracy:
    """Aggregate pointing-game hits: ``acc = (1/|C|) sum_c hits_c / (hits_c + misses_c) * 100``.

    One entry per explained (image, class) pair. Classes with no entry are left out of the mean
    (TorchRay averages over all of a data set's classes; on VOC every class has entries).

    Args:
        hits: bool ``(M,)``, e.g. from :func:`pointing_game`.
        classes: integer class of each entry, ``(M,)``.
        difficult: optional bool ``(M,)`` flag per entry. To reproduce TorchRay on VOC, flag a
            pair when *all* of its class's objects in the image are VOC-"difficult" and pass
            ``exclude_difficult=True`` (the region itself still contains every object's box).
            For the "difficult subset" of Zhang et al., select those entries before calling.
        exclude_difficult: drop flagged entries.
    """
    hits_t = as_bool(hits, "hits").flatten().cpu()
    classes_t = to_tensor(classes, "classes").flatten().cpu()
    if classes_t.is_floating_point() or classes_t.dtype == torch.bool:
        raise ValueError("classes must be integers")
    if hits_t.shape != classes_t.shape:
        raise ValueError(f"hits ({hits_t.numel()}) and classes ({classes_t.numel()}) differ in length")
    keep = torch.ones_like(hits_t)
    if exclude_difficult:
        if difficult is None:
            raise ValueError("exclude_difficult=True needs the difficult flags")
        difficult_t = as_bool(difficult, "difficult").flatten().cpu()
        if difficult_t.shape != hits_t.shape:
            raise ValueError(f"difficult ({difficult_t.numel()}) and hits ({hits_t.numel()}) differ in length")
        keep = ~difficult_t
    hits_t, classes_t = hits_t[keep], classes_t[keep]
    if hits_t.numel() == 0:
        raise ValueError("no entries left to aggregate")
    per_class, counts = {}, {}
    for c in sorted(set(classes_t.tolist())):
        selected = hits_t[classes_t == c]
        counts[c] = int(selected.numel())
        per_class[c] = float(selected.double().mean() * 100)
    return PointingGameAccuracy(
        accuracy_pct=float(np.mean(list(per_class.values()))),
        per_class_pct=per_class,
        count_per_class=counts,
    )


def energy_pointing_game(attributions: Any, regions: Any, on_zero_energy: str = "raise"):
    """Energy-based pointing game (EBPG): share of the map's energy inside the region, in %.

    ``EBPG = sum_{i in R} A_i / sum_i A_i * 100``, R the union of the class's boxes (or masks).

    Args:
        attributions: non-negative map ``(H, W)``, or ``(B, H, W)`` / list of B maps.
        regions: region per map (module doc); a list of B for a batch.
        on_zero_energy: an all-zero map has no energy share: ``"raise"`` (default) or ``"zero"``
            (score it 0 %, e.g. for a method that sometimes returns an empty map).
    Returns:
        float in [0, 100], or float64 tensor ``(B,)``. Higher is better.
    """
    if on_zero_energy not in ("raise", "zero"):
        raise ValueError(f"on_zero_energy must be 'raise' or 'zero', got {on_zero_energy!r}")
    maps, regions, batched = _maps_and_regions(attributions, regions)
    scores = []
    for i, (m, region) in enumerate(zip(maps, regions)):
        if bool((m < 0).any()):
            raise ValueError(f"attribution map {i} has negative values; EBPG needs a non-negative map")
        total = m.sum()
        if not bool(total > 0):
            if on_zero_energy == "raise":
                raise ValueError(f"attribution map {i} is all zero: its energy share is undefined")
            scores.append(m.new_zeros(()))
            continue
        mask = region_mask(region, tuple(m.shape), m.device)
        scores.append(m[mask].sum() / total * 100)
    if batched:
        return torch.stack([s.double() for s in scores])
    return float(scores[0])
