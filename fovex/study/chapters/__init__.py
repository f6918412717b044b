"""How the book's chapters compute their small runs: one model on one data set, resumed when the
directory already holds it (:func:`run_chapter`), read back as a :class:`fovex.evaluation.reader.Run`."""

from __future__ import annotations

from ...evaluation.reader import Run, open_run

__all__ = [
    "Text",
    "count",
    "differences_table",
    "explainer_entries",
    "explainers_for",
    "pair_counts",
    "run_chapter",
    "scored_maps",
    "study_tables",
    "weights_line",
]


def explainers_for(model: str, explainers: list) -> list:
    """A chapter's explainers as the published tables run them on ``model``: on a ViT, Grad-CAM++ (and
    Score-CAM, a CNN method) give way to GAE, the published transformer rival; on a CNN, GAE is left out.
    Entries (mappings) are kept as they are; the order is kept, GAE taking Grad-CAM++'s place."""
    from ..findings.claims import CNN_RIVALS, VIT_RIVALS

    vit = str(model).startswith("vit")
    cnn_only = (set(CNN_RIVALS) - set(VIT_RIVALS)) | {"scorecam"}
    vit_only = set(VIT_RIVALS) - set(CNN_RIVALS)
    chosen = []
    for entry in explainers:
        name = entry["name"] if isinstance(entry, dict) else entry
        if vit and name in cnn_only:
            if name == "gradcam++" and "gae" not in explainers:
                chosen.append("gae")
            continue
        if not vit and name in vit_only:
            continue
        chosen.append(entry)
    return chosen


def explainer_entries(explainers: list, settings: dict | None = None) -> list[dict]:
    """A chapter's explainers as evaluation-config entries, in the given order.

    A name becomes ``{"name": name}``, with ``"settings": settings[name]`` when ``settings`` (the
    profile's ``explainer_settings``, name -> settings) has it; a mapping (an entry with its own
    ``label`` or ``settings``) is kept as it is. Settings of methods a chapter does not run are unused.
    """
    settings = settings or {}
    entries = []
    for entry in explainers:
        if isinstance(entry, dict):
            entries.append(dict(entry))
        elif entry in settings:
            entries.append({"name": entry, "settings": dict(settings[entry])})
        else:
            entries.append({"name": entry})
    return entries


def run_chapter(
    out_dir,
    *,
    name: str,
    model: str,
    explainers: list,
    dataset: str,
    metrics: list[str],
    num_images: int | None = None,
    metric_settings: dict | None = None,
    batch_size: int = 4,
    device: str = "auto",
    threads: int | None = None,
    seed: int = 42,
    explainer_settings: dict | None = None,
    overwrite: bool = False,
) -> Run:
    """One model on one data set, as the book's chapters run it: build the config, run it (resuming
    whatever ``out_dir`` already holds) and open the result. ``explainers`` (names or entries) and
    ``explainer_settings`` (name -> settings) are joined by :func:`explainer_entries`, as the published tables
    run them on ``model`` (:func:`explainers_for`: GAE for Grad-CAM++ on a ViT). The run lives in
    ``out_dir/<model>``, so chapters run for several models never collide. ``out_dir/<model>`` holding
    results of another config is refused (:class:`fovex.evaluation.store.StoreError`, saying what differs) unless
    ``overwrite`` (``fovex book --overwrite``), which deletes them first."""
    from ...evaluation import run

    config = {
        "config_version": 1,
        "name": name,
        "models": [model],
        "explainers": explainer_entries(explainers_for(model, explainers), explainer_settings),
        "dataset": {"name": dataset, "num_images": num_images},
        "metrics": metrics,
        "metric_settings": metric_settings or {},
        "batch_size": batch_size,
        "device": device,
        "threads": threads,
        "seed": seed,
    }
    from pathlib import Path

    out_dir = Path(out_dir) / model  # one folder per model: a chapter run for another model never collides
    run(config, out_dir, quiet=True, overwrite=overwrite)
    return open_run(out_dir)


