"""Means with bootstrap intervals, and paired comparisons over the same images."""

from __future__ import annotations

import numpy as np
import pandas as pd


def bootstrap_ci(values, confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaNs dropped); (nan, nan) if empty."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    if values.size == 1:
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def summary_table(
    frame: pd.DataFrame,
    metrics: list[str],
    by: list[str] | str = "explainer",
    confidence: float = 0.95,
    digits: int = 3,
    percent_digits: int = 1,
) -> pd.DataFrame:
    """One row per group, one column per metric: ``mean [low, high]`` with a bootstrap CI, and ``n``.

    A group without any finite value of a metric shows ``-`` there (e.g. a ceiling defined for some
    metrics only). Values print with ``digits`` decimals, percentages (columns ending ``_pct``) with ``percent_digits``:
    an interval of a few points needs no thousandths of a percent.
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
            low, high = bootstrap_ci(values, confidence)
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
    resamples: int = 2000,
    seed: int = 0,
    unit: str = "image_id",
) -> dict:
    """``(mean(candidate) - mean(reference)) / mean(reference)`` over the images both scored, in %.

    Returns the means, the relative difference and a paired bootstrap interval of it (images resampled
    jointly, so per-image difficulty cancels out), and ``n``.
    """
    a, b = _paired(frame, metric, candidate, reference, by, unit)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(a), size=(resamples, len(a)))
    relative = (a[picks].mean(1) - b[picks].mean(1)) / b[picks].mean(1) * 100
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(relative, [tail, 1.0 - tail])
    return {
        "metric": metric,
        candidate: float(a.mean()),
        reference: float(b.mean()),
        "difference_pct": float((a.mean() - b.mean()) / b.mean() * 100),
        "ci_low_pct": float(low),
        "ci_high_pct": float(high),
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


#: The column naming the metric settings a row was scored under (:func:`fovex.store.load_first_available`).
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
    frame: pd.DataFrame, metric: str, candidate: str, reference: str, by: str, unit: str = "image_id"
) -> tuple[np.ndarray, np.ndarray]:
    """Values of both groups on the units (images) both scored; a unit appearing twice in a group is an error,
    and so are rows scored under different metric settings (:class:`MixedSettingsError`)."""
    picked = frame[frame[by].isin([candidate, reference])]
    _check_settings(picked)
    if picked.duplicated([unit, by]).any():
        raise ValueError(f"{unit!r} does not identify one row per {by}; pass unit= a column that does")
    pivot = picked.pivot(index=unit, columns=by, values=metric)
    pivot = pivot.dropna()
    if pivot.empty or candidate not in pivot or reference not in pivot:
        raise ValueError(f"no images scored by both {candidate!r} and {reference!r} on {metric!r}")
    return pivot[candidate].to_numpy(dtype=np.float64), pivot[reference].to_numpy(dtype=np.float64)


def paired_difference(
    frame: pd.DataFrame,
    metric: str,
    candidate: str,
    reference: str,
    by: str = "explainer",
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    unit: str = "image_id",
) -> dict:
    """``mean(candidate - reference)`` over the images both scored, with a paired bootstrap interval.

    ``d_i = candidate_i - reference_i`` per image; the interval is the percentile bootstrap of
    ``mean(d)`` (images resampled, so per-image difficulty cancels out). Returns ``candidate``,
    ``reference`` (names), their means, ``difference``, ``ci_low``, ``ci_high`` and ``n``.
    """
    a, b = _paired(frame, metric, candidate, reference, by, unit)
    low, high = bootstrap_ci(a - b, confidence, resamples, seed)
    return {
        "metric": metric,
        "candidate": candidate,
        "reference": reference,
        "candidate_mean": float(a.mean()),
        "reference_mean": float(b.mean()),
        "difference": float((a - b).mean()),
        "ci_low": low,
        "ci_high": high,
        "n": int(len(a)),
    }


def paired_differences(
    frame: pd.DataFrame,
    metrics: list[str],
    candidate: str = "fovex",
    by: str = "explainer",
    confidence: float = 0.95,
    unit: str = "image_id",
) -> pd.DataFrame:
    """:func:`paired_difference` of ``candidate`` against every other group, for each metric (one row each)."""
    others = [name for name in dict.fromkeys(frame[by]) if name != candidate]
    rows = [
        paired_difference(frame, metric, candidate, other, by, confidence, unit=unit)
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
