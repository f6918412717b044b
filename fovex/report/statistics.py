"""Means with bootstrap intervals, and paired comparisons over the same images."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .resampling import RESAMPLES, bootstrap_p, percentile_interval, resampled_means


def bootstrap_ci(
    values, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0, clusters=None
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaNs dropped); (nan, nan) if empty.

    ``clusters``: one label per value; whole clusters are resampled (:func:`resampled_means`).
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    values = values[finite]
    if values.size == 0:
        return float("nan"), float("nan")
    if values.size == 1:
        return float(values[0]), float(values[0])
    clusters = None if clusters is None else np.asarray(clusters)[finite]
    return percentile_interval(resampled_means(values, clusters, resamples, seed), confidence)


def summary_table(
    frame: pd.DataFrame,
    metrics: list[str],
    by: list[str] | str = "explainer",
    confidence: float = 0.95,
    digits: int = 3,
    percent_digits: int = 1,
    cluster: str | None = None,
) -> pd.DataFrame:
    """One row per group, one column per metric: ``mean [low, high]`` with a bootstrap CI, and ``n``.

    A group without any finite value of a metric shows ``-`` there (e.g. a ceiling defined for some
    metrics only). Values print with ``digits`` decimals, percentages (columns ending ``_pct``) with ``percent_digits``:
    an interval of a few points needs no thousandths of a percent. ``cluster``: a column whose values
    are resampled whole (:func:`resampled_means`), e.g. the photo of (image, class) pairs.
    """
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in frame.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for metric in metrics:
            if metric not in group:
                continue
            values = group[metric].to_numpy(dtype=np.float64)
            if not np.isfinite(values).any():
                row[metric] = "-"
                continue
            mean = np.nanmean(values)
            clusters = None if cluster is None else group[cluster].to_numpy()
            low, high = bootstrap_ci(values, confidence, clusters=clusters)
            places = percent_digits if metric.endswith("_pct") else digits
            row[metric] = f"{mean:.{places}f} [{low:.{places}f}, {high:.{places}f}]"
        row["n"] = int(len(group))
        rows.append(row)
    return pd.DataFrame(rows).set_index(by)


def paired_relative_difference(
    frame: pd.DataFrame,
    metric: str,
    candidate: str,
    reference: str,
    by: str = "explainer",
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
    unit: str = "image_id",
    cluster: str | None = None,
) -> dict:
    """``(mean(candidate) - mean(reference)) / mean(reference)`` over the images both scored, in %.

    Returns the means, the relative difference and a paired bootstrap interval of it (images resampled
    jointly, so per-image difficulty cancels out; whole clusters when ``cluster`` names a column), its two-sided
    bootstrap ``p`` (:func:`bootstrap_p`), and ``n``.
    """
    a, b, clusters = _paired(frame, metric, candidate, reference, by, unit, cluster)
    means = resampled_means(np.stack([a, b], axis=1), clusters, resamples, seed)
    relative = (means[:, 0] - means[:, 1]) / means[:, 1] * 100
    low, high = percentile_interval(relative, confidence)
    return {
        "metric": metric,
        candidate: float(a.mean()),
        reference: float(b.mean()),
        "difference_pct": float((a.mean() - b.mean()) / b.mean() * 100),
        "ci_low_pct": low,
        "ci_high_pct": high,
        # relative = 0 exactly when mean(a) - mean(b) = 0: test the linear statistic, whose standard error
        # is stable, rather than the ratio, whose resampled denominators give it heavy tails
        "p": bootstrap_p(float(a.mean() - b.mean()), means[:, 0] - means[:, 1]),
        "n": int(len(a)),
    }


def relative_differences(
    frame: pd.DataFrame, reference: str, metrics: list[str], by: str = "explainer", unit: str = "image_id"
) -> pd.DataFrame:
    """:func:`paired_relative_difference` of every other group against ``reference``, for each metric.

    One row per (candidate, metric): ``candidate``, ``reference``, ``metric``, both means,
    ``difference`` (candidate mean minus reference mean, in the metric's units), ``difference_pct``
    with its paired 95 % interval ``ci_low_pct``, ``ci_high_pct``, and ``n`` (shared units). A
    candidate that shares no unit with ``reference`` on a metric has no row for it.
    """
    rows = []
    for candidate in [name for name in dict.fromkeys(frame[by]) if name != reference]:
        for metric in metrics:
            try:
                result = paired_relative_difference(frame, metric, candidate, reference, by=by, unit=unit)
            except MixedSettingsError:
                raise
            except ValueError:  # no shared units (yet): nothing to compare
                continue
            rows.append(
                {
                    "candidate": candidate,
                    "reference": reference,
                    "metric": metric,
                    "candidate_mean": result[candidate],
                    "reference_mean": result[reference],
                    "difference": result[candidate] - result[reference],
                    "difference_pct": result["difference_pct"],
                    "ci_low_pct": result["ci_low_pct"],
                    "ci_high_pct": result["ci_high_pct"],
                    "n": result["n"],
                }
            )
    columns = ["candidate", "reference", "metric", "candidate_mean", "reference_mean", "difference"]
    return pd.DataFrame(rows, columns=[*columns, "difference_pct", "ci_low_pct", "ci_high_pct", "n"])


#: The column naming the metric settings a row was scored under (:func:`fovex.evaluation.store.load_first_available`).
METRIC_SETTINGS = "metric_settings"


class MixedSettingsError(ValueError):
    """A comparison of rows scored under different metric settings (e.g. two insertion substrates)."""


def _check_settings(picked: pd.DataFrame) -> None:
    """Refuse rows whose :data:`METRIC_SETTINGS` differ: their difference would mix the methods' with the
    metrics'. Rows without the column (computed here, one config) are not checked."""
    if METRIC_SETTINGS not in picked or picked[METRIC_SETTINGS].nunique(dropna=False) < 2:
        return
    import json

    def leaves(value, prefix=""):
        if isinstance(value, dict):
            return {k: v for key, item in value.items() for k, v in leaves(item, f"{prefix}{key}.").items()}
        return {prefix.rstrip("."): value}

    kinds = [leaves(json.loads(text)) if isinstance(text, str) else {} for text in picked[METRIC_SETTINGS].unique()]
    names = sorted({name for kind in kinds for name in kind if len({repr(k.get(name)) for k in kinds}) > 1})
    raise MixedSettingsError(
        "refusing to compare rows scored under different metric settings ("
        + "; ".join(f"{name}: {' vs '.join(sorted({repr(k.get(name)) for k in kinds}))}" for name in names)
        + "): pair only rows of one setting"
    )


def _paired(
    frame: pd.DataFrame,
    metric: str,
    candidate: str,
    reference: str,
    by: str,
    unit: str = "image_id",
    cluster: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Values of both groups on the units (images) both scored, and each unit's ``cluster`` label (None
    without); a unit appearing twice in a group is an error, and so are rows scored under different
    metric settings (:class:`MixedSettingsError`)."""
    picked = frame[frame[by].isin([candidate, reference])]
    _check_settings(picked)
    if picked.duplicated([unit, by]).any():
        raise ValueError(f"{unit!r} does not identify one row per {by}; pass unit= a column that does")
    pivot = picked.pivot(index=unit, columns=by, values=metric)
    pivot = pivot.dropna()
    if pivot.empty or candidate not in pivot or reference not in pivot:
        raise ValueError(f"no images scored by both {candidate!r} and {reference!r} on {metric!r}")
    clusters = None
    if cluster is not None:
        clusters = picked.groupby(unit)[cluster].first().reindex(pivot.index).to_numpy()
    return pivot[candidate].to_numpy(dtype=np.float64), pivot[reference].to_numpy(dtype=np.float64), clusters


def paired_difference(
    frame: pd.DataFrame,
    metric: str,
    candidate: str,
    reference: str,
    by: str = "explainer",
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
    unit: str = "image_id",
    cluster: str | None = None,
) -> dict:
    """``mean(candidate - reference)`` over the images both scored, with a paired bootstrap interval.

    ``d_i = candidate_i - reference_i`` per image; the interval is the percentile bootstrap of
    ``mean(d)`` (images resampled, so per-image difficulty cancels out; with ``cluster``, a column such
    as the photo of an (image, class) unit, whole clusters are resampled). Returns ``candidate``,
    ``reference`` (names), their means, ``difference``, ``ci_low``, ``ci_high``, the two-sided
    bootstrap ``p`` of "no difference" (:func:`bootstrap_p`) and ``n``.
    """
    a, b, clusters = _paired(frame, metric, candidate, reference, by, unit, cluster)
    if len(a) == 1:  # one pair: no spread to resample
        d = float(a[0] - b[0])
        low = high = d
        p = 1.0  # nothing to test with
    else:
        resampled = resampled_means(a - b, clusters, resamples, seed)
        (low, high), p = percentile_interval(resampled, confidence), bootstrap_p(float((a - b).mean()), resampled)
    return {
        "metric": metric,
        "candidate": candidate,
        "reference": reference,
        "candidate_mean": float(a.mean()),
        "reference_mean": float(b.mean()),
        "difference": float((a - b).mean()),
        "ci_low": low,
        "ci_high": high,
        "p": p,
        "n": int(len(a)),
    }


def paired_differences(
    frame: pd.DataFrame,
    metrics: list[str],
    candidate: str = "fovex",
    by: str = "explainer",
    confidence: float = 0.95,
    unit: str = "image_id",
    cluster: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`paired_difference` of ``candidate`` against every other group, for each metric (one row each)."""
    others = [name for name in dict.fromkeys(frame[by]) if name != candidate]
    rows = [
        paired_difference(frame, metric, candidate, other, by, confidence, resamples, seed, unit, cluster)
        for metric in metrics
        for other in others
        if metric in frame
    ]
    return pd.DataFrame(rows)


def reverse_differences(differences: pd.DataFrame, candidate: str) -> pd.DataFrame:
    """:func:`paired_differences` read the other way round: each reference minus the candidate.

    ``difference`` -> ``-difference`` and ``[low, high]`` -> ``[-high, -low]`` (the percentile
    bootstrap interval of ``-d`` is the negated interval of ``d``), the two means swap places; the
    references keep their names and ``candidate`` names the side that now comes first (e.g.
    "variant" for each variant minus the published map).
    """
    return differences.assign(
        candidate=candidate,
        candidate_mean=differences["reference_mean"],
        reference_mean=differences["candidate_mean"],
        difference=-differences["difference"],
        ci_low=-differences["ci_high"],
        ci_high=-differences["ci_low"],
    )


def paired_differences_table(differences: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """:func:`paired_differences` to read: one row per rival (``reference``, index "method"), one column
    per metric with ``d [low, high]`` (candidate minus rival, signed, paired interval), and ``N``:
    the fewest units the candidate shares with that rival over the metrics. First-appearance order."""
    cells = differences.assign(
        cell=[
            f"{d:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"
            for d, low, high in zip(differences["difference"], differences["ci_low"], differences["ci_high"])
        ]
    )
    rivals = list(dict.fromkeys(differences["reference"]))
    metrics = list(dict.fromkeys(differences["metric"]))
    table = cells.pivot(index="reference", columns="metric", values="cell").reindex(index=rivals, columns=metrics)
    table["N"] = differences.groupby("reference")["n"].min().reindex(rivals)
    return table.rename_axis(index="method", columns=None)


def adjusted_difference(
    frame: pd.DataFrame,
    metric: str,
    covariate: str,
    candidate: str,
    reference: str,
    by: str = "explainer",
    unit: str = "image_id",
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict:
    """How much of ``candidate``'s paired gap to ``reference`` on ``metric`` remains at equal ``covariate``.

    Per unit, ``dy_i`` and ``dx_i`` are the candidate-minus-reference differences of the metric and of
    the covariate (e.g. a map's mean value). The least-squares line ``dy = a + b dx`` gives ``a``, the
    gap at ``dx = 0`` (``adjusted``); the gap is ``mean(dy) = a + b mean(dx)``, so the covariate
    accounts for ``explained = b mean(dx) / mean(dy)`` of it. ``b`` and ``a`` come from the means of
    ``dx, dy, dx dy, dx^2``, so units are resampled jointly (:func:`resampled_means`) for the intervals
    ``adjusted_low/high`` and ``explained_low/high``, and the bootstrap standard error ``adjusted_se`` of
    ``a`` with its two-sided ``adjusted_p`` (:func:`bootstrap_p`). Returns those, ``gap``, ``slope`` and ``n``.
    """
    y, _, _ = _paired(frame, metric, candidate, reference, by, unit)
    dy = y - _paired(frame, metric, reference, candidate, by, unit)[0]
    dx = _paired(frame, covariate, candidate, reference, by, unit)
    dx = dx[0] - dx[1]
    if len(dx) != len(dy):
        raise ValueError(f"{metric!r} and {covariate!r} must be scored on the same units")

    def fit(m):  # columns: mean dx, mean dy, mean dx dy, mean dx^2
        slope = (m[..., 2] - m[..., 0] * m[..., 1]) / (m[..., 3] - m[..., 0] ** 2)
        adjusted = m[..., 1] - slope * m[..., 0]
        return slope, adjusted, slope * m[..., 0] / m[..., 1]

    columns = np.stack([dx, dy, dx * dy, dx * dx], axis=1)
    slope, adjusted, explained = fit(columns.mean(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample of one repeated photo has no line
        _, adjusted_r, explained_r = fit(resampled_means(columns, None, resamples, seed))
    keep = np.isfinite(adjusted_r) & np.isfinite(explained_r)
    adjusted_r, explained_r = adjusted_r[keep], explained_r[keep]
    adjusted_se = float(np.std(adjusted_r, ddof=1))
    (a_low, a_high), (e_low, e_high) = (
        percentile_interval(adjusted_r, confidence),
        percentile_interval(explained_r, confidence),
    )
    return {
        "candidate": candidate,
        "reference": reference,
        "gap": float(dy.mean()),
        "slope": float(slope),
        "adjusted": float(adjusted),
        "adjusted_low": a_low,
        "adjusted_high": a_high,
        "adjusted_se": adjusted_se,
        "adjusted_p": bootstrap_p(float(adjusted), adjusted_r),
        "explained": float(explained),
        "explained_low": e_low,
        "explained_high": e_high,
        "n": int(len(dy)),
    }
