"""One standard for every comparison: a typed table of paired comparisons, judged in one call.

The model is statsmodels' ``multipletests``: one call decides which differences are established.
Here :func:`judge` takes every paired comparison a report makes (one :class:`Comparison` each: the pair,
the metric, the data, the estimate, its bootstrap standard error, p) and a :class:`Standard` (alpha, the
correction, what forms a family) and adds, per comparison, the adjusted p, the interval printed beside
its word, and the word itself (better / worse / tied, for the candidate, in the metric's own direction).
Every sentence, table and figure reads its words and intervals from that judged table, so two places
cannot judge one comparison differently, and changing the standard is one edit.

Intervals are normal intervals from the bootstrap standard error, ``d +- z se``, and p is the normal
tail of the same ``z = d / se`` (:func:`fovex.report.bootstrap_p`), so an interval excludes 0 exactly
when its p clears the level. Under ``bonferroni`` the printed intervals are simultaneous: each is at
level ``1 - alpha / m`` for a family of ``m``, and "better" or "worse" is said exactly when that
interval excludes 0. Under ``holm`` (more powerful, no matching intervals) and ``none`` the printed
intervals are the unadjusted ``1 - alpha`` ones, and :meth:`Standard.interval_words` says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
from scipy.stats import norm

from .resampling import RESAMPLES, bootstrap_p, holm, resampled_means

__all__ = [
    "COMPARISON_COLUMNS",
    "CORRECTIONS",
    "Comparison",
    "Standard",
    "comparison_table",
    "judge",
    "paired_comparison",
    "paired_comparisons",
]

#: Corrections a :class:`Standard` knows.
CORRECTIONS = ("bonferroni", "holm", "none")
#: What forms one family: every comparison given to :func:`judge` ("all"), or each value of the
#: comparisons' ``family`` column on its own ("each").
FAMILY_SCOPES = ("all", "each")


@dataclass(frozen=True)
class Standard:
    """How differences are judged: level ``alpha``, the multiplicity ``correction`` and the ``family``
    (``"all"``: every comparison judged together is one family; ``"each"``: each named family alone)."""

    alpha: float = 0.05
    correction: str = "bonferroni"
    family: str = "all"

    def __post_init__(self):
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, got {self.correction!r}")
        if self.family not in FAMILY_SCOPES:
            raise ValueError(f"family must be one of {', '.join(FAMILY_SCOPES)}, got {self.family!r}")

    @property
    def simultaneous(self) -> bool:
        """Whether the printed intervals are simultaneous (they match the adjusted decisions)."""
        return self.correction == "bonferroni"

    def adjust(self, p) -> np.ndarray:
        """Adjusted p-values of one family (NaN stays NaN): ``min(1, m p)`` (Bonferroni), Holm's step-down,
        or ``p`` unchanged."""
        p = np.asarray(p, dtype=np.float64)
        if self.correction == "holm":
            return holm(p)
        if self.correction == "none":
            return p.copy()
        return np.minimum(1.0, np.isfinite(p).sum() * p)

    def critical_z(self, m: int) -> float:
        """``z`` of the printed intervals for a family of ``m``: ``Phi^-1(1 - alpha / (2 m))`` when they are
        simultaneous, else ``Phi^-1(1 - alpha / 2)``."""
        tail = self.alpha / (2 * max(1, m)) if self.simultaneous else self.alpha / 2
        return float(norm.isf(tail))

    def level(self, m: int) -> float:
        """The confidence level of each printed interval for a family of ``m``."""
        return 1.0 - (self.alpha / max(1, m) if self.simultaneous else self.alpha)

    def interval_words(self, m: int) -> str:
        """What the printed intervals are, in words."""
        confidence = f"{1 - self.alpha:.0%}".replace("%", " %")
        if self.simultaneous:
            return f"simultaneous {confidence} intervals (Bonferroni over the family's {m} comparisons)"
        return f"unadjusted {confidence} intervals (the verdicts are {self.correction}-adjusted; these are not)"

    def describe(self, m: int) -> str:
        """One sentence: how a comparison gets its word under this standard, for a family of ``m``."""
        correction = {"bonferroni": "Bonferroni", "holm": "Holm", "none": "no"}[self.correction]
        return (
            f"A difference is established (better / worse) when its {correction}-adjusted p is below "
            f"{self.alpha:g} over a family of {m} comparisons, otherwise the two are tied; intervals are "
            f"{self.interval_words(m)}."
        )


@dataclass(frozen=True)
class Comparison:
    """One paired comparison: ``candidate - reference`` on ``metric`` over the units both scored.

    ``family`` (what it is adjusted with), ``scope`` (the data, e.g. a data set or "osie + nus-scene500"),
    ``model``; the two means; ``difference`` (the mean paired difference), ``se`` (its bootstrap
    standard error), ``p`` (two-sided, unadjusted), ``n`` (units); ``relative`` = ``100 difference /
    reference_mean`` and ``relative_se`` (bootstrap standard error of that ratio)."""

    family: str
    scope: str
    model: str
    metric: str
    candidate: str
    reference: str
    candidate_mean: float
    reference_mean: float
    difference: float
    se: float
    p: float
    n: int
    relative: float
    relative_se: float


#: The columns of a comparison table, in order (:class:`Comparison`'s fields).
COMPARISON_COLUMNS = [f.name for f in fields(Comparison)]


def comparison_table(comparisons) -> pd.DataFrame:
    """Comparisons (:class:`Comparison` records) as one table with :data:`COMPARISON_COLUMNS`."""
    return pd.DataFrame([asdict(c) for c in comparisons], columns=COMPARISON_COLUMNS)


def paired_comparison(
    frame: pd.DataFrame,
    metric: str,
    candidate: str,
    reference: str,
    *,
    family: str = "",
    scope: str = "",
    model: str = "",
    by: str = "explainer",
    unit: str = "image_id",
    cluster: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """:class:`Comparison` of ``candidate`` and ``reference`` on ``metric`` over the units both scored.

    Per unit ``d_i = a_i - b_i``; units (or whole ``cluster``\\ s) are resampled jointly
    (:func:`fovex.report.resampled_means`), giving ``se = sd(mean(d)*)`` and, with the reference's
    resampled mean, ``relative_se = sd(100 mean(d)* / mean(b)*)``. ``p = erfc(|d| / se / sqrt 2)``.
    One unit: ``se = 0``, ``p = 1``.
    """
    from .statistics import _paired

    a, b, clusters = _paired(frame, metric, candidate, reference, by, unit, cluster)
    if candidate == reference:
        raise ValueError(f"a comparison needs two methods, got {candidate!r} twice")
    values = pd.DataFrame({candidate: a, reference: b})
    (found,) = _comparisons(values, clusters, metric, [(candidate, reference)], family, scope, model, resamples, seed)
    return found


def paired_comparisons(
    frame: pd.DataFrame,
    metric: str,
    pairs,
    *,
    family: str = "",
    scope: str = "",
    model: str = "",
    by: str = "explainer",
    unit: str = "image_id",
    cluster: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> list[Comparison]:
    """:func:`paired_comparison` of each ``(candidate, reference)`` of ``pairs`` on the units *every* method
    of ``frame`` scored, from one resampling of all methods' means (the same draws for every pair, as
    :func:`paired_comparison` would make them on those units, at a fraction of the cost)."""
    from .statistics import _check_settings

    _check_settings(frame)
    if frame.duplicated([unit, by]).any():
        raise ValueError(f"{unit!r} does not identify one row per {by}; pass unit= a column that does")
    values = frame.pivot(index=unit, columns=by, values=metric).dropna()
    if values.empty:
        raise ValueError(f"no unit scored by every method on {metric!r}")
    clusters = None
    if cluster is not None:
        clusters = frame.groupby(unit)[cluster].first().reindex(values.index).to_numpy()
    return _comparisons(values, clusters, metric, list(pairs), family, scope, model, resamples, seed)


def _comparisons(values: pd.DataFrame, clusters, metric, pairs, family, scope, model, resamples, seed) -> list:
    """The comparisons of ``pairs`` of ``values`` (units x methods), every method's mean resampled once."""
    names = list(values.columns)
    matrix = values.to_numpy(dtype=np.float64)
    n = len(matrix)
    means = resampled_means(matrix, clusters, resamples, seed) if n > 1 else None
    found = []
    for candidate, reference in pairs:
        i, j = names.index(candidate), names.index(reference)
        a, b = matrix[:, i], matrix[:, j]
        difference, reference_mean = float((a - b).mean()), float(b.mean())
        relative = 100.0 * difference / reference_mean if reference_mean != 0 else math.nan
        if means is None:
            se, relative_se, p = 0.0, 0.0, 1.0
        else:
            d = means[:, i] - means[:, j]
            se = float(np.std(d, ddof=1))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = 100.0 * d / means[:, j]
            finite = np.isfinite(ratio)
            relative_se = float(np.std(ratio[finite], ddof=1)) if finite.sum() > 1 else math.nan
            p = bootstrap_p(difference, d)
        found.append(
            Comparison(
                family=family,
                scope=scope,
                model=model,
                metric=metric,
                candidate=str(candidate),
                reference=str(reference),
                candidate_mean=float(a.mean()),
                reference_mean=reference_mean,
                difference=difference,
                se=se,
                p=p,
                n=int(n),
                relative=relative,
                relative_se=relative_se,
            )
        )
    return found


