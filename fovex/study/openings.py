"""A chapter's opening: what the committed study found on its axis, every metric, in the judged table's words.

Each opening names the model, the data and N, shows a table of FovEx against the best method (floors
included) on every metric the axis measures, then one sentence per metric
(:func:`fovex.study.findings.wording.standing`). Every word and interval is read from the study's judged
table (:func:`fovex.study.judged.judged_study`, one standard for the whole book), so the opening and
the findings page cannot say two things about one comparison. Nothing is typed by hand: when the rows
change, the sentences change with them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .axes import PUBLISHED_FOVEA_S, load_axis
from .findings.judgement import Judged
from .findings.wording import PHRASES, method_name, names_list, standing, standing_table
from .paths import REPO_ROOT
from .variants import spread_rows

__all__ = [
    "chapter_opening",
    "fovea_sweep_sentence",
    "opening_table",
    "spread_opening",
    "spread_rows",
    "study_status_word",
    "what_varied",
]

#: The families (of the judged table) each chapter's opening speaks of.
AXIS_FAMILIES = {"faithfulness": "faithfulness", "localisation": "localisation", "plausibility": "plausibility"}


def study_status_word(axis: str, root: Path = REPO_ROOT, prefer: str = "export") -> str:
    """``"The study"`` when every run of the axis is complete, else ``"The study so far"``."""
    study = load_axis(axis, root, prefer)
    if study is None:
        return "The study so far"
    from .studies import active_study

    complete = all(p.get("status") == "complete" for p in study.provenance.values())
    runs = set(active_study(root).axes.get(axis, ()))
    return "The study" if complete and set(study.provenance) == runs else "The study so far"


def spread_opening(judged: Judged, root: Path = REPO_ROOT, prefer: str = "export") -> str:
    """The receptive-field chapter's first paragraph: each method's mean map value (the share of the image
    ``x * A`` keeps) with its %Drop, and FovEx's %Drop gap to Grad-CAM at equal map mean (the judged
    comparison). "" without map spreads."""
    from ..report import adjusted_difference
    from .judged import AT_EQUAL_SPREAD

    rows = spread_rows(root, prefer)
    if rows is None:
        return ""
    spread = rows.groupby("explainer")["map_mean"].mean().dropna().sort_values()
    drop = rows.groupby("explainer")["drop_pct"].mean()
    from ..explain import is_floor
    from ..metrics.registry import format_difference, format_value

    shown = [name for name in spread.index if name in drop.index and not is_floor(name)]
    if "fovex" not in shown:
        return ""
    pairs = ", ".join(f"{method_name(n)} {spread[n]:.2f} ({format_value('drop_pct', drop[n])})" for n in shown)
    import json

    from .attempts import code_text
    from .paths import export_path

    sidecar = export_path("map-spread", root).with_suffix(".json")
    provenance = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
    source = f"map spreads of {code_text(provenance.get('git'))}, exported {provenance.get('exported_at')}"
    sentences = [
        f"**{study_status_word('faithfulness', root, prefer)}** ({rows['image_id'].nunique()} ImageNet photos; "
        f"{source}): "
        f"the mean value of each method's map, the share of the image it keeps, with its %Drop in brackets: {pairs}."
    ]
    if judged.has(AT_EQUAL_SPREAD, "drop_pct", "fovex", "gradcam"):
        j = judged.get(AT_EQUAL_SPREAD, "drop_pct", "fovex", "gradcam")
        a = adjusted_difference(rows, "drop_pct", "map_mean", "fovex", "gradcam", unit="unit")
        gap = format_difference("drop_pct", a["gap"], a["gap"], a["gap"]).split(" [")[0]
        sentences.append(
            f"At equal map mean (per photo, FovEx minus Grad-CAM, %Drop against map mean, a straight line "
            f"through {j.n} photos) FovEx's %Drop gap to Grad-CAM, {gap}, is {j.interval()}: "
            f"{PHRASES[j.word]} Grad-CAM once the spread is accounted for. The map mean accounts for "
            f"{100 * a['explained']:.0f} % [{100 * a['explained_low']:.0f}, {100 * a['explained_high']:.0f}] "
            "of the gap (an unadjusted 95 % interval: an estimate, not a comparison)."
        )
    missing = sorted(set(drop.index) - set(spread.index) - {n for n in drop.index if is_floor(n)})
    if missing:
        sentences.append(
            f"{names_list([method_name(n) for n in missing])}: no map means recorded "
            "(book/measurements/study-map-spread.csv has no rows for them), so no gap of theirs is adjusted."
        )
    return " ".join(sentences)


def fovea_sweep_sentence(judged: Judged, scope: str, what: str) -> str:
    """``"**The fovea's s** (...): %Drop lowest at s=0.15, <mean>, tied with s=0.3; ..."`` for one sweep of the
    judged table (``scope``), ``what`` saying what varied. A size is "best" only where it is better than
    every other size; a best size other than the published one comes with its judged difference to it."""
    from ..metrics.registry import column_sense, format_value

    parts, units = [], 0
    for metric in judged.metrics("receptive field", scope):
        means = judged.method_means(scope, metric, "receptive field")
        if means.empty:
            continue
        units = max(units, judged.units(scope, metric, "receptive field"))
        best = means.index[0]
        sense = column_sense(metric)
        tied = [s for s in means.index[1:] if judged.get(scope, metric, best, s).word == "tied"]
        value = format_value(metric, means[best])
        if tied:
            extreme = "highest" if sense.higher_is_better else "lowest"
            part = f"{sense.name} {extreme} at {best}, {value}, tied with " + ", ".join(tied)
        else:
            part = f"{sense.name} best at {best}, {value}"
        published = next((s for s in means.index if "published" in s), None)
        if published is not None and best != published:
            part += f"; against {published}: {judged.get(scope, metric, best, published).interval()}"
        parts.append(part)
    if not parts:
        return ""
    return f"**{what}** ({units} photos, each scored at every size): " + "; ".join(parts) + "."


def what_varied(sweep: pd.DataFrame | None) -> str:
    """Which s varied along a sweep, from its rows' ``heatmap_s`` and ``fovea_s`` (issue 26, item 8)."""
    if sweep is None or "heatmap_s" not in sweep:
        return "The fovea's s"
    heat = sorted(set(sweep["heatmap_s"]))
    if len(heat) == 1:
        return f"The fovea's s alone (the heat map's s stays {heat[0]:g})"
    if (sweep["heatmap_s"] == sweep["fovea_s"]).all():
        return "The fovea's s and the heat map's s together"
    return "The fovea's s and the heat map's s, not in step"


