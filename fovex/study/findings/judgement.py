"""The judged table read back: one comparison's word and interval, whichever way round it is asked for.

:class:`Judged` wraps :func:`fovex.report.standard.judge`'s table (every comparison the book words,
judged once under one :class:`~fovex.report.standard.Standard`) with the means of every method it
compares. Every sentence, table and figure of the findings and the chapter openings asks it for words
(:meth:`Judged.get`); it keeps a record of every word it handed out, so a test can regenerate all
pages and check that no (pair, metric, data) was given two words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...metrics.registry import column_sense, format_difference, format_value
from ...report.standard import Standard

__all__ = ["FLIPPED_WORD", "Judged", "Judgement"]

#: A word read the other way round.
FLIPPED_WORD = {"better": "worse", "worse": "better", "tied": "tied"}


@dataclass(frozen=True)
class Judgement:
    """One judged comparison, ``candidate - reference`` (oriented as asked)."""

    family: str
    scope: str
    metric: str
    candidate: str
    reference: str
    candidate_mean: float
    reference_mean: float
    difference: float
    ci_low: float
    ci_high: float
    p: float
    p_adjusted: float
    word: str
    n: int
    relative: float = float("nan")
    relative_low: float = float("nan")
    relative_high: float = float("nan")

    def interval(self) -> str:
        """``"<d> [<low>, <high>]"`` in the metric's decimals (the judged, printed interval)."""
        return format_difference(self.metric, self.difference, self.ci_low, self.ci_high)

    def relative_interval(self) -> str:
        """The difference in % of the reference's mean with its interval: ``"<d> [<low>, <high>] %"``."""
        return format_difference(self.metric, self.relative, self.relative_low, self.relative_high, relative=True)


