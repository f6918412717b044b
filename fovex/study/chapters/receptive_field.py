"""The receptive-field chapter's tables (``notebooks/02_receptive_field.py``): the study's fovea-size
sweep and map variants against the published map, the variant rule applied to both, %Drop beside the
maps' spread, and the chapter's small sweep computed while the book is built.

Each function builds one table (or the rows of one figure) from rows the chapter has read; the chapter
only calls them and shows the result.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from ..axes import PUBLISHED_FOVEA_S, StudyRows
from ..findings.tables import choose_variant, for_reader
from ..paths import DEVELOPMENT_PHOTOS
from . import count

__all__ = [
    "CANDIDATE_COLUMNS",
    "PUBLISHED_MAP",
    "SweepMaps",
    "ablation_means",
    "ablation_panels",
    "apply_variant_rule",
    "count",
    "development_status",
    "against_reference",
    "fovea_sigmas",
    "heatmap_widths",
    "map_variant_rows",
    "published_fovea",
    "rescore_sweep",
    "spread_means",
    "spread_scored",
    "spread_shown",
    "sweep_explainers",
    "sweep_label",
    "sweep_maps",
    "sweep_rows",
    "variant_table",
    "variants_line",
]

#: The published map's name among the map variants: the faithfulness run's own FovEx rows.
PUBLISHED_MAP = "s=0.15, sum, all fixations (published)"

#: The columns of :func:`choose_variant`'s candidates the chapter shows.
CANDIDATE_COLUMNS = [
    "n",
    "deletion_interval",
    "deletion",
    "insertion_interval",
    "insertion",
    "keeps_insertion",
    "helps_deletion",
]


# ----------------------------------------------------------------------------- the study: fovea size


def published_fovea(sweep: pd.DataFrame) -> str:
    """The ``variant`` name of the published fovea size (:data:`PUBLISHED_FOVEA_S`) in
    :func:`fovex.study.fovea_sweep`'s rows."""
    return sweep.loc[sweep["fovea_s"] == PUBLISHED_FOVEA_S, "variant"].iloc[0]


def against_reference(judged, scope: str, reference: str, metrics, family: str = "receptive field") -> pd.DataFrame:
    """Each other variant of ``scope`` minus ``reference`` (e.g. each fovea size minus the published one),
    the judged difference, interval and word per metric, one row per (metric, variant), for
    :func:`fovex.viz.paired_differences_figure` (``reference`` is its ``candidate`` column's name for the
    side subtracted, each variant its ``reference``)."""
    rows = []
    for metric in metrics:
        for variant in judged.method_means(scope, metric, family).index:
            if variant == reference or not judged.has(scope, metric, variant, reference, family):
                continue
            j = judged.get(scope, metric, variant, reference, family)
            rows.append(
                {
                    "metric": metric,
                    "candidate": reference,
                    "reference": variant,
                    "difference": j.difference,
                    "ci_low": j.ci_low,
                    "ci_high": j.ci_high,
                    "word": j.word,
                    "n": j.n,
                }
            )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- the study: map variants


