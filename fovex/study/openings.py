"""A chapter's opening sentences: what the committed study found on its axis, computed from the rows.

Each sentence names the data and N, the best method on each metric and where FovEx stands against
it, the other methods and the random and centre floors, from paired intervals over the units (images,
or image and class) every method scored (:func:`fovex.study.findings.wording.standing`). Nothing is typed by
hand: when the rows change, the sentences change with them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..report import paired_difference
from .axes import PUBLISHED_FOVEA_S, fovea_sweep, load_axis
from .findings.wording import FLOORS, METRIC_SENSES, MetricSense, compare, difference_text, method_name, standing
from .paths import REPO_ROOT

__all__ = [
    "METRIC_SENSES",
    "MetricSense",
    "FLOORS",
    "chapter_opening",
    "fovea_sweep_sentence",
    "spread_opening",
    "spread_rows",
]

#: The metrics each axis's opening speaks of, in order.
AXIS_METRICS: dict[str, tuple[str, ...]] = {
    "faithfulness": ("insertion_auc", "deletion_auc", "drop_pct", "increase_pct"),
    "localisation": ("pointing_pct", "ebpg_pct"),
    "plausibility": ("nss", "auc_judd", "cc"),
}


def spread_rows(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame | None:
    """The faithfulness rows (ok) of the photos with map spreads, with each method's ``map_mean`` (NaN
    where its spread was not recorded, e.g. RISE); None without both."""
    from .variants import load_map_variants

    loaded, faithfulness = load_map_variants(root, prefer), load_axis("faithfulness", root, prefer)
    if loaded is None or loaded[1].empty or faithfulness is None:
        return None
    spread = loaded[1][["image_id", "explainer", "map_mean"]]
    ok = faithfulness.ok[faithfulness.ok["image_id"].isin(set(spread["image_id"]))]
    return ok.merge(spread, on=["image_id", "explainer"], how="left")


def spread_opening(root: Path = REPO_ROOT, prefer: str = "export", references=("gradcam", "rise")) -> str:
    """The receptive-field chapter's opening: each method's mean map value (the share of the image
    ``x * A`` keeps) with its %Drop, and how much of FovEx's %Drop gap to each of ``references``
    remains at equal map mean (:func:`fovex.report.adjusted_difference`, paired over the photos).
    A reference without recorded map means is said to lack them. "" without map spreads yet."""
    from ..report import adjusted_difference

    rows = spread_rows(root, prefer)
    if rows is None:
        return ""
    spread = rows.groupby("explainer")["map_mean"].mean().dropna().sort_values()
    drop = rows.groupby("explainer")["drop_pct"].mean()
    shown = [name for name in spread.index if name in drop.index and name not in FLOORS]
    if "fovex" not in shown:
        return ""
    pairs = ", ".join(f"{method_name(name)} {spread[name]:.2f} ({drop[name]:.1f})" for name in shown)
    sentences = [
        f"**The study so far** ({rows['image_id'].nunique()} ImageNet photos): the mean value of each method's "
        f"map, the share of the image it keeps, with its %Drop in brackets: {pairs}."
    ]
    for reference in references:
        if reference not in drop.index:
            continue
        if reference not in spread.index:
            d = paired_difference(rows, "drop_pct", "fovex", reference, unit="unit")
            sentences.append(
                f"FovEx's %Drop gap to {method_name(reference)} ({d['difference']:+.1f} [{d['ci_low']:+.1f}, "
                f"{d['ci_high']:+.1f}]) cannot be adjusted for spread: {method_name(reference)}'s map means were "
                "not recorded (book/measurements/study-map-spread.csv has no rows for it)."
            )
            continue
        a = adjusted_difference(rows, "drop_pct", "map_mean", "fovex", reference, unit="unit")
        sentences.append(
            f"FovEx's %Drop gap to {method_name(reference)}, {a['gap']:+.1f}, is {a['adjusted']:+.1f} "
            f"[{a['adjusted_low']:+.1f}, {a['adjusted_high']:+.1f}] at equal map mean (per photo, FovEx minus "
            f"{method_name(reference)}, %Drop against map mean, a straight line through {a['n']} photos): the map "
            f"mean accounts for {a['explained']:.0%} [{a['explained_low']:.0%}, {a['explained_high']:.0%}] of the gap."
        )
    return " ".join(sentences)


def fovea_sweep_sentence(
    sweep: pd.DataFrame, metrics: tuple[str, ...] = ("drop_pct", "insertion_auc", "deletion_auc")
) -> str:
    """``"**The fovea's s** (100 photos, each scored at s = ...): %Drop best at s=0.15 (35.1), ..."`` from
    the means per ``fovea_s`` of :func:`fovex.study.fovea_sweep`'s rows; "" without rows.

    A size is "best" only when the paired interval of ``mean_i(best_i - other_i)`` separates it from every
    other size; otherwise it has the "highest"/"lowest" mean, "tied with" the sizes it does not separate
    from. A best size other than the published one comes with its paired difference to the published
    size and its 95 % bootstrap interval.
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
        versus = {
            s: paired_difference(sweep, column, best, s, by="fovea_s", unit="unit") for s in means.index if s != best
        }
        tied = [s for s, d in versus.items() if compare(d, sense.higher_is_better) == "tied"]
        if tied:  # "best" only where every paired interval separates it from the other sizes
            extreme = "highest" if sense.higher_is_better else "lowest"
            part = f"{sense.label} {extreme} at s={best:g} ({sense.value(means[best])}, tied with " + ", ".join(
                f"s={s:g}" for s in tied
            )
        else:
            part = f"{sense.label} best at s={best:g} ({sense.value(means[best])}"
        if best != PUBLISHED_FOVEA_S and PUBLISHED_FOVEA_S in means.index:
            part += f"; against s={PUBLISHED_FOVEA_S:g}: {difference_text(sense, versus[PUBLISHED_FOVEA_S])}"
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


def chapter_opening(axis: str, root: Path = REPO_ROOT, prefer: str = "export", seed: int = 0) -> str:
    """Markdown: the committed study's finding on ``axis`` in a few sentences; "" when it has no rows yet.
    ``seed`` seeds every bootstrap."""
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
    # Units of one photo (a VOC photo's classes) are resampled together: they are not independent.
    sentences = [
        text
        for column in AXIS_METRICS[axis]
        if (text := standing(rows, column, cluster="photo", seed=seed)) is not None
    ]
    head = f"**The study so far** ({model}; {units} {what} of {data}, scored by all {methods} methods):"
    return "\n".join(
        [
            head,
            "",
            *(f"- {sentence}." for sentence in sentences),
            "",
            "Means over the same units; each difference is FovEx minus that method, paired over the units, with "
            'its 95 % bootstrap interval ("tied": the interval includes 0); an ordinal only where every '
            "interval separates.",
        ]
    )
