"""The cost chapter's tables (``notebooks/07_cost.py``): every explainer timed side by side on this
machine, the full benchmark's table when it exists, the study's own cost, the fast preset against the
published setting, and the study recomputed on a GPU beside the committed rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = [
    "COST_COLUMNS",
    "BENCHMARK_COLUMNS",
    "agreement_view",
    "cost_table",
    "device_lines",
    "full_benchmark",
    "preset_differences",
    "preset_finding",
    "preset_judged",
    "preset_passes",
    "sample_images",
    "study_cost_line",
    "study_cost_table",
    "time_explainers",
]

#: The columns of :func:`time_explainers`' table the chapter shows.
COST_COLUMNS = [
    "explainer",
    "batch_size",
    "seconds_per_image",
    "forward_passes",
    "backward_passes",
    "floor_seconds_per_image",
    "ratio_to_floor",
]

#: The columns of the full benchmark's CSV the chapter shows (those it has).
BENCHMARK_COLUMNS = [
    "model",
    "explainer",
    "batch_size",
    "dtype",
    "seconds_per_image",
    "images_per_s",
    "ratio_to_floor",
    "tflops_per_s",
    "fraction_of_peak",
    "peak_memory_mb",
]


def sample_images(dataset, count: int, device: str = "cpu"):
    """The first ``count`` images of ``dataset`` (repeated from its start when it has fewer), stacked
    on ``device``: (count, 3, H, W)."""
    import torch

    from ...devices import resolve_device

    return torch.stack([dataset[i % len(dataset)].image for i in range(count)]).to(resolve_device(device))


def time_explainers(
    model,
    images,
    explainers: list[str],
    explainer_settings: dict,
    fovex_settings: dict,
    fovex_batch_sizes: list[int],
    batch_size: int,
) -> tuple[pd.DataFrame, str]:
    """Every one of ``explainers`` timed on ``images`` (:func:`fovex.benchmark.time_explainer`): FovEx at
    each of ``fovex_batch_sizes`` with ``fovex_settings`` under its ``explainer_settings``, the others at
    ``batch_size``. Returns the rows (one per explainer and batch size, :meth:`BenchmarkRow.as_dict`) and
    a line per explainer left out and why ("" when none is)."""
    import fovex

    from ...benchmark import time_explainer

    rows, notes = [], []
    available = fovex.explainers()
    for name in explainers:
        if name not in available:
            notes.append(f"{name}: not registered, skipped")
            continue
        settings = dict(explainer_settings.get(name, {}))
        if name == "fovex":
            settings = {**fovex_settings, **settings}
        try:
            explainer = fovex.explainer(name, model, **settings)
        except ValueError as error:
            notes.append(f"{name}: {error}")
            continue
        for size in fovex_batch_sizes if name == "fovex" else [batch_size]:
            rows.append(time_explainer(explainer, images[:size]).as_dict())
    return pd.DataFrame(rows), "\n".join(notes)


def cost_table(cost: pd.DataFrame) -> pd.DataFrame:
    """:func:`time_explainers`' rows as the chapter shows them: :data:`COST_COLUMNS`, 3 decimals."""
    return cost[COST_COLUMNS].round(3)


def study_cost_table(costs: pd.DataFrame) -> pd.DataFrame:
    """:func:`fovex.study.study_cost`'s table as the chapter shows it, 2 decimals."""
    return costs.round(2)


def full_benchmark(path) -> tuple[pd.DataFrame, str] | None:
    """The full benchmark's CSV (``benchmarks/run.py``) as the chapter shows it: explainers by their
    names, :data:`BENCHMARK_COLUMNS` it has, 3 decimals; and the machine it was measured on. None when
    ``path`` is not there."""
    from ...explain import display_name

    path = Path(path)
    if not path.is_file():
        return None
    full = pd.read_csv(path)
    full = full.assign(explainer=full["explainer"].map(display_name))
    return full[[column for column in BENCHMARK_COLUMNS if column in full.columns]].round(3), str(
        full["machine"].iloc[0]
    )