def map_variant_rows(prefer: str = "export", root=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """:func:`fovex.study.load_map_variants` (variant rows, map spreads, provenance), with two empty
    tables and no provenance when nothing is stored."""
    from ..paths import REPO_ROOT
    from ..variants import load_map_variants

    found = load_map_variants(REPO_ROOT if root is None else root, prefer=prefer)
    return found if found is not None else (pd.DataFrame(), pd.DataFrame(), {})


def variant_table(faithfulness: StudyRows | None, rows: pd.DataFrame) -> pd.DataFrame | None:
    """The map variants beside the published map, one row per (photo, variant): the faithfulness run's
    own FovEx rows on the variants' photos named :data:`PUBLISHED_MAP`, then the variant rows
    (:func:`fovex.study.load_map_variants`). None when either is missing."""
    if faithfulness is None or rows.empty:
        return None
    ok = faithfulness.ok
    own = ok[(ok["explainer"] == "fovex") & ok["image_id"].isin(set(rows["image_id"]))]
    return pd.concat([own.assign(variant=PUBLISHED_MAP), rows])


def variants_line(rows: pd.DataFrame, provenance: dict) -> str:
    """How many development photos the variants have re-scored, and when they were exported."""
    exported = provenance.get("exported_at", "not exported")
    return f"{count(rows, 'image_id')} of the {DEVELOPMENT_PHOTOS} development photos re-scored ({exported})"


def apply_variant_rule(judged, scope: str, reference: str) -> tuple[pd.DataFrame, str | None]:
    """:func:`fovex.study.findings.choose_variant` on ``scope`` of the judged table against ``reference``:
    its candidates as a table (one row per variant, :data:`CANDIDATE_COLUMNS`) and its choice (None: no
    variant meets the rule)."""
    choice = choose_variant(judged, scope, reference)
    candidates = pd.DataFrame(choice["candidates"], columns=["variant", *CANDIDATE_COLUMNS]).set_index("variant")
    return candidates[CANDIDATE_COLUMNS], choice["choice"]


def development_status(rows: pd.DataFrame) -> str:
    """The variants' status: "final" once they cover the :data:`DEVELOPMENT_PHOTOS`, else how far they are."""
    photos = count(rows, "image_id")
    if photos >= DEVELOPMENT_PHOTOS:
        return "final"
    return f"provisional: {photos} of {DEVELOPMENT_PHOTOS} development photos so far"


# ----------------------------------------------------------------------------- the study: %Drop and spread


def spread_scored(faithfulness: StudyRows | None, spreads: pd.DataFrame) -> pd.DataFrame | None:
    """The faithfulness run's rows with each map's spread (``map_mean``, ...) of the same (photo,
    method); None when either is missing."""
    if faithfulness is None or spreads.empty:
        return None
    return faithfulness.ok.merge(spreads, on=["image_id", "explainer"])


def heatmap_widths(rows: pd.DataFrame) -> pd.DataFrame:
    """FovEx's heat-map s variants (all fixations, summed) as methods named ``fovex s=<s>``: along
    them the fixations stay and only the map's width changes."""
    widths = rows[rows["upto"].isna() & (rows["aggregation"] == "sum")]
    return widths.assign(explainer="fovex s=" + widths["heatmap_s"].map("{:g}".format))


def spread_shown(scored: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The spread figure's rows and title: every method's rows of :func:`spread_scored`, and FovEx's
    heat-map s variants (:func:`heatmap_widths`) when there are variant rows."""
    title = f"{count(scored)} photos (methods)"
    if rows.empty:
        return scored, title
    widths = heatmap_widths(rows)
    return pd.concat([scored, widths]), f"{title}, {count(widths, 'image_id')} photos (FovEx heat-map s variants)"


def spread_means(scored: pd.DataFrame) -> pd.DataFrame:
    """Per method (first appearance order): the mean map value and the mean %Drop, 3 decimals, as the
    book shows them."""
    means = scored.groupby("explainer", sort=False)[["map_mean", "drop_pct"]].mean().round(3)
    return for_reader(means.rename(columns={"map_mean": "mean map value"}))


# ----------------------------------------------------------------------------- computed while the book is built


def sweep_label(s: float) -> str:
    """The label of FovEx with fovea s = heat-map s = ``s`` in the chapter's sweep."""
    return f"fovex s={s:g}"


def sweep_explainers(s_values: list[float], fixations: int, steps: int) -> list[dict]:
    """The sweep's explainer entries: FovEx with fovea s = heat-map s = each of ``s_values``."""
    return [
        {
            "name": "fovex",
            "label": sweep_label(s),
            "settings": {"fovea_s": s, "heatmap_s": s, "fixations": fixations, "steps": steps},
        }
        for s in s_values
    ]


def sweep_rows(run, s_values: list[float]) -> pd.DataFrame:
    """The sweep run's ok rows (``increase_pct`` included) with ``s``, the fovea and heat-map s of each row."""
    return run.ok.assign(s=run.ok["explainer"].map({sweep_label(s): s for s in s_values}))


def fovea_sigmas(s_values: list[float], size: int) -> dict[str, str]:
    """``s=<s>`` -> the fovea's σ in pixels at ``size`` px (:func:`fovex.foveation.fovea_sigma_px`)."""
    from ...foveation import fovea_sigma_px

    return {f"s={s:g}": f"σ ≈ {fovea_sigma_px(s, size):.0f} px at {size} px" for s in s_values}


class SweepMaps(NamedTuple):
    """The inputs of the sweep's comparison grid: images (N, 3, H, W), label -> maps, label -> fixations, ids."""

    images: object
    attributions: dict
    fixations_xy: dict
    ids: list[str]


def sweep_maps(run, s_values: list[float], photos: int = 3) -> SweepMaps:
    """The first ``photos`` photos of the sweep run and each s's stored maps and fixations on them."""
    import torch

    from ...viz import stack_maps

    samples = run.dataset()
    ids = list(dict.fromkeys(run.ok["image_id"]))[:photos]
    maps = {sweep_label(s): run.maps(sweep_label(s), ids=ids) for s in s_values}
    return SweepMaps(
        torch.stack([samples[samples.index_of(i)].image for i in ids]),
        {label: stack_maps(found, ids) for label, found in maps.items()},
        {label: stack_maps(found, ids, "fixations_xy") for label, found in maps.items()},
        ids,
    )


def rescore_sweep(
    run,
    model_name: str,
    s_values: list[float],
    fixation_counts: list[int],
    aggregations: list[str],
    fixations: int,
    step_px: int | None = None,
) -> pd.DataFrame:
    """The sweep's published-setting scanpaths (s = 0.15, else the middle s) re-scored as map variants
    (:func:`fovex.study.ablation.rescore_scanpath_variants`): each heat-map s of ``s_values``, the first
    n of ``fixation_counts`` below ``fixations``, each aggregation but ``sum``. One row per (photo, variant)."""
    import torch

    from ...models import load_model
    from ..ablation import MapVariant, rescore_scanpath_variants

    published = sweep_label(0.15 if 0.15 in s_values else s_values[len(s_values) // 2])
    samples = run.dataset()
    ids = list(dict.fromkeys(run.ok["image_id"]))
    stored = run.maps(published)
    targets = torch.tensor([int(stored[i]["target"]) for i in ids])
    images = torch.stack([samples[samples.index_of(i)].image for i in ids])
    variants = (
        [MapVariant(heatmap_s=s) for s in s_values]
        + [MapVariant(upto=n) for n in fixation_counts if n < fixations]
        + [MapVariant(aggregation=a) for a in aggregations if a != "sum"]
    )
    model = load_model(model_name, device="cpu")
    return rescore_scanpath_variants(
        model, images, targets, [stored[i] for i in ids], variants, image_ids=ids, step=step_px, batch_size=16
    )


def ablation_means(ablation: pd.DataFrame) -> pd.DataFrame:
    """Per variant (first appearance order): mean and standard error of deletion and insertion, 3 decimals."""
    return ablation.groupby("variant", sort=False)[["deletion_auc", "insertion_auc"]].agg(["mean", "sem"]).round(3)


def ablation_panels(ablation: pd.DataFrame, s_values: list[float], fixations: int) -> dict:
    """The settings figure's panels, each varying one setting from the published map (heat-map s 0.15,
    all ``fixations``, sum): title -> (rows, the column varied)."""
    whole, summed = ablation["upto"].isna(), ablation["aggregation"] == "sum"
    published_s = ablation["heatmap_s"] == 0.15
    return {
        "heat-map s": (ablation[summed & whole & ablation["heatmap_s"].isin(s_values)], "heatmap_s"),
        "fixations used": (ablation[summed & published_s].assign(upto=lambda f: f["upto"].fillna(fixations)), "upto"),
        "aggregation": (ablation[published_s & whole], "aggregation"),
    }
