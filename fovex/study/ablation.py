"""Ablations of FovEx's map construction, re-scored without re-running NeVA.

A scanpath stored by the evaluation engine (``fovex.load_maps``) can be turned into other maps:
another heat-map ``s``, another aggregation (sum / max / loss-weighted), or only its first ``n``
fixations. :func:`rescore_scanpath_variants` builds each variant with
:func:`fovex.explain.scanpath_attribution` and scores it with the RISE insertion/deletion protocol,
so the receptive-field chapter can sweep these choices at the cost of the metric alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
import torch

from ..explain import scanpath_attribution
from ..metrics.faithfulness import average_drop_increase, insertion_deletion

__all__ = ["MapVariant", "map_spread", "rescore_scanpath_variants"]


def map_spread(maps: torch.Tensor) -> dict[str, torch.Tensor]:
    """How much of the image a map keeps, per map of ``(B, H, W)`` in [0, 1]:

    - ``map_mean``: ``mean(A)``, the fraction of the image's intensity that ``x * A`` keeps
      (%Drop multiplies the image by the map: an all-ones map keeps everything and drops nothing);
    - ``map_above_half``: the fraction of pixels with ``A >= 0.5``.
    """
    maps = maps.float()
    return {"map_mean": maps.mean(dim=(1, 2)), "map_above_half": (maps >= 0.5).float().mean(dim=(1, 2))}


@dataclass(frozen=True)
class MapVariant:
    """One way of turning a scanpath into a map. ``upto=None``: all fixations."""

    heatmap_s: float = 0.15
    aggregation: str = "sum"
    upto: int | None = None

    @property
    def label(self) -> str:
        count = "all" if self.upto is None else str(self.upto)
        return f"s={self.heatmap_s:g}, {self.aggregation}, {count} fixations"


def rescore_scanpath_variants(
    model,
    images: torch.Tensor,
    targets: torch.Tensor,
    scanpaths: list[dict],
    variants: list[MapVariant],
    image_ids: list[str] | None = None,
    step: int | None = None,
    batch_size: int = 16,
) -> pd.DataFrame:
    """%Drop, %Increase, insertion and deletion of every map variant of every stored scanpath.

    images: (B, 3, H, W); targets: (B,); scanpaths: B entries of ``fovex.load_maps`` (``fixations_xy``,
    ``losses``, ``blurred_loss``). Returns one row per (image, variant) with the variant's fields,
    ``drop_pct``, ``increase``, ``deletion_auc``, ``insertion_auc`` and the map's spread
    (:func:`map_spread`). ``step``: pixels per insertion/deletion step (None: 224 steps).
    """
    if len(scanpaths) != images.shape[0] or targets.shape[0] != images.shape[0]:
        raise ValueError(
            f"need one scanpath and one target per image: {len(scanpaths)}, {targets.shape[0]}, {images.shape[0]}"
        )
    height, width = images.shape[-2:]
    fixations = torch.stack([torch.as_tensor(entry["fixations_xy"], dtype=torch.float32) for entry in scanpaths])
    losses = torch.stack([torch.as_tensor(entry["losses"], dtype=torch.float32) for entry in scanpaths])
    blurred = None
    if all("blurred_loss" in entry for entry in scanpaths):
        blurred = torch.as_tensor([float(entry["blurred_loss"]) for entry in scanpaths])
    image_ids = image_ids or [str(i) for i in range(images.shape[0])]
    rows = []
    for variant in variants:
        maps = scanpath_attribution(
            fixations,
            height,
            width,
            variant.heatmap_s,
            variant.aggregation,
            losses=losses,
            blurred_loss=blurred,
            upto=variant.upto,
        )
        maps = maps.to(images.device)
        scores = insertion_deletion(model, images, maps, targets, step=step, batch_size=batch_size)
        drop = average_drop_increase(model, images, maps, targets, batch_size=batch_size)
        spread = map_spread(maps)
        for i, image_id in enumerate(image_ids):
            rows.append(
                {
                    "image_id": image_id,
                    "variant": variant.label,
                    **asdict(variant),
                    "drop_pct": float(drop.drop_pct[i]),
                    "increase": bool(drop.increase[i]),
                    "deletion_auc": float(scores.deletion.auc[i]),
                    "insertion_auc": float(scores.insertion.auc[i]),
                    "map_mean": float(spread["map_mean"][i]),
                    "map_above_half": float(spread["map_above_half"][i]),
                }
            )
    return pd.DataFrame(rows)
