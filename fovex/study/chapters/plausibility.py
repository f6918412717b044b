"""The plausibility chapter's tables (``notebooks/05_plausibility.py``): the study's methods against
human gaze next to the observers' own agreement (the human ceiling, computed while the book is built),
per data set, and the chapter's small runs on the eye-tracking sets found here.

Per data set, a function returns the chapter's parts in the order they are shown: :class:`Text` lines,
tables and figures, for ``display(*parts)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..axes import StudyRows, observer_ceiling, run_selection
from ..findings.tables import ceiling_table, for_reader, summary_table
from . import Text, run_chapter, weights_line

__all__ = [
    "availability",
    "ceiling_tables",
    "difference_figures",
    "gaze_figures",
    "run_datasets",
    "saliency_parts",
    "scanpath_parts",
    "study_ceilings",
]

#: Not a method against people: a scanpath drawn from the centre-bias density, the scanpaths' floor.
CENTRE_SCANPATH = "centre_scanpath"


def _first_ids(rows: pd.DataFrame, count: int | None = None) -> list[str]:
    """The first ``count`` image ids of ``rows`` in their order (None: all)."""
    return list(dict.fromkeys(rows["image_id"]))[:count]


# ----------------------------------------------------------------------------- the study


def study_ceilings(study: StudyRows, image_size: int, images: int | None = None) -> dict[str, pd.DataFrame | str]:
    """Data set -> the human ceiling (:func:`fovex.study.observer_ceiling`, one row per image) on the first
    ``images`` images (None: all) the axis scored, with the sAUC negatives its rows had (the first run's
    whole selection); or, for a data set whose fixations name no observers (MIT1003 without its ``DATA/``
    eye traces), the sentence saying why there is no ceiling."""
    from ...data import open_dataset

    ceilings = {}
    for name, rows in study.ok.groupby("dataset", sort=False):
        reason = _no_observers(open_dataset, name)
        if reason:
            ceilings[name] = reason
            continue
        run = str(rows["run"].iloc[0])
        negatives = run_selection(study.provenance[run]["config"])
        ceilings[name] = observer_ceiling(
            name, _first_ids(rows[rows["run"] == run], images), image_size=image_size, negatives_from=negatives
        )
    return ceilings


def _no_observers(open_dataset, name: str) -> str | None:
    """Why ``name``'s fixations cannot give a human ceiling (no observers recorded), or None."""
    dataset = open_dataset(name)
    if getattr(dataset, "has_observers", True):
        return None
    why = getattr(dataset, "no_observers_reason", None) or "its fixations name no observers"
    return f"{name}: no human ceiling: {why}"


def ceiling_tables(
    study: StudyRows,
    ceilings: dict[str, pd.DataFrame],
    metrics: list[str],
    explainers: list[str] | None = None,
    axis: str = "method",
    lines: bool = False,
) -> list:
    """Per data set, :func:`fovex.study.findings.ceiling_table` of ``explainers`` (default: every method
    but :data:`CENTRE_SCANPATH`) and the data set's ceiling, as the book shows it, its index named
    ``"<data set>: <axis>"``; with ``lines``, each after a line saying on how many images its ceiling was
    computed during this build."""
    from ..findings.wording import model_name

    several = study.ok["model"].nunique() > 1
    parts = []
    for (model, name), rows in study.ok.groupby(["model", "dataset"], sort=False):
        ceiling = ceilings[name]
        label = f"{model_name(model)}, {name}" if several else name
        shown = explainers if explainers is not None else sorted(set(rows["explainer"]) - {CENTRE_SCANPATH})
        if isinstance(ceiling, str):  # no observers: the methods alone, and why there is no ceiling
            parts += [
                Text(ceiling),
                for_reader(summary_table(rows[rows["explainer"].isin(shown)], metrics, by="explainer")),
            ]
            continue
        if lines:
            parts.append(Text(f"{label}: the human ceiling computed during this build on {len(ceiling)} images"))
        table = ceiling_table(rows, ceiling, metrics, explainers=shown)
        parts.append(for_reader(table).rename_axis(f"{label}: {axis}"))
    return parts


