"""Where a method stands, in words read from the judged table (never decided here).

Every word (better / worse / tied, best, an ordinal) comes from :class:`~fovex.study.findings.judgement.Judged`,
under the study's one standard. "Best" is said among *all* methods, the floors included: a floor that has
the best mean is named as the best, and a sentence says plainly when no method beats the centre map.
An ordinal ("third of 7") is printed only where every comparison it rests on is a difference.
"""

from __future__ import annotations

import pandas as pd

from ...metrics.registry import column_sense, format_value
from .judgement import Judged

__all__ = [
    "MODEL_NAMES",
    "method_name",
    "model_name",
    "names_list",
    "rivals_and_floors",
    "standing",
    "standing_row",
    "standing_table",
]

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}

#: How a word reads in a sentence about the candidate and another method.
PHRASES = {"better": "better than", "worse": "worse than", "tied": "tied with"}


def method_name(key) -> str:
    """The book's name of a method key (:func:`fovex.explain.display_name`): ``"random"`` -> ``"random map"``."""
    from ...explain import display_name

    return display_name(str(key))


#: How the book names a model (registry name -> name in the field).
MODEL_NAMES = {
    "efficientnet_lite0": "EfficientNet-Lite0",
    "efficientnet_lite1": "EfficientNet-Lite1",
    "efficientnet_lite2": "EfficientNet-Lite2",
    "resnet50": "ResNet-50",
    "vit_base_patch16_224": "ViT-B/16",
}


def model_name(key) -> str:
    """The book's name of a model (``"vit_base_patch16_224"`` -> ``"ViT-B/16"``); others unchanged."""
    return MODEL_NAMES.get(str(key), str(key))


