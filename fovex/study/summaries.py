"""A chapter's opening sentences: what the committed study found on its axis, computed from the rows.

Each sentence names the data and N, the best method on each metric and where FovEx stands, from
the means over the units (images, or image and class) every method scored. Nothing is typed by hand:
when the rows change, the sentences change with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..report import paired_difference
from .axes import PUBLISHED_FOVEA_S, fovea_sweep, load_axis
from .layout import REPO_ROOT

__all__ = [
    "METRIC_SENSES",
    "MetricSense",
    "chapter_opening",
    "fovea_sweep_sentence",
    "ranking_sentence",
    "spread_opening",
]

#: Floors, not rivals: a method is ranked among the others.
FLOORS = ("random", "centre", "centre_scanpath")


@dataclass(frozen=True)
class MetricSense:
    """How to read a column: its name in a sentence, which way is better, how to print a value."""

    label: str
    higher_is_better: bool
    format: str


METRIC_SENSES: dict[str, MetricSense] = {
    "drop_pct": MetricSense("%Drop", False, "{:.1f}"),
    "increase_pct": MetricSense("%Increase", True, "{:.0f} %"),
    "insertion_auc": MetricSense("insertion AUC", True, "{:.3f}"),
    "deletion_auc": MetricSense("deletion AUC", False, "{:.3f}"),
    "pointing_pct": MetricSense("pointing-game hit rate", True, "{:.0f} %"),
    "ebpg_pct": MetricSense("EBPG", True, "{:.1f} %"),
    "nss": MetricSense("NSS", True, "{:.2f}"),
    "cc": MetricSense("CC", True, "{:.2f}"),
    "auc_judd": MetricSense("AUC-Judd", True, "{:.3f}"),
    "sauc": MetricSense("sAUC", True, "{:.3f}"),
}

#: The metrics each axis's opening speaks of, in order.
AXIS_METRICS: dict[str, tuple[str, ...]] = {
    "faithfulness": ("insertion_auc", "deletion_auc", "drop_pct", "increase_pct"),
    "localisation": ("pointing_pct", "ebpg_pct"),
    "plausibility": ("nss", "auc_judd", "cc"),
}

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh"}


def ranking_sentence(rows: pd.DataFrame, column: str, candidate: str = "fovex") -> str | None:
    """``"insertion AUC: best gradcam++ (0.641); fovex 0.603, third of 5"`` from the means per explainer
    of ``rows[column]`` (floors left out of the ranking); None when ``column`` has no values."""
    sense = METRIC_SENSES[column]
    if column not in rows:
        return None
    means = rows.dropna(subset=[column]).groupby("explainer")[column].mean()
    means = means[~means.index.isin(FLOORS)].sort_values(ascending=not sense.higher_is_better)
    if means.empty:
        return None
    best, text = means.index[0], sense.format.format
    sentence = f"{sense.label}: best {best} ({text(means.iloc[0])})"
    if candidate in means.index and candidate != best:
        rank = list(means.index).index(candidate) + 1
        sentence += f"; {candidate} {text(means[candidate])}, {_ORDINALS.get(rank, f'#{rank}')} of {len(means)}"
    elif candidate == best:
        sentence += f", of {len(means)} method{'s' if len(means) != 1 else ''}"
    return sentence


def spread_opening(root: Path = REPO_ROOT, prefer: str = "export") -> str:
    """The receptive-field chapter's opening: how much of the image each method's map keeps (its mean
    value over the photos) next to its %Drop, which rewards wide maps; "" without map spreads yet."""
    from .variants import load_map_variants

    loaded, faithfulness = load_map_variants(root, prefer), load_axis("faithfulness", root, prefer)
    if loaded is None or loaded[1].empty or faithfulness is None:
        return ""
    spread = loaded[1].groupby("explainer")["map_mean"].mean()
    ok = faithfulness.ok[faithfulness.ok["image_id"].isin(set(loaded[1]["image_id"]))]
    drop = ok.groupby("explainer")["drop_pct"].mean()
    shared = [name for name in spread.sort_values().index if name in drop.index and name not in FLOORS]
    if not shared:
        return ""
    pairs = ", ".join(f"{name} {spread[name]:.2f} ({drop[name]:.1f})" for name in shared)
    photos = loaded[1]["image_id"].nunique()
    return (
        f"**The study so far** ({photos} ImageNet photos): the mean value of each method's map, the share of "
        f"the image it keeps, with its %Drop in brackets: {pairs}. %Drop multiplies the image by the map, so a "
        "map that keeps more of the image drops less: read %Drop against the spread below."
    )


def fovea_sweep_sentence(
    sweep: pd.DataFrame, metrics: tuple[str, ...] = ("drop_pct", "insertion_auc", "deletion_auc")
) -> str:
    """``"**The fovea's s** (100 photos, each scored at s = ...): %Drop best at s=0.15 (35.1), ..."`` from
    the means per ``fovea_s`` of :func:`fovex.study.fovea_sweep`'s rows; "" without rows.

    A best size other than the published one comes with its paired difference to the published size,
    ``mean_i(best_i - published_i)`` over the photos, and its 95 % bootstrap interval.
    """
    if sweep is None or sweep.empty:
        return ""
    parts = []
    for column in metrics:
        if column not in sweep:
            continue
        sense = METRIC_SENSES[column]
        means = sweep.dropna(subset=[column]).groupby("fovea_s")[column].mean()
        if means.empty:
            continue
        best = means.idxmin() if not sense.higher_is_better else means.idxmax()
        part = f"{sense.label} best at s={best:g} ({sense.format.format(means[best])}"
        if best != PUBLISHED_FOVEA_S and PUBLISHED_FOVEA_S in means.index:
            signed = sense.format.replace("{:", "{:+")
            d = paired_difference(sweep, column, best, PUBLISHED_FOVEA_S, by="fovea_s", unit="unit")
            part += (
                f"; against s={PUBLISHED_FOVEA_S:g}: {signed.format(d['difference'])} "
                f"[{signed.format(d['ci_low'])}, {signed.format(d['ci_high'])}]"
            )
        parts.append(part + ")")
    if not parts:
        return ""
    sizes = ", ".join(f"{value:g}" for value in sorted(set(sweep["fovea_s"])))
    varied, untested = _what_varied(sweep), ""
    if varied.startswith("; only"):
        untested = " A sweep of both together on the same photos (about 3 CPU-hours) is not computed here."
    return (
        f"**The fovea's s** ({sweep['unit'].nunique()} photos, each scored at s = {sizes}{varied}): "
        + "; ".join(parts)
        + f". The published setting is s = {PUBLISHED_FOVEA_S:g}; differences are paired over the photos."
        + untested
    )


def _what_varied(sweep: pd.DataFrame) -> str:
    """Which s varied along the sweep, from the rows' ``heatmap_s`` (issue 26, item 8); "" without it."""
    if "heatmap_s" not in sweep:
        return ""
    heat = sorted(set(sweep["heatmap_s"]))
    if len(heat) == 1:
        return (
            f"; only the fovea's s varies, the heat map's s stays {heat[0]:g}, so the two match at "
            f"s = {heat[0]:g} alone"
        )
    if (sweep["heatmap_s"] == sweep["fovea_s"]).all():
        return "; the fovea's and the heat map's s varied together"
    return "; the fovea's s and the heat map's s both vary, not in step"


