"""The cost chapter's comparison of FovEx settings (the ``fast`` preset, another seed) with the published one.

Each source is one run (its directory, or the table exported from it). Runs scored under different
metric settings (e.g. the earlier runs' insertion substrate and the RISE reference's) are never
compared with each other: each candidate is compared with the published setting's rows *of its own
metric settings*, on the photos both scored, so a difference is the settings' and nothing else's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..evaluation.store import load_first_available
from ..report import relative_differences
from ..report.statistics import METRIC_SETTINGS
from .paths import REPO_ROOT

__all__ = ["PresetComparison", "compare_presets"]


@dataclass
class PresetComparison:
    """``rows``: the ok rows of every source found (``source``, ``metric_settings`` columns);
    ``differences``: :func:`fovex.report.relative_differences` of each candidate against the reference
    within each metric setting, with ``settings`` (what tells the settings apart) and ``n``;
    ``sources``: one line per source (config, status, commit, device); ``unmatched``: candidates that
    share no photo with a reference of their own metric settings."""

    rows: pd.DataFrame
    differences: pd.DataFrame
    sources: list[str]
    unmatched: list[str]


def compare_presets(
    sources: list[list[str]],
    reference: str = "fovex-published",
    metrics: tuple[str, ...] = ("insertion_auc", "deletion_auc"),
    root: Path = REPO_ROOT,
) -> PresetComparison | None:
    """Load the first available location of each source (paths relative to ``root``) and compare every
    other explainer with ``reference`` inside each metric setting; None when no source is found."""
    from .attempts import attempt_history

    frames, lines = [], []
    for candidates in sources:
        found = load_first_available([Path(root) / location for location in candidates])
        if found is None:
            continue
        rows, provenance, source = found
        label = str(source.relative_to(root)) if source.is_relative_to(root) else str(source)
        history = attempt_history(provenance)
        commits = ", ".join(dict.fromkeys(history.loc[history["what"] == "computed", "commit"]))
        lines.append(
            f"{label}: config {provenance['config'].get('name')} ({provenance['config_hash'][:12]}), "
            f"{provenance.get('status')}, device {provenance.get('device')}, code {commits}, "
            f"finished {provenance.get('finished_at')}"
        )
        frames.append(rows.assign(source=label))
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["status"] == "ok"]
    if METRIC_SETTINGS not in rows:
        rows = rows.assign(**{METRIC_SETTINGS: ""})
    # One row per photo, setting and explainer: a run directory and its own export are not both read.
    rows = rows.drop_duplicates(["image_id", "explainer", METRIC_SETTINGS]).reset_index(drop=True)
    labels = _settings_labels(list(dict.fromkeys(rows[METRIC_SETTINGS])))
    tables, matched = [], set()
    for settings, group in rows.groupby(METRIC_SETTINGS, sort=False):
        table = relative_differences(group, reference, list(metrics))
        if table.empty:
            continue
        sources_of = group.groupby("explainer")["source"].first()
        tables.append(
            table.assign(
                settings=labels[settings],
                source=table["candidate"].map(sources_of),
                reference_source=sources_of.get(reference),
            )
        )
        matched |= set(table["candidate"])
    columns = ["candidate", "reference", "settings", "metric", "candidate_mean", "reference_mean", "difference"]
    columns += ["difference_pct", "ci_low_pct", "ci_high_pct", "n", "source", "reference_source"]
    differences = pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)
    unmatched = sorted(set(rows["explainer"]) - matched - {reference})
    return PresetComparison(rows, differences, lines, unmatched)


def _settings_labels(keys: list[str]) -> dict[str, str]:
    """Each metric setting named by what sets it apart from the others ("faithfulness.insertion_substrate=
    'blur'"); "as configured" when there is only one."""

    def leaves(value, prefix=""):
        if isinstance(value, dict):
            return {k: v for key, item in value.items() for k, v in leaves(item, f"{prefix}{key}.").items()}
        return {prefix.rstrip("."): value}

    parsed = {key: leaves(json.loads(key)) if key else {} for key in keys}
    differing = sorted(
        {name for kind in parsed.values() for name in kind if len({repr(k.get(name)) for k in parsed.values()}) > 1}
    )
    return {
        key: ", ".join(f"{name}={parsed[key].get(name)!r}" for name in differing) or "as configured" for key in keys
    }