def difference_figures(judged, metrics: list[str], candidate: str = "fovex") -> list:
    """Per data set (and pooled) of the study's plausibility comparisons: FovEx against each method on
    ``metrics``, the judged differences and intervals as a figure (:func:`fovex.viz.paired_differences_figure`)."""
    from ...viz import paired_differences_figure

    figures = []
    for scope in judged.scopes("plausibility"):
        differences = judged.comparisons_of(scope, candidate, metrics, "plausibility")
        if len(differences):
            title = f"{scope}: {differences['n'].max()} images; judged intervals"
            figures.append(paired_differences_figure(differences, title=title))
    return figures


# ----------------------------------------------------------------------------- computed while the book is built


def availability(datasets: list[str]) -> tuple[list[str], str]:
    """The ``datasets`` found here (in their order) and what the chapter says about them: a line per
    absent one (how to get it), then the ones it runs on."""
    from ...data import is_available

    found = [name for name in datasets if is_available(name)]
    lines = [
        f"{name}: not available here, no numbers shown for it (get it with `fovex data fetch {name}`)."
        for name in sorted(set(datasets) - set(found))
    ]
    return found, "\n".join([*lines, f"running on: {found}"])


def run_datasets(datasets: list[str], results_dir, profile: str, **settings) -> dict:
    """Data set -> the chapter's run on it (:func:`fovex.study.chapters.run_chapter` with ``settings``),
    in ``results_dir/plausibility-<data set>``."""
    return {
        name: run_chapter(
            Path(results_dir) / f"plausibility-{name}", name=f"plausibility-{name}-{profile}", dataset=name, **settings
        )
        for name in datasets
    }


def saliency_parts(runs: dict, metrics: list[str], model_name: str) -> list:
    """Per run: a line naming it, the summary table of ``metrics`` by method and their bars with 95 %
    bootstrap intervals (:func:`fovex.viz.interval_bars`)."""
    from ...viz import interval_bars

    parts = []
    for name, run in runs.items():
        images = run.ok["image_id"].nunique()
        title = f"{model_name} vs human fixations on {name}, {images} images; bars: 95 % bootstrap intervals"
        parts += [
            Text(f"{model_name} on {name}: {images} images; density σ = 1 degree of visual angle"),
            Text(weights_line(run)),
            for_reader(summary_table(run.ok, metrics, by="explainer")),
            interval_bars(run.ok, metrics, columns=3, title=title),
        ]
    return parts


def scanpath_parts(runs: dict, metrics: list[str]) -> list:
    """Per run: FovEx's scanpath and the centre-bias floor against the observers, next to the observers'
    own agreement on the same images cut to FovEx's number of fixations *T* (a line saying so, then the
    table)."""
    from ...data import open_dataset

    parts = []
    for name, run in runs.items():
        reason = _no_observers(open_dataset, name)
        if reason:  # scanpaths need each observer's ordered fixations
            parts.append(Text(f"{reason}; no scanpath comparison either"))
            continue
        ids = _first_ids(run.ok[run.ok["explainer"] == "fovex"])
        fixations = len(next(iter(run.maps("fovex", ids=ids[:1]).values()))["fixations_xy"])  # FovEx's T
        ceiling = observer_ceiling(name, ids, image_size=run.image_size(), max_fixations=fixations)
        table = ceiling_table(run.ok, ceiling, metrics, explainers=["fovex", CENTRE_SCANPATH])
        parts += [
            Text(f"{name}: {len(ids)} images, the first {fixations} fixations of every scanpath"),
            for_reader(table).rename_axis(f"{name}: scanpath of"),
        ]
    return parts


def gaze_figures(runs: dict, model_name: str, images: int = 3) -> list:
    """Per run: its first ``images`` images FovEx explained, the human density, FovEx's map and the two
    scanpaths (:func:`fovex.viz.gaze_figure`)."""
    from ...viz import gaze_figure

    return [
        gaze_figure(run, _first_ids(run.ok[run.ok["explainer"] == "fovex"], images), title=f"{model_name} on {name}")
        for name, run in runs.items()
    ]
