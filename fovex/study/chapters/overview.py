"""The findings chapter's pieces (``notebooks/00_findings.py``, the book's overview): every axis read
back, what was measured, the verdicts table, every axis's standing, the seeds' spread beside the
methods' spread, and the receptive-field chapter's opening joined with the variant's outcome.

Words and intervals come from the study's judged table (:func:`fovex.study.judged.judged_study`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..axes import StudyRows, load_axis
from ..findings.judgement import Judged
from ..paths import FAITHFULNESS_METRICS, REPO_ROOT

__all__ = [
    "AXES_SHOWN",
    "axis_standings",
    "describe_axes",
    "comparison_figures",
    "comparison_tables",
    "faithfulness_comparisons",
    "load_axes",
    "paragraphs",
    "seed_spread",
    "verdicts",
    "without",
]

#: The axes the findings chapter reads, in its order.
AXES_SHOWN = ("faithfulness", "localisation", "plausibility")

#: The columns of the verdicts table, in order.
VERDICT_COLUMNS = [
    "model",
    "data",
    "tested",
    "N",
    "FovEx",
    "rival",
    "FovEx − rival",
    "adjusted p",
    "verdict",
    "at other seeds",
    "floors",
    "why",
]


def load_axes(prefer: str = "export", axes=AXES_SHOWN, root: Path = REPO_ROOT) -> dict[str, StudyRows | None]:
    """Axis -> its rows (:func:`fovex.study.load_axis`; None when it has none), in ``axes`` order."""
    return {axis: load_axis(axis, root, prefer=prefer) for axis in axes}


def describe_axes(axes: dict[str, StudyRows | None]) -> str:
    """What was measured: each axis's :meth:`StudyRows.describe`, or a line saying it has no run yet."""
    return "\n".join(
        f"{axis}: no study run yet (compute it with `fovex study run`)" if study is None else study.describe()
        for axis, study in axes.items()
    )


def verdicts(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims table (:func:`fovex.study.findings.judge_claims`) indexed by claim, as the chapter shows it."""
    return claims.set_index("claim")[VERDICT_COLUMNS]


def axis_standings(judged: Judged) -> list:
    """Per axis with comparisons: a heading line and its standing table
    (:func:`fovex.study.openings.opening_table`), for ``display(*parts)``."""
    from IPython.display import Markdown

    from ..openings import AXIS_FAMILIES, opening_table

    parts = []
    for axis in AXIS_FAMILIES:
        table = opening_table(judged, axis)
        if len(table):
            parts += [Markdown(f"**{axis}**"), table]
    return parts


def faithfulness_comparisons(judged: Judged, candidate: str = "fovex") -> dict[str, pd.DataFrame]:
    """Per faithfulness scope (a data set, and with several models each model's): FovEx against every other
    method on the faithfulness metrics, with the judged intervals and words, one row per (metric, method), for
    :func:`fovex.viz.paired_differences_figure`."""
    return {
        scope: judged.comparisons_of(scope, candidate, FAITHFULNESS_METRICS, "faithfulness")
        for scope in judged.scopes("faithfulness")
    }


def comparison_figures(comparisons: dict[str, pd.DataFrame], what: str = "photos") -> list:
    """One figure per scope of :func:`faithfulness_comparisons` (or any scope -> judged comparisons), titled
    with the scope and its units."""
    from ...viz import paired_differences_figure

    return [
        paired_differences_figure(rows, title=f"{scope}: {rows['n'].max()} {what}; judged intervals")
        for scope, rows in comparisons.items()
        if len(rows)
    ]


def comparison_tables(comparisons: dict[str, pd.DataFrame]) -> list:
    """One :func:`fovex.study.chapters.differences_table` per scope, its columns named with the scope."""
    from . import differences_table

    return [differences_table(rows).rename_axis(columns=scope) for scope, rows in comparisons.items() if len(rows)]


def without(rows: pd.DataFrame, explainers=None) -> pd.DataFrame:
    """``rows`` without those of ``explainers`` (default: the floors, :func:`fovex.explain.floor_names`)."""
    from ...explain import floor_names

    return rows[~rows["explainer"].isin(list(floor_names() if explainers is None else explainers))]


def paragraphs(*parts: str | None) -> str:
    """The non-empty ``parts`` as Markdown paragraphs ("" when all are empty)."""
    return "\n\n".join(part for part in parts if part)


def seed_spread(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame:
    """How far a seed moves FovEx's and RISE's means, beside how far apart the methods are.

    Per faithfulness metric: FovEx's mean at each of its seeds and RISE's at each of its mask seeds, on the
    photos every seed of that method reached (N), the range of those means (the seed spread), and the
    range of the non-floor methods' means on the study's photos (the method spread). Empty without seed runs.
    """
    from ...explain import is_floor
    from ...metrics.registry import column_sense, format_value
    from ..seeds import PRIMARY_SEED, seed_rows

    extra = seed_rows(root, prefer)
    faithfulness = load_axis("faithfulness", root, prefer)
    if extra.empty or faithfulness is None:
        return pd.DataFrame()
    ok = faithfulness.ok
    methods = ok[~ok["explainer"].map(is_floor)]
    table = []
    for metric in FAITHFULNESS_METRICS:
        places = column_sense(metric).places
        row = {"metric": column_sense(metric).name}
        for method in ("fovex", "rise"):
            labels = sorted({x for x in extra["explainer"] if x.startswith(f"{method}-seed")})
            if not labels:
                continue
            runs = {PRIMARY_SEED: ok[ok["explainer"] == method]}
            runs.update({int(x.rsplit("seed", 1)[1]): extra[extra["explainer"] == x] for x in labels})
            photos = set.intersection(*(set(frame["unit"]) for frame in runs.values()))
            means = {s: frame.loc[frame["unit"].isin(photos), metric].mean() for s, frame in runs.items()}
            name = "FovEx" if method == "fovex" else "RISE"
            seeds = ", ".join(f"{s}: {format_value(metric, v)}" for s, v in means.items())
            row[f"{name} per seed (N = {len(photos)})"] = seeds
            row[f"{name} seed range"] = f"{max(means.values()) - min(means.values()):.{places}f}"
        by_method = methods.groupby("explainer")[metric].mean()
        row["method range (non-floor means)"] = f"{by_method.max() - by_method.min():.{places}f}"
        table.append(row)
    return pd.DataFrame(table).set_index("metric")