def opening_table(judged: Judged, axis: str) -> pd.DataFrame:
    """The first screen of a chapter: FovEx against the best method, floors included, on every metric
    of every data set the axis measures (:func:`fovex.study.findings.standing_table`), as the book shows it."""
    from .findings.tables import for_reader

    table = standing_table(judged, AXIS_FAMILIES[axis])
    return for_reader(table) if len(table) else table


def _localisation_size(judged: Judged, scope: str, photos: int) -> str:
    """What a data set this small can say: photos, pairs, and how many of FovEx's comparisons are ties."""
    rows = judged.table[(judged.table["scope"] == scope) & (judged.table["candidate"] == "fovex")]
    tied = int((rows["word"] == "tied").sum())
    units = judged.units(scope, "pointing_pct")
    return (
        f"{units} (image, class) pairs from {photos} photos cannot rank these methods: {tied} of FovEx's "
        f"{len(rows)} comparisons here are ties, and one pair moves a hit rate by {100 / units:.1f} points."
    )


def chapter_opening(axis: str, root: Path = REPO_ROOT, prefer: str = "export", seed: int = 0) -> str:
    """Markdown: the committed study's finding on ``axis``: what was measured, the standing table of every
    metric and one sentence per metric, in the judged table's words; "" when the axis has no rows."""
    from .judged import FOVEA_ONLY, TIED, judged_study

    judged = judged_study(root, prefer, seed)
    if axis == "receptive-field":
        from .axes import fovea_sweep, tied_sweep

        sweeps = [
            fovea_sweep_sentence(judged, FOVEA_ONLY, what_varied(fovea_sweep(root, prefer))),
            fovea_sweep_sentence(judged, TIED, what_varied(tied_sweep(root, prefer))),
        ]
        if sweeps[0] and not sweeps[1]:
            sweeps.append(
                f"Varying the fovea's s alone, fovea and heat map match only at s = {PUBLISHED_FOVEA_S:g}, so a "
                "size that is best there may be best for that reason alone; the tied sweep has no rows yet."
            )
        parts = [spread_opening(judged, root, prefer), *sweeps]
        return "\n\n".join(part for part in parts if part)
    if axis not in AXIS_FAMILIES:
        raise ValueError(f"no opening for axis {axis!r}; axes with one: {', '.join(AXIS_FAMILIES)}, receptive-field")
    family = AXIS_FAMILIES[axis]
    scopes = judged.scopes(family)
    if not scopes:
        return ""
    study = load_axis(axis, root, prefer)
    what = {"faithfulness": "ImageNet photos", "localisation": "(image, VOC class) pairs", "plausibility": "images"}[
        axis
    ]
    model = ", ".join(sorted(set(study.ok["model"]))) if study is not None else ""
    counts = "; ".join(f"{scope}: {judged.units(scope, judged.metrics(family, scope)[0])} {what}" for scope in scopes)
    lines = [f"**{study_status_word(axis, root, prefer)}** ({model}; {counts}, every method scored on each):", ""]
    table = opening_table(judged, axis)
    if len(table):
        lines += [table.reset_index().to_markdown(index=False), ""]
    for scope in scopes:
        sentences = [s for metric in judged.metrics(family, scope) if (s := standing(judged, scope, metric))]
        if len(scopes) > 1:
            lines.append(f"*{scope}*:")
        lines += [f"- {sentence}." for sentence in sentences]
        if axis == "localisation":
            photos = study.scored_by_all()["image_id"].nunique()
            lines.append(f"- {_localisation_size(judged, scope, photos)}")
        lines.append("")
    lines.append(
        "Means over the units every method scored; each difference is FovEx minus that method, paired over the "
        f"units. {judged.describe()} An ordinal only where every comparison it rests on is a difference."
    )
    return "\n".join(lines)
