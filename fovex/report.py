"""Tables for the book: means with bootstrap confidence intervals, and the published FovEx numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PUBLISHED", "bootstrap_ci", "paired_relative_difference", "published_table", "summary_table"]


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
    frame: pd.DataFrame, metrics: list[str], by: list[str] | str = "explainer", confidence: float = 0.95, digits: int = 3
) -> pd.DataFrame:
    """One row per group, one column per metric: ``mean [low, high]`` with a bootstrap CI, and ``n``."""
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in frame.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for metric in metrics:
            if metric not in group:
                continue
            values = group[metric].to_numpy(dtype=np.float64)
            mean = np.nanmean(values) if np.isfinite(values).any() else float("nan")
            low, high = bootstrap_ci(values, confidence)
            row[metric] = f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
        row["n"] = int(len(group))
        rows.append(row)
    return pd.DataFrame(rows).set_index(by)


# SPEC §3: the FovEx README's numbers (ImageNet val presumed, protocol not documented).
PUBLISHED = {
    "vit_base_patch16_224": {
        "%Drop": {"fovex": 13.970, "gradcam": 40.057, "gae": 86.207, "cls_emb": 34.862,
                  "meaningful_perturbation": 29.753, "rise": 15.763, "random": 80.714},
        "%Increase": {"fovex": 30.389, "gradcam": 11.469, "gae": 0.799, "cls_emb": 13.329,
                      "meaningful_perturbation": 20.549, "rise": 22.189, "random": 1.789},
        "Deletion": {"fovex": 0.240, "gradcam": 0.157, "gae": 0.172, "cls_emb": 0.155,
                     "meaningful_perturbation": 0.200, "rise": 0.158, "random": 0.395},
        "Insertion": {"fovex": 0.840, "gradcam": 0.818, "gae": 0.806, "cls_emb": 0.817,
                      "meaningful_perturbation": 0.674, "rise": 0.782, "random": 0.682},
        "EBPG": {"fovex": 47.705, "gradcam": 41.667, "gae": 39.812, "cls_emb": 39.350,
                 "meaningful_perturbation": 40.646, "rise": 42.633, "random": 35.708},
    },
    "resnet50": {
        "%Drop": {"fovex": 11.780, "gradcam": 21.718, "gradcam++": 19.863, "meaningful_perturbation": 85.973,
                  "rise": 11.885, "random": 61.317},
        "%Increase": {"fovex": 61.849, "gradcam": 43.669, "gradcam++": 45.069, "meaningful_perturbation": 4.700,
                      "rise": 55.489, "random": 16.729},
        "Deletion": {"fovex": 0.151, "gradcam": 0.108, "gradcam++": 0.113, "meaningful_perturbation": 0.082,
                     "rise": 0.100, "random": 0.212},
        "Insertion": {"fovex": 0.374, "gradcam": 0.368, "gradcam++": 0.361, "meaningful_perturbation": 0.280,
                      "rise": 0.372, "random": 0.287},
        "EBPG": {"fovex": 46.977, "gradcam": 48.658, "gradcam++": 47.412, "meaningful_perturbation": 42.725,
                 "rise": 43.312, "random": 38.118},
    },
}  # fmt: skip


def published_table(model: str) -> pd.DataFrame:
    """The published table for ``model`` (rows: metrics, columns: explainers)."""
    if model not in PUBLISHED:
        raise ValueError(f"no published numbers for {model!r}; available: {', '.join(PUBLISHED)}")
    return pd.DataFrame(PUBLISHED[model]).T


def paired_relative_difference(
    frame: pd.DataFrame, metric: str, candidate: str, reference: str, by: str = "explainer",
    confidence: float = 0.95, resamples: int = 2000, seed: int = 0,
) -> dict:  # fmt: skip
    """``(mean(candidate) - mean(reference)) / mean(reference)`` over the images both scored, in %.

    Returns the means, the relative difference and a paired bootstrap interval of it (images resampled
    jointly, so per-image difficulty cancels out), and ``n``.
    """
    pivot = frame[frame[by].isin([candidate, reference])].pivot_table(index="image_id", columns=by, values=metric)
    pivot = pivot.dropna()
    if pivot.empty or candidate not in pivot or reference not in pivot:
        raise ValueError(f"no images scored by both {candidate!r} and {reference!r} on {metric!r}")
    a, b = pivot[candidate].to_numpy(), pivot[reference].to_numpy()
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