#: The columns :func:`judge` adds.
JUDGED_COLUMNS = ["m", "p_adjusted", "z", "ci_low", "ci_high", "relative_low", "relative_high", "word"]


def judge(table: pd.DataFrame, standard: Standard, higher_is_better=None) -> pd.DataFrame:
    """``table`` (:func:`comparison_table`) judged under ``standard``: per row ``m`` (its family's size),
    ``p_adjusted``, ``z`` and the printed interval ``ci_low, ci_high = d -+ z se`` (``relative_low/high``
    the same on ``relative``), and ``word``: ``"better"`` or ``"worse"`` (the candidate, in the metric's
    direction) when ``p_adjusted < alpha``, else ``"tied"``.

    ``higher_is_better``: metric -> bool (default: the metric registry,
    :func:`fovex.metrics.registry.column_sense`).
    """
    if higher_is_better is None:
        from ..metrics.registry import column_sense

        def higher_is_better(metric):
            return column_sense(metric).higher_is_better
    elif isinstance(higher_is_better, dict):
        directions = higher_is_better

        def higher_is_better(metric):
            return directions[metric]

    missing = [c for c in COMPARISON_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"not a comparison table: missing {', '.join(missing)}")
    judged = table.reset_index(drop=True).copy()
    for column in JUDGED_COLUMNS:
        judged[column] = np.nan if column != "word" else ""
    groups = [judged.index] if standard.family == "all" else judged.groupby("family", sort=False).groups.values()
    for index in groups:
        m = len(index)
        z = standard.critical_z(m)
        part = judged.loc[index]
        judged.loc[index, "m"] = m
        judged.loc[index, "p_adjusted"] = standard.adjust(part["p"].to_numpy())
        judged.loc[index, "z"] = z
        judged.loc[index, "ci_low"] = part["difference"] - z * part["se"]
        judged.loc[index, "ci_high"] = part["difference"] + z * part["se"]
        judged.loc[index, "relative_low"] = part["relative"] - z * part["relative_se"]
        judged.loc[index, "relative_high"] = part["relative"] + z * part["relative_se"]
    judged["m"] = judged["m"].astype(int)
    up = judged["metric"].map(lambda metric: bool(higher_is_better(metric)))
    clear = judged["p_adjusted"] < standard.alpha
    above = judged["difference"] > 0
    judged["word"] = np.where(~clear, "tied", np.where(above == up, "better", "worse"))
    return judged
