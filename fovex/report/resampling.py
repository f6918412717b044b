"""Resampling: bootstrap means (of units or of whole clusters), percentile intervals, p-values, Holm."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

__all__ = ["RESAMPLES", "bootstrap_p", "holm", "percentile_interval", "resampled_means"]

#: Bootstrap resamples of every interval and p-value in the book. With 2,000, a second seed moved the
#: ends of AUC intervals by 0.001-0.002 (issue 26), with 20,000 %Drop ends still by 0.14 (printed to
#: 0.1). With this many, no interval end of the findings page moves by a printed unit between seeds 0
#: and 1 (tests/test_report.py), so a printed digit changes only where an end sits on a rounding
#: boundary (14 of the page's and openings' numbers did). Draws are shared, so this costs little.
RESAMPLES = 100_000


def resampled_means(values, clusters=None, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """Bootstrap means of the columns of ``values`` (``(n,)`` or ``(n, m)``): ``(resamples,)`` or ``(resamples, m)``.

    Without ``clusters`` each resample draws the n units with replacement. With ``clusters`` (one label
    per unit, e.g. the photo of an (image, class) pair) it draws the k clusters with replacement and
    keeps every unit of a drawn cluster, since units of one cluster are not independent:
    ``mean* = sum_j w_j S_j / sum_j w_j n_j`` with ``w_j`` the times cluster j is drawn, ``S_j`` the sum
    of its values and ``n_j`` its size. Every column shares the draws (paired resampling).
    """
    values = np.asarray(values, dtype=np.float64)
    flat = values.ndim == 1
    values = values[:, None] if flat else values
    codes = np.arange(len(values)) if clusters is None else pd.factorize(np.asarray(clusters))[0]
    k = int(codes.max()) + 1
    sums = np.zeros((k, values.shape[1]))
    np.add.at(sums, codes, values)
    sizes = np.bincount(codes, minlength=k).astype(np.float64)
    if k * resamples <= _CACHED_DRAWS:
        weights = _draw_counts(k, resamples, seed)
        means = (weights @ sums) / (weights @ sizes)[:, None]
    else:  # too many draws to keep: the same draws, made block by block and let go
        means = np.concatenate(
            [(block @ sums) / (block @ sizes)[:, None] for block in _count_blocks(k, resamples, seed)]
        )
    return means[:, 0] if flat else means


#: At most this many draw counts (float64) are kept per cached (k, resamples, seed): 100,000 resamples
#: of up to 300 photos, 240 MB; two are kept.
_CACHED_DRAWS = 30_000_000


@functools.lru_cache(maxsize=2)
def _draw_counts(k: int, resamples: int, seed: int) -> np.ndarray:
    """``(resamples, k)``: how often each of k units is drawn in each resample (rows sum to k).

    The same (k, resamples, seed) gives the same draws, so they are made once and shared: the book
    makes hundreds of comparisons on the same 200 photos.
    """
    counts = np.concatenate(list(_count_blocks(k, resamples, seed)))
    counts.setflags(write=False)
    return counts


def _count_blocks(k: int, resamples: int, seed: int):
    """:func:`_draw_counts` in blocks of rows (bounded memory), the same draws for the same arguments."""
    rng = np.random.default_rng(seed)
    rows = max(1, 2_000_000 // k)
    for start in range(0, resamples, rows):
        count = min(rows, resamples - start)
        picks = rng.integers(0, k, size=(count, k)) + k * np.arange(count)[:, None]
        yield np.bincount(picks.ravel(), minlength=count * k).reshape(count, k).astype(np.float64)


def percentile_interval(resampled: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """The ``confidence`` percentile interval of bootstrap statistics: their (1-c)/2 and (1+c)/2 quantiles."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(resampled, [tail, 1.0 - tail])
    return float(low), float(high)


def bootstrap_p(estimate: float, resampled: np.ndarray) -> float:
    """Two-sided p-value of "the statistic is 0": ``erfc(|z| / sqrt(2))`` with ``z = estimate / sd(resampled)``,
    the estimate over its bootstrap standard error (normal approximation).

    Counting the resamples beyond 0 would agree with the percentile interval, but small p-values then
    rest on a few dozen resamples and move by a third between seeds once Holm multiplies them; the
    standard error is stable to ``1 / sqrt(2 B)``. 1 when the resamples do not vary and the estimate is 0.
    """
    sd = float(np.std(resampled, ddof=1))
    if sd == 0.0:
        return 1.0 if estimate == 0 else 0.0
    return float(math.erfc(abs(estimate) / sd / math.sqrt(2.0)))


def holm(p_values) -> np.ndarray:
    """Holm's family-wise adjustment of ``p_values`` (NaNs stay NaN and do not count in m).

    With the m p-values sorted, ``p_(1) <= ... <= p_(m)``: ``adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.
    Rejecting where ``adj < alpha`` keeps the chance of any false rejection among the m below alpha.
    """
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