class Text(str):
    """A line of text a chapter shows among its tables and figures: IPython's ``display`` shows it as
    plain text, without the quotes of a string's repr, in the place ``print`` would have put it. Lets a
    function return a chapter's lines, tables and figures as one list, shown in order with
    ``display(*parts)``."""

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


def count(rows, column: str = "unit") -> int:
    """The number of distinct ``column`` values of ``rows`` (photos: ``unit`` of the study, ``image_id``
    of a chapter's run)."""
    return int(rows[column].nunique())


def scored_maps(run: Run) -> dict[str, dict]:
    """Explainer label -> its stored maps (:meth:`Run.maps`), for every explainer of ``run`` with ok
    rows, in the run's order."""
    scored = set(run.ok["explainer"])
    return {label: run.maps(label) for label in run.explainers if label in scored}


def pair_counts(table) -> str:
    """``"<method> <N>, ..."``: the photos of each pair of :func:`fovex.report.paired_differences_table`
    (its ``N`` column), methods as the field names them."""
    from ...explain import display_name

    return ", ".join(f"{display_name(name)} {n}" for name, n in table["N"].items())


def differences_table(differences):
    """Judged comparisons (:meth:`fovex.study.findings.judgement.Judged.comparisons_of`) to read: one row per
    other method, one column per metric with ``d [low, high]`` (the judged interval) and its word, and ``N``."""
    import pandas as pd

    from ...explain import display_name
    from ...metrics.registry import format_difference, metric_label

    if differences.empty:
        return pd.DataFrame()
    cells = differences.assign(
        cell=[
            f"{format_difference(m, d, lo, hi)} {word}"
            for m, d, lo, hi, word in zip(
                differences["metric"],
                differences["difference"],
                differences["ci_low"],
                differences["ci_high"],
                differences["word"],
            )
        ]
    )
    others = list(dict.fromkeys(differences["reference"]))
    metrics = list(dict.fromkeys(differences["metric"]))
    table = cells.pivot(index="reference", columns="metric", values="cell").reindex(index=others, columns=metrics)
    table["N"] = differences.groupby("reference")["n"].min().reindex(others)
    candidate = display_name(str(differences["candidate"].iloc[0]))
    table = table.rename(index=display_name, columns=lambda c: metric_label(c) if c != "N" else c)
    return table.rename_axis(index=f"{candidate} − method", columns=None)


def weights_line(source) -> str:
    """The checkpoint a chapter's computed part ran on, in a line: from a loaded classifier
    (:attr:`fovex.models.Classifier.weights_info`) or a run (its manifest's record), one model after another."""
    from ..axes import weights_lines, weights_text

    if isinstance(source, Run):
        return "; ".join(weights_lines(source.manifest))
    info = getattr(source, "weights_info", None)
    return f"weights of {getattr(source, 'name', 'the model')}: {weights_text(info)}"


def study_tables(study, metrics: list[str], what: str = "photos", bars: bool = False) -> list:
    """Per model of a study axis (:class:`fovex.study.StudyRows`): a line naming the model and the units every
    one of its methods scored, the table of each method's mean and 95 % bootstrap interval of ``metrics``
    (:func:`fovex.report.summary_table`) on those units, and with ``bars`` the same as bars. One model's
    methods are never averaged with another's."""
    from ...report import summary_table
    from ...viz import interval_bars
    from ..findings.tables import for_reader
    from ..findings.wording import model_name

    parts = []
    rows = study.scored_by_all()
    for model, part in rows.groupby("model", sort=True):
        units = count(part)
        parts.append(Text(f"{model_name(model)}: {units} {what} scored by every method"))
        parts.append(for_reader(summary_table(part, list(metrics), by="explainer")).rename_axis(model_name(model)))
        if bars:
            title = f"{model_name(model)}: {units} {what}; bars: 95 % bootstrap intervals"
            parts.append(interval_bars(part, list(metrics), title=title))
    return parts
