"""A run's summary table: mean metrics per model x explainer, from the tested metric functions."""

from __future__ import annotations

import pandas as pd

from ..metrics.localization import pointing_game_accuracy
from .scoring import METRICS

__all__ = ["summarize"]


def _pointing_game_pct(rows: pd.DataFrame) -> float:
    """TorchRay's pointing-game accuracy: the mean over classes of each class's hit rate, in %."""
    scored = rows.dropna(subset=["pointing_hit"])
    if scored.empty:
        return float("nan")
    classes, _ = pd.factorize(scored["object_class"].astype(str))  # class names -> integer codes
    return pointing_game_accuracy(scored["pointing_hit"].astype(bool).to_numpy(copy=True), classes).accuracy_pct


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean metrics per model x explainer (config order) over rows with ``status == "ok"``.

    ``increase_pct`` is the share of rows with O > Y (%Increase); ``pointing_game_pct`` the mean
    over classes of per-class hit rates (TorchRay, :func:`~fovex.metrics.localization.pointing_game_accuracy`);
    other metrics are plain means. ``passes`` is forward + backward passes per explanation, ``seconds``
    explain + metric wall time per row.
    """
    groups = []
    for (model, explainer), rows in results.groupby(["model", "explainer"], sort=False):
        ok = rows[rows["status"] == "ok"]
        entry = {
            "model": model,
            "explainer": explainer,
            "n_ok": len(ok),
            "n_failed": int((rows["status"] == "failed").sum()),
            "n_skipped": int((rows["status"] == "skipped").sum()),
        }
        for spec in METRICS.values():
            for column in spec.columns:
                if column not in rows or column == "score_masked":
                    continue
                values = ok[column]
                if column == "increase":
                    entry["increase_pct"] = float(values.astype(float).mean() * 100) if len(values) else float("nan")
                elif column == "pointing_hit":
                    entry["pointing_game_pct"] = _pointing_game_pct(ok)
                else:
                    entry[column] = float(pd.to_numeric(values, errors="coerce").mean())
        passes = ok["forward_passes"] + ok["backward_passes"]
        seconds = ok["explain_seconds"] + ok["metric_seconds"]
        entry["passes"] = float(passes.mean()) if len(ok) else float("nan")
        entry["seconds"] = float(seconds.mean()) if len(ok) else float("nan")
        groups.append(entry)
    return pd.DataFrame(groups).set_index(["model", "explainer"]) if groups else pd.DataFrame()
