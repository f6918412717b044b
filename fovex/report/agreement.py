"""The same study rows computed twice (e.g. on a CPU and on a GPU), set side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .statistics import paired_difference


def agreement_table(
    reference: pd.DataFrame,
    other: pd.DataFrame,
    metrics: list[str],
    by: str = "explainer",
    unit: str = "image_id",
    names: tuple[str, str] = ("cpu", "gpu"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The same study rows computed twice (e.g. on a CPU and on a GPU), set side by side per method and metric.

    For each ``by`` group present in both frames and each metric, over the units both scored
    (:func:`paired_difference`, ``d_i = other_i - reference_i``): ``n``, both means
    (``<names[0]>_mean``, ``<names[1]>_mean``), ``difference`` (mean of d) with its paired bootstrap
    interval ``ci_low``, ``ci_high``, ``pearson_r`` of the two columns (NaN when either is constant)
    and ``max_abs_difference``, the largest single-unit ``|d|``, with ``max_unit``, the unit where it
    occurs. A group or metric that shares no finite unit has no row.
    """
    first, second = names
    rows = []
    for group in [name for name in dict.fromkeys(reference[by]) if name in set(other[by])]:
        pair = pd.concat(
            [
                reference[reference[by] == group].assign(_side=first),
                other[other[by] == group].assign(_side=second),
            ],
            ignore_index=True,
        )
        for metric in metrics:
            if metric not in reference or metric not in other:
                continue
            try:
                result = paired_difference(pair, metric, second, first, by="_side", confidence=confidence, unit=unit)
            except ValueError:  # no unit scored on both sides
                continue
            values = pair.pivot(index=unit, columns="_side", values=metric).dropna()
            a, b = values[second].to_numpy(np.float64), values[first].to_numpy(np.float64)
            spread = a.std() > 0 and b.std() > 0
            worst = int(np.argmax(np.abs(a - b)))
            rows.append(
                {
                    by: group,
                    "metric": metric,
                    "n": result["n"],
                    f"{first}_mean": result["reference_mean"],
                    f"{second}_mean": result["candidate_mean"],
                    "difference": result["difference"],
                    "ci_low": result["ci_low"],
                    "ci_high": result["ci_high"],
                    "pearson_r": float(np.corrcoef(a, b)[0, 1]) if spread else float("nan"),
                    "max_abs_difference": float(abs(a[worst] - b[worst])),
                    "max_unit": values.index[worst],
                }
            )
    columns = [by, "metric", "n", f"{first}_mean", f"{second}_mean", "difference", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "pearson_r", "max_abs_difference", "max_unit"])