def study_cost_line(costs: pd.DataFrame) -> str:
    """The study's core-hours spent and left (:func:`fovex.study.study_cost`), summed over its runs."""
    return (
        f"{costs['hours'].sum():.1f} core-hours spent, {costs['hours_left'].sum():.1f} left "
        "(runs with rows only: a run without any has no rate yet)"
    )


def preset_passes(rows: pd.DataFrame) -> pd.DataFrame:
    """Per explainer and source of :func:`fovex.study.presets.compare_presets`' rows: mean forward and
    backward passes and seconds per image, 3 decimals."""
    from ..findings.tables import for_reader

    columns = ["forward_passes", "backward_passes", "explain_seconds"]
    passes = rows.groupby(["explainer", "source"])[columns].mean()
    return for_reader(passes.rename(columns={"explain_seconds": "seconds per image"})).round(3)


def preset_differences(judged) -> pd.DataFrame:
    """Every setting the cost chapter compares with the published one (the judged table's ``cost`` family):
    one row per (candidate, metric settings, metric) with the difference in % of the published mean, its
    judged interval, its word and N, for :func:`fovex.viz.relative_differences_figure` (candidates named with
    their metric settings: one line per candidate and setting)."""
    table = judged.table
    rows = []
    for _, row in table[table["family"] == "cost"].iterrows():
        j = judged.get(row["scope"], row["metric"], row["candidate"], row["reference"], "cost")
        rows.append(
            {
                "candidate": f"{row['candidate']}, {row['scope']}",
                "reference": row["reference"],
                "metric": row["metric"],
                "difference_pct": j.relative,
                "ci_low_pct": j.relative_low,
                "ci_high_pct": j.relative_high,
                "word": j.word,
                "n": j.n,
            }
        )
    return pd.DataFrame(rows)


def preset_judged(presets):
    """The comparisons of a :class:`~fovex.study.presets.PresetComparison` computed while the book is built,
    judged on their own under the study's standard (they are not part of the committed study's table)."""
    from ...report.standard import comparison_table, judge
    from ..findings.judgement import Judged
    from ..judged import STANDARD

    table = comparison_table(presets.comparisons)
    return Judged(
        judge(table, STANDARD), pd.DataFrame(columns=["family", "scope", "metric", "method", "mean", "n"]), STANDARD
    )


def preset_finding(judged, presets) -> str:
    """What the preset comparisons found, in the judged words: per candidate and metric settings, the photos
    each side reached and shared, and its difference from the published setting on each metric."""
    from ...explain import display_name
    from ...metrics.registry import column_sense

    table = judged.table
    lines = []
    for scope in judged.scopes("cost"):
        part = table[(table["scope"] == scope) & (table["family"] == "cost")]
        for candidate, rows in part.groupby("candidate", sort=False):
            reference = str(rows["reference"].iloc[0])
            words = [
                f"{column_sense(metric).name} {j.relative_interval()} of the published mean ({j.word})"
                for metric in rows["metric"]
                if (j := judged.get(scope, metric, candidate, reference, "cost"))
            ]
            counts = ", ".join(
                f"{display_name(name)} reached {presets.reached[(scope, name)]}"
                for name in (reference, candidate)
                if (scope, name) in presets.reached
            )
            lines.append(
                f"- **{display_name(candidate)}** against {display_name(reference)} ({scope}; {counts}), on the "
                f"{int(rows['n'].min())} photos both reached: " + "; ".join(words) + "."
            )
    return "\n".join(lines)


def device_lines(devices: dict[str, str]) -> str:
    """A line per recomputed run naming the device it ran on (a CPU marked: its rows test the plumbing only)."""
    return "\n".join(
        f"{run}: recomputed on {device}"
        + ("" if device.startswith("cuda") else " (not a GPU: these rows test the plumbing only)")
        for run, device in devices.items()
    )


def agreement_view(agreement: pd.DataFrame) -> pd.DataFrame:
    """:func:`fovex.study.agreement_with_committed`'s table indexed by run, explainer and metric, 4 decimals."""
    return agreement.set_index(["run", "explainer", "metric"]).round(4)
