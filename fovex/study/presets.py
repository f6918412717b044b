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
from ..report.standard import paired_comparison
from ..report.statistics import METRIC_SETTINGS
from .paths import REPO_ROOT

__all__ = ["DEFAULT_SOURCES", "PresetComparison", "compare_presets", "preset_sources"]

#: The runs the cost chapter compares with the published setting: each entry lists where one run's rows
#: may be (a run directory, then the table exported from it), first found wins.
#: configs/study/fast-vs-published.yaml (RISE insertion substrate); the earlier runs
#: configs/fast-vs-published.yaml and published-seed-reference.yaml (the older insertion substrate, which
#: the seed yardstick is matched with).
DEFAULT_SOURCES = [
    ["build/eval/study-fast-vs-published", "book/measurements/study-fast-vs-published.csv"],
    ["build/eval/fast-vs-published", "book/measurements/fast-vs-published.csv"],
    ["build/eval/published-seed-reference", "book/measurements/published-seed-reference.csv"],
]


def preset_sources(prefer: str = "export") -> list[list[str]]:
    """:data:`DEFAULT_SOURCES` read as the study's other tables are: the committed exports alone
    (``"export"``), or a run directory before its export (``"run"``)."""
    if prefer == "run":
        return [list(entry) for entry in DEFAULT_SOURCES]
    return [[location for location in entry if location.startswith("book/")] for entry in DEFAULT_SOURCES]


@dataclass
class PresetComparison:
    """``rows``: the ok rows of every source found (``source``, ``metric_settings`` columns);
    ``sources``: one line per source (config, status, commit, device); ``unmatched``: candidates that
    share no photo with a reference of their own metric settings; ``comparisons``: the same comparisons as
    :class:`fovex.report.standard.Comparison` records (family ``"cost"``, scope: the metric settings), for
    the study's judged table; ``reached``: (metric settings label, explainer) -> photos with ok rows."""

    rows: pd.DataFrame
    sources: list[str]
    unmatched: list[str]
    comparisons: list
    reached: dict


def compare_presets(
    sources: list[list[str]],
    reference: str = "fovex-published",
    metrics: tuple[str, ...] = ("insertion_auc", "deletion_auc"),
    root: Path = REPO_ROOT,
    seed: int = 0,
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
    matched, comparisons = set(), []
    for settings, group in rows.groupby(METRIC_SETTINGS, sort=False):
        if reference not in set(group["explainer"]):
            continue
        for candidate in [name for name in dict.fromkeys(group["explainer"]) if name != reference]:
            pair = group[group["explainer"].isin([candidate, reference])]
            for metric in metrics:
                try:
                    comparisons.append(
                        paired_comparison(
                            pair,
                            metric,
                            candidate,
                            reference,
                            family="cost",
                            scope=labels[settings],
                            model=", ".join(sorted(set(pair["model"]))),
                            seed=seed,
                        )
                    )
                except ValueError:  # no shared photos (yet): nothing to compare
                    continue
                matched.add(candidate)
    unmatched = sorted(set(rows["explainer"]) - matched - {reference})
    reached = {
        (labels[settings], explainer): int(photos)
        for (settings, explainer), photos in rows.groupby([METRIC_SETTINGS, "explainer"])["image_id"].nunique().items()
    }
    return PresetComparison(rows, lines, unmatched, comparisons, reached)


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