def names_list(names: list[str]) -> str:
    """``["A", "B", "C"]`` -> ``"A, B and C"``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def rivals_and_floors(methods, candidate: str) -> tuple[list[str], list[str]]:
    """The other methods of ``methods`` (in their order) split into rivals and floors
    (:attr:`fovex.explain.Explainer.is_floor`)."""
    from ...explain import is_floor

    others = [m for m in methods if m != candidate]
    return [m for m in others if not is_floor(m)], [m for m in others if is_floor(m)]


def _the(name: str) -> str:
    """A floor reads with its article ("the centre map"), a method without."""
    from ...explain import is_floor

    return f"the {method_name(name)}" if is_floor(name) else method_name(name)


def _leader_clause(judged: Judged, scope: str, metric: str, means: pd.Series, candidate: str) -> str:
    """``"best RISE (<mean>)"`` or ``"highest mean the centre map (<mean>), tied with A and B"``, and whether
    any method beats the centre map."""
    leader = means.index[0]
    value = f"{_the(leader)} ({format_value(metric, means[leader])})"
    tied = [o for o in means.index[1:] if judged.get(scope, metric, leader, o).word == "tied"]
    if tied:
        extreme = "highest" if column_sense(metric).higher_is_better else "lowest"
        clause = f"{extreme} mean {value}, tied with {names_list([_the(o) for o in tied])}"
    else:
        clause = f"best {value}"
    from ...explain import is_floor

    if is_floor(leader):
        clause += f"; no method beats {_the(leader)}"
    elif "centre" in means.index and leader != "centre":
        if judged.get(scope, metric, leader, "centre").word == "tied":
            clause += "; no method is better than the centre map"
    return clause


def standing(judged: Judged, scope: str, metric: str, candidate: str = "fovex") -> str | None:
    """One sentence: the best method (floors included) and where ``candidate`` stands against every
    other method and the floors, from the judged table. None when the scope has no such comparisons.

    ``"insertion AUC: best RISE (<mean>); FovEx <mean>, behind RISE (<d> [<low>, <high>]), tied with ...,
    ahead of Grad-CAM and Grad-CAM++; against the floors: better than the random map (...), tied with ..."``.
    """
    means = judged.method_means(scope, metric)
    if candidate not in means.index or len(means) < 2:
        return None
    label = column_sense(metric).name
    versus = {other: judged.get(scope, metric, candidate, other) for other in means.index if other != candidate}
    rivals, floors = rivals_and_floors(means.index, candidate)
    own = f"{method_name(candidate)} {format_value(metric, means[candidate])}"
    if means.index[0] == candidate:  # the candidate has the best mean: best, or the best mean with its ties
        tied_with = [o for o in means.index[1:] if versus[o].word == "tied"]
        extreme = "highest" if column_sense(metric).higher_is_better else "lowest"
        own = f"{extreme} mean {own}" if tied_with else f"best {own}"
    if all(j.word != "tied" for j in versus.values()):
        place = 1 + sum(j.word == "worse" for j in versus.values())
        own += f", {_ORDINALS.get(place, f'#{place}')} of {len(means)}"
    behind = [o for o in rivals if versus[o].word == "worse"]
    ties = [o for o in rivals if versus[o].word == "tied"]
    ahead = [o for o in rivals if versus[o].word == "better"]
    clauses = []
    if behind:  # with the gap to the best of them, the one a reader asks for first
        gap = versus[behind[0]].interval()
        named = gap if len(behind) == 1 else f"{method_name(behind[0])}: {gap}"
        clauses.append(f"behind {names_list([method_name(o) for o in behind])} ({named})")
    if ties:
        clauses.append("tied with " + ", ".join(f"{method_name(o)} ({versus[o].interval()})" for o in ties))
    if ahead:
        clauses.append(f"ahead of {names_list([method_name(o) for o in ahead])}")
    head = (
        label if means.index[0] == candidate else f"{label}: {_leader_clause(judged, scope, metric, means, candidate)}"
    )
    sentence = head + ("; " if means.index[0] != candidate else ": ") + ", ".join([own, *clauses])
    present = [floor for floor in floors if floor in versus]
    if present:
        sentence += "; against the floors: " + ", ".join(
            f"{PHRASES[versus[f].word]} the {method_name(f)} ({versus[f].interval()})" for f in present
        )
    return sentence


def standing_row(judged: Judged, scope: str, metric: str, candidate: str = "fovex") -> dict | None:
    """One row of :func:`standing_table`: the best method (floors included), the candidate, its
    difference to the best with the judged interval and word, its place, and its word against each floor."""
    means = judged.method_means(scope, metric)
    if candidate not in means.index or len(means) < 2:
        return None
    leader = means.index[0]
    versus = {other: judged.get(scope, metric, candidate, other) for other in means.index if other != candidate}
    name = method_name(candidate)
    row = {"scope": scope, "metric": column_sense(metric).name, "N": judged.units(scope, metric)}
    row["best mean"] = f"{_the(leader)} ({format_value(metric, means[leader])})"
    row[name] = format_value(metric, means[candidate])
    if leader == candidate:
        row[f"{name} vs best"] = "best" if all(j.word == "better" for j in versus.values()) else "best mean, tied"
        row[f"{name} − best"] = "-"
    else:
        j = versus[leader]
        row[f"{name} vs best"] = PHRASES[j.word]
        row[f"{name} − best"] = j.interval()
    if all(j.word != "tied" for j in versus.values()):
        row["place"] = f"{1 + sum(j.word == 'worse' for j in versus.values())} of {len(means)}"
    else:  # no place: it is tied with some methods
        row["place"] = f"- (tied with {sum(j.word == 'tied' for j in versus.values())})"
    _, floors = rivals_and_floors(means.index, candidate)
    for floor in floors:
        row[f"vs {method_name(floor)}"] = PHRASES[versus[floor].word]
    return row


def standing_table(judged: Judged, family: str, candidate: str = "fovex") -> pd.DataFrame:
    """Every metric of every scope of ``family``: :func:`standing_row`, one row each, indexed by scope and
    metric (the first screen of a chapter: FovEx against the best method, floors included)."""
    rows = [
        row
        for scope in judged.scopes(family)
        for metric in judged.metrics(family, scope)
        if (row := standing_row(judged, scope, metric, candidate)) is not None
    ]
    if not rows:
        return pd.DataFrame()
    table = pd.DataFrame(rows).rename(columns={"scope": "data"}).fillna("-")
    if table["data"].nunique() == 1:  # one data set: the heading says which
        return table.drop(columns="data").set_index("metric")
    return table.set_index(["data", "metric"])