def chapter_opening(axis: str, root: Path = REPO_ROOT, prefer: str = "export") -> str:
    """Markdown: the committed study's finding on ``axis`` in a few sentences; "" when it has no rows yet."""
    if axis == "receptive-field":
        sentences = (spread_opening(root, prefer), fovea_sweep_sentence(fovea_sweep(root, prefer)))
        return "\n\n".join(sentence for sentence in sentences if sentence)
    if axis not in AXIS_METRICS:
        raise ValueError(f"no opening for axis {axis!r}; axes with one: {', '.join(AXIS_METRICS)}")
    study = load_axis(axis, root, prefer)
    if study is None or study.ok.empty:
        return ""
    rows = study.scored_by_all()
    if axis == "localisation":
        rows = rows.assign(pointing_pct=rows["pointing_hit"].astype(float) * 100)
    units, methods = rows["unit"].nunique(), rows["explainer"].nunique()
    what = {"faithfulness": "ImageNet photos", "localisation": "(image, VOC class) pairs", "plausibility": "images"}[
        axis
    ]
    data = " + ".join(sorted(set(rows["dataset"])))
    model = ", ".join(sorted(set(rows["model"])))
    sentences = [ranking for column in AXIS_METRICS[axis] if (ranking := ranking_sentence(rows, column)) is not None]
    head = f"**The study so far** ({model}; {units} {what} of {data}, scored by all {methods} methods): "
    return head + "; ".join(sentences) + ". Means over the same units; intervals and paired differences below."