@dataclass
class Judged:
    """Every judged comparison (``table``: :func:`fovex.report.standard.judge`'s columns) and the means
    of the methods compared (``means``: family, scope, metric, method, mean, n), under ``standard``.
    ``seeds``: the same comparisons recomputed at other seeds (:func:`fovex.study.judged.seed_judgements`;
    empty when there are none)."""

    table: pd.DataFrame
    means: pd.DataFrame
    standard: Standard
    seeds: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: (family, scope, metric, sorted pair) -> the words handed out for it, candidate-first order of the pair.
    handed_out: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        """The size of the largest family (every comparison, under a standard whose family is "all")."""
        return int(self.table["m"].max()) if len(self.table) else 0

    def describe(self) -> str:
        """How words are decided, for the pages: the standard's sentence for the book's family size."""
        return self.standard.describe(self.m)

    def interval_words(self) -> str:
        return self.standard.interval_words(self.m)

    # ------------------------------------------------------------------ lookups

    def _rows(self, family: str | None, scope: str, metric: str) -> pd.DataFrame:
        t = self.table
        rows = t[(t["scope"] == scope) & (t["metric"] == metric)]
        return rows if family is None else rows[rows["family"] == family]

    def get(self, scope: str, metric: str, candidate: str, reference: str, family: str | None = None) -> Judgement:
        """``candidate - reference`` on ``metric`` in ``scope``: the judged comparison, flipped when it was
        computed the other way round. A KeyError when the book never compared the two."""
        rows = self._rows(family, scope, metric)
        straight = rows[(rows["candidate"] == candidate) & (rows["reference"] == reference)]
        flipped = rows[(rows["candidate"] == reference) & (rows["reference"] == candidate)]
        if len(straight):
            judgement = _judgement(straight.iloc[0])
        elif len(flipped):
            judgement = _flip(_judgement(flipped.iloc[0]))
        else:
            raise KeyError(f"no judged comparison of {candidate!r} and {reference!r} on {metric!r} in {scope!r}")
        key = (judgement.family, scope, metric, tuple(sorted((candidate, reference))))
        canonical = judgement.word if candidate <= reference else FLIPPED_WORD[judgement.word]
        self.handed_out.setdefault(key, set()).add(canonical)
        return judgement

    def has(self, scope: str, metric: str, candidate: str, reference: str, family: str | None = None) -> bool:
        rows = self._rows(family, scope, metric)
        pair = {candidate, reference}
        return bool(((rows["candidate"].isin(pair)) & (rows["reference"].isin(pair))).any())

    def method_means(self, scope: str, metric: str, family: str | None = None) -> pd.Series:
        """Method -> mean on ``metric`` in ``scope`` (over the units every method scored), best first."""
        m = self.means
        rows = m[(m["scope"] == scope) & (m["metric"] == metric)]
        if family is not None:
            rows = rows[rows["family"] == family]
        means = rows.set_index("method")["mean"]
        return means.sort_values(ascending=not column_sense(metric).higher_is_better, kind="stable")

    def units(self, scope: str, metric: str, family: str | None = None) -> int:
        m = self.means
        rows = m[(m["scope"] == scope) & (m["metric"] == metric)]
        if family is not None:
            rows = rows[rows["family"] == family]
        return int(rows["n"].max()) if len(rows) else 0

    def scopes(self, family: str) -> list[str]:
        return list(dict.fromkeys(self.table.loc[self.table["family"] == family, "scope"]))

    def metrics(self, family: str, scope: str) -> list[str]:
        t = self.table
        return list(dict.fromkeys(t.loc[(t["family"] == family) & (t["scope"] == scope), "metric"]))

    def comparisons_of(self, scope: str, candidate: str, metrics=None, family: str | None = None) -> pd.DataFrame:
        """``candidate`` against every method it was compared with in ``scope``, one row per (metric,
        other) as :func:`fovex.viz.paired_differences_figure` reads them (judged intervals), in the
        order of ``metrics`` (default: the scope's) and of the others' means."""
        rows = []
        for metric in metrics or self.metrics(family or self._family_of(scope), scope):
            for other in self.method_means(scope, metric, family).index:
                if other != candidate and self.has(scope, metric, candidate, other, family):
                    j = self.get(scope, metric, candidate, other, family)
                    rows.append(
                        {
                            "metric": metric,
                            "candidate": candidate,
                            "reference": other,
                            "candidate_mean": j.candidate_mean,
                            "reference_mean": j.reference_mean,
                            "difference": j.difference,
                            "ci_low": j.ci_low,
                            "ci_high": j.ci_high,
                            "p_adjusted": j.p_adjusted,
                            "word": j.word,
                            "n": j.n,
                        }
                    )
        return pd.DataFrame(rows)

    def _family_of(self, scope: str) -> str:
        families = self.table.loc[self.table["scope"] == scope, "family"].unique()
        if len(families) != 1:
            raise ValueError(f"scope {scope!r} is in {len(families)} families; name the family")
        return str(families[0])

    def value(self, metric: str, x: float) -> str:
        return format_value(metric, x)


def _judgement(row: pd.Series) -> Judgement:
    names = Judgement.__dataclass_fields__
    return Judgement(**{name: row[name] for name in names if name in row.index})


def _flip(j: Judgement) -> Judgement:
    """``reference - candidate``: the difference and interval negated, the means swapped, the word read the
    other way; the relative difference is that of the other mean (its interval is not the flipped one's)."""
    relative = 100.0 * -j.difference / j.candidate_mean if j.candidate_mean else float("nan")
    return Judgement(
        family=j.family,
        scope=j.scope,
        metric=j.metric,
        candidate=j.reference,
        reference=j.candidate,
        candidate_mean=j.reference_mean,
        reference_mean=j.candidate_mean,
        difference=-j.difference,
        ci_low=-j.ci_high,
        ci_high=-j.ci_low,
        p=j.p,
        p_adjusted=j.p_adjusted,
        word=FLIPPED_WORD[j.word],
        n=j.n,
        relative=relative,
    )
