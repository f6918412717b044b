"""Words from intervals: how a method stands against the others, said no stronger than its paired intervals.

Two methods are *separated* on a metric when the paired 95 % interval of their per-unit difference
lies clear of 0 (``low > 0`` or ``high < 0``); otherwise they are *tied*. An ordinal ("third of 5")
or "best" is printed only where every interval it rests on separates; elsewhere the sentence says
"tied with X" and gives the interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...report.statistics import paired_difference

__all__ = ["FLOORS", "METRIC_SENSES", "MetricSense", "compare", "difference_text", "method_name", "standing"]

#: Floors, not rivals: maps that know nothing of the model (random) or only where people and photographers
#: put things (centre). A method is ranked among the others and compared with these separately.
FLOORS = ("random", "centre", "centre_scanpath")

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}


@dataclass(frozen=True)
class MetricSense:
    """How to read a column: its name in a sentence, which way is better, decimals and unit to print."""

    label: str
    higher_is_better: bool
    places: int
    unit: str = ""

    def value(self, x: float) -> str:
        return f"{x:.{self.places}f}{self.unit}"

    def signed(self, x: float) -> str:
        return f"{x:+.{self.places}f}"


METRIC_SENSES: dict[str, MetricSense] = {
    "drop_pct": MetricSense("%Drop", False, 1),
    "increase_pct": MetricSense("%Increase", True, 0, " %"),
    "insertion_auc": MetricSense("insertion AUC", True, 3),
    "deletion_auc": MetricSense("deletion AUC", False, 3),
    "pointing_pct": MetricSense("pointing-game hit rate", True, 0, " %"),
    "ebpg_pct": MetricSense("EBPG", True, 1, " %"),
    "nss": MetricSense("NSS", True, 2),
    "cc": MetricSense("CC", True, 2),
    "auc_judd": MetricSense("AUC-Judd", True, 3),
    "sauc": MetricSense("sAUC", True, 3),
}


def method_name(key) -> str:
    """The book's name of a method key (:func:`fovex.explain.display_name`): ``"random"`` -> ``"random map"``."""
    from ...explain import display_name

    return display_name(str(key))


def difference_text(sense: MetricSense, d: dict) -> str:
    """``"-0.018 [-0.029, -0.008]"``: a paired difference and its interval, in the metric's decimals (unit once)."""
    unit = sense.unit.strip()
    return f"{sense.signed(d['difference'])} [{sense.signed(d['ci_low'])}, {sense.signed(d['ci_high'])}]" + (
        f" {unit}" if unit else ""
    )


def compare(d: dict, higher_is_better: bool) -> str:
    """``"better"``, ``"worse"`` or ``"tied"``: the candidate against the reference of a :func:`paired_difference`."""
    if d["ci_low"] > 0:
        return "better" if higher_is_better else "worse"
    if d["ci_high"] < 0:
        return "worse" if higher_is_better else "better"
    return "tied"


def _names(keys) -> str:
    names = [method_name(key) for key in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def standing(
    rows: pd.DataFrame,
    column: str,
    candidate: str = "fovex",
    by: str = "explainer",
    unit: str = "unit",
    cluster: str | None = None,
    floors: tuple[str, ...] = FLOORS,
    seed: int = 0,
) -> str | None:
    """One sentence: where ``candidate`` stands on ``column`` among the methods and against the floors.

    ``"insertion AUC: best RISE (0.618); FovEx 0.600, behind RISE (-0.018 [-0.029, -0.008]), tied with
    Meaningful Perturbation (+0.001 [-0.010, +0.012]), ahead of Grad-CAM and Grad-CAM++; against the
    floors: better than the random map (+0.110 [...]), tied with the centre map (...)"``.

    Means per method over ``rows`` (give every method the same units); every comparison is the paired
    difference ``candidate - other`` over the shared units (whole clusters resampled when ``cluster`` is given).
    "best X" only when X is separated from every other method, otherwise "highest mean X, tied with
    ...". The candidate gets an ordinal ("third of 5") only when it is separated from every method.
    None when ``column`` has no values or the candidate none. ``seed`` seeds every bootstrap.
    """
    sense = METRIC_SENSES[column]
    if column not in rows:
        return None
    rows = rows.dropna(subset=[column])
    means = rows.groupby(by)[column].mean().sort_values(ascending=not sense.higher_is_better, kind="stable")
    methods = means[~means.index.isin(floors)]
    if candidate not in methods.index:
        return None
    kwargs = {"by": by, "unit": unit, "cluster": cluster, "seed": seed}
    versus = {
        other: paired_difference(rows, column, candidate, other, **kwargs)
        for other in means.index
        if other != candidate
    }
    up = sense.higher_is_better
    words = {other: compare(d, up) for other, d in versus.items()}
    rivals = [other for other in methods.index if other != candidate]
    top = methods.index[0]
    head = sense.label
    if top != candidate:  # the best method first: "best" only if it separates from every other method
        tied = [
            o for o in rivals if o != top and compare(paired_difference(rows, column, top, o, **kwargs), up) == "tied"
        ]
        if not tied and words[top] == "tied":
            tied = [candidate]  # the candidate's own tie is told in its clause, unless it is the only one
        value = f"{method_name(top)} ({sense.value(methods[top])})"
        extreme = "highest" if up else "lowest"
        head += f": {extreme} mean {value}, tied with {_names(tied)}" if tied else f": best {value}"
    behind = [other for other in rivals if words[other] == "worse"]
    ties = [other for other in rivals if words[other] == "tied"]
    ahead = [other for other in rivals if words[other] == "better"]
    own = f"{method_name(candidate)} {sense.value(methods[candidate])}"
    if not ties:
        place = len(behind) + 1
        own += f", {'best' if place == 1 else _ORDINALS.get(place, f'#{place}')} of {len(methods)}"
    clauses = []
    if behind:  # with the gap to the best of them, the one a reader asks for first
        gap = difference_text(sense, versus[behind[0]])
        named = gap if len(behind) == 1 else f"{method_name(behind[0])}: {gap}"
        clauses.append(f"behind {_names(behind)} ({named})")
    if ties:
        clauses.append(
            "tied with " + ", ".join(f"{method_name(o)} ({difference_text(sense, versus[o])})" for o in ties)
        )
    if ahead:
        clauses.append(f"ahead of {_names(ahead)}")
    sentence = head + ("; " if top != candidate else ": ") + ", ".join([own, *clauses])
    floor_words = {"better": "better than", "worse": "worse than", "tied": "tied with"}
    present = [floor for floor in floors if floor in versus]
    if present:
        sentence += "; against the floors: " + ", ".join(
            f"{floor_words[words[floor]]} the {method_name(floor)} ({difference_text(sense, versus[floor])})"
            for floor in present
        )
    return sentence
