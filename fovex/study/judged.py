"""Every comparison the book words, computed once from the study's rows and judged under one standard.

:data:`STANDARD` is the study's one standard (alpha, correction, family): **changing it is this one
edit**. :func:`study_comparisons` builds the typed table of every paired comparison the book puts a word
to (:class:`fovex.report.standard.Comparison`), :func:`judged_study` judges it
(:func:`fovex.report.standard.judge`) and wraps it for reading (:class:`fovex.study.findings.judgement.Judged`);
the findings page, every chapter opening, table and figure read their words and intervals from it.

Which comparisons (decided before the numbers, the same on any rows):

- each axis and data set (a *scope*): FovEx against every other method on every metric measured, and the
  method with the best mean (floors included) against every other, so "best" can be said or not;
- plausibility per data set and pooled; the scanpath similarities: FovEx's scanpath against the
  centre-bias scanpath;
- the fovea sweep (fovea s alone) and the tied sweep (fovea and heat-map s together): each size against
  the published s = 0.15, and the best size against every other;
- the map variants: each variant against the published map (deletion, insertion: the variant rule);
- %Drop at equal map mean: FovEx against Grad-CAM once the maps' spread is accounted for;
- the cost chapter: the fast preset and the other-seed run against the published setting.

Seeds (:func:`fovex.study.seeds.seed_judgements`) are not new comparisons: the faithfulness comparisons of FovEx
and RISE recomputed with FovEx's other seeds and RISE's other mask seeds, each judged at the level of its own
primary comparison, so a verdict can say "at every seed" or name the seeds where it fails.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..metrics.registry import column_sense
from ..report.standard import Standard, comparison_table, judge, paired_comparisons
from .axes import PUBLISHED_FOVEA_S, StudyRows, every_unit, fovea_sweep, load_axis, tied_sweep
from .findings.judgement import Judged
from .paths import FAITHFULNESS_METRICS, REPO_ROOT, run_dir, runs_folder
from .seeds import seed_judgements

__all__ = [
    "AXIS_METRICS",
    "STANDARD",
    "Scope",
    "axis_scopes",
    "judge_scopes",
    "judged_study",
    "scope_name",
    "study_comparisons",
]

#: The study's one standard. Every comparison the book words is one family ("all"), Bonferroni-adjusted
#: at 0.05; the printed intervals are the matching simultaneous ones.
STANDARD = Standard(alpha=0.05, correction="bonferroni", family="all")

#: Every metric each axis measures, in the order the book shows them.
AXIS_METRICS: dict[str, tuple[str, ...]] = {
    "faithfulness": ("insertion_auc", "deletion_auc", "drop_pct", "increase_pct"),
    "localisation": ("pointing_pct", "ebpg_pct"),
    "plausibility": ("nss", "cc", "kld", "sim", "auc_judd", "sauc"),
    "scanpaths": ("scanpath_dtw_px", "scanpath_string_edit"),
}

#: The centre-bias scanpath: the floor of the scanpath similarities, not a map.
CENTRE_SCANPATH = "centre_scanpath"


class Scope(NamedTuple):
    """One set of rows whose methods are compared with each other on ``metrics``: ``family``, its name
    ``scope``, the rows (one per unit and ``by``), the ``candidate`` every other method is compared with,
    how units are paired (``unit``) and resampled (``cluster``), and whether the method with the best
    mean is compared with every other (``leader``)."""

    family: str
    scope: str
    rows: pd.DataFrame
    metrics: tuple[str, ...]
    candidate: str
    model: str = ""
    by: str = "explainer"
    unit: str = "unit"
    cluster: str | None = None
    leader: bool = True


def scope_name(data: str, model: str, several_models: bool) -> str:
    """A scope's name: its data (``"osie"``, ``"osie + nus-scene500"``), with the model when the study has
    several (``"resnet50: imagenet-val"``)."""
    return f"{model}: {data}" if several_models else data


def axis_scopes(axis: str, study: StudyRows, candidate: str = "fovex") -> list[Scope]:
    """The scopes of one axis's rows: per model, each data set (and, with several, the data sets pooled)."""
    ok = study.ok
    if axis == "localisation":
        from .chapters.localisation import with_pointing_pct

        ok = with_pointing_pct(ok)
    several = ok["model"].nunique() > 1
    scopes = []
    for model, by_model in ok.groupby("model", sort=True):
        parts = [(name, rows) for name, rows in by_model.groupby("dataset", sort=True)]
        if len(parts) > 1:
            parts.append((" + ".join(name for name, _ in parts), by_model))
        for data, rows in parts:
            name = scope_name(data, str(model), several)
            if axis == "plausibility":
                maps = rows[rows["explainer"] != CENTRE_SCANPATH]
                scopes.append(Scope(axis, name, every_unit(maps), AXIS_METRICS[axis], candidate, str(model)))
                paths = rows[rows["explainer"].isin([candidate, CENTRE_SCANPATH])]
                if paths["explainer"].nunique() == 2:
                    paths = every_unit(paths.dropna(subset=list(AXIS_METRICS["scanpaths"]), how="all"))
                    scopes.append(Scope(axis, name, paths, AXIS_METRICS["scanpaths"], candidate, str(model)))
                continue
            cluster = "photo" if axis == "localisation" else None
            scopes.append(
                Scope(axis, name, every_unit(rows), AXIS_METRICS[axis], candidate, str(model), cluster=cluster)
            )
    return scopes


def _sweep_scope(sweep: pd.DataFrame | None, scope: str) -> list[Scope]:
    if sweep is None or sweep.empty:
        return []
    published = sweep.loc[sweep["fovea_s"] == PUBLISHED_FOVEA_S, "variant"].iloc[0]
    return [Scope("receptive field", scope, sweep, tuple(FAITHFULNESS_METRICS), published, by="variant")]


def receptive_field_scopes(root: Path = REPO_ROOT, prefer: str = "export") -> list[Scope]:
    """The fovea sweep, the tied sweep and the map variants, as scopes."""
    from .chapters.receptive_field import PUBLISHED_MAP, map_variant_rows, variant_table

    scopes = _sweep_scope(fovea_sweep(root, prefer), FOVEA_ONLY) + _sweep_scope(tied_sweep(root, prefer), TIED)
    faithfulness = load_axis("faithfulness", root, prefer)
    rows, _, _ = map_variant_rows(prefer=prefer, root=root)
    table = variant_table(faithfulness, rows)
    if table is not None:
        variants = every_unit(table, by="variant", unit="image_id")
        scopes.append(
            Scope(
                "map variants",
                VARIANTS,
                variants,
                ("deletion_auc", "insertion_auc"),
                PUBLISHED_MAP,
                by="variant",
                unit="image_id",
                leader=False,
            )
        )
    return scopes


#: Scope names of the receptive-field comparisons.
FOVEA_ONLY = "fovea s (heat-map s 0.15)"
TIED = "fovea s = heat-map s"
VARIANTS = "map variants (development photos)"
AT_EQUAL_SPREAD = "%Drop at equal map mean"


def _scope_comparisons(scope: Scope, seed: int) -> tuple[list, list[dict]]:
    """Every comparison of one scope (the candidate and, with ``leader``, the best method against every
    other method) and each method's mean, per metric."""
    comparisons, means = [], []
    for metric in scope.metrics:
        if metric not in scope.rows:
            continue
        rows = every_unit(scope.rows.dropna(subset=[metric]), scope.by, scope.unit)
        if rows.empty or scope.candidate not in set(rows[scope.by]):
            continue
        order = rows.groupby(scope.by)[metric].mean()
        order = order.sort_values(ascending=not column_sense(metric).higher_is_better, kind="stable")
        units = rows[scope.unit].nunique()
        means += [
            {"family": scope.family, "scope": scope.scope, "metric": metric, "method": m, "mean": v, "n": units}
            for m, v in order.items()
        ]
        pairs = [(scope.candidate, other) for other in order.index if other != scope.candidate]
        leader = order.index[0]
        if scope.leader and leader != scope.candidate:
            pairs += [(leader, other) for other in order.index if other not in (leader, scope.candidate)]
        comparisons += paired_comparisons(
            rows,
            metric,
            pairs,
            family=scope.family,
            scope=scope.scope,
            model=scope.model,
            by=scope.by,
            unit=scope.unit,
            cluster=scope.cluster,
            seed=seed,
        )
    return comparisons, means


def judge_scopes(scopes, standard: Standard | None = None, seed: int = 0) -> Judged:
    """The comparisons of ``scopes`` (:class:`Scope`) alone, judged as one family under ``standard``
    (default :data:`STANDARD`): for rows outside the committed study (a chapter's own run, a test)."""
    comparisons, means = [], []
    for scope in scopes:
        found, averaged = _scope_comparisons(scope, seed)
        comparisons += found
        means += averaged
    standard = STANDARD if standard is None else standard
    table = judge(comparison_table(comparisons), standard)
    return Judged(table, pd.DataFrame(means, columns=["family", "scope", "metric", "method", "mean", "n"]), standard)


def _spread_comparisons(root: Path, prefer: str, seed: int) -> list:
    """FovEx against Grad-CAM on %Drop at equal map mean (:func:`fovex.report.adjusted_difference`)."""
    from ..report.standard import Comparison
    from ..report.statistics import adjusted_difference
    from .variants import spread_rows

    rows = spread_rows(root, prefer)
    if rows is None or rows.dropna(subset=["map_mean"]).empty:
        return []
    found = []
    for reference in ("gradcam",):
        if reference not in set(rows.dropna(subset=["map_mean"])["explainer"]):
            continue
        a = adjusted_difference(rows, "drop_pct", "map_mean", "fovex", reference, unit="unit", seed=seed)
        found.append(
            Comparison(
                family="receptive field",
                scope=AT_EQUAL_SPREAD,
                model=", ".join(sorted(set(rows["model"]))),
                metric="drop_pct",
                candidate="fovex",
                reference=reference,
                candidate_mean=float("nan"),
                reference_mean=float("nan"),
                difference=a["adjusted"],
                se=a["adjusted_se"],
                p=a["adjusted_p"],
                n=a["n"],
                relative=float("nan"),
                relative_se=float("nan"),
            )
        )
    return found


def _preset_comparisons(root: Path, prefer: str, seed: int) -> list:
    """The cost chapter's settings against the published one, per metric setting (its scope)."""
    from .presets import compare_presets, preset_sources

    presets = compare_presets(preset_sources(prefer), reference="fovex-published", root=root, seed=seed)
    return [] if presets is None else list(presets.comparisons)


def study_comparisons(
    root: Path = REPO_ROOT, prefer: str = "export", seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(comparisons, means)``: every comparison the book words (:func:`fovex.report.standard.comparison_table`)
    and every compared method's mean per (family, scope, metric). ``seed`` seeds every bootstrap."""
    comparisons, means = [], []
    scopes = []
    for axis in ("faithfulness", "localisation", "plausibility"):
        study = load_axis(axis, root, prefer)
        if study is not None and not study.ok.empty:
            scopes += axis_scopes(axis, study)
    scopes += receptive_field_scopes(root, prefer)
    for scope in scopes:
        found, averaged = _scope_comparisons(scope, seed)
        comparisons += found
        means += averaged
    comparisons += _spread_comparisons(root, prefer, seed)
    comparisons += _preset_comparisons(root, prefer, seed)
    return comparison_table(comparisons), pd.DataFrame(
        means, columns=["family", "scope", "metric", "method", "mean", "n"]
    )


def _inputs_digest(root: Path, prefer: str) -> str:
    """What the judged table is computed from: the active study, the bytes of every committed export it may
    read, and the parts of its run directories (always for a study that is not exported)."""
    from .studies import active_study

    study = active_study(root)
    digest = hashlib.sha256(f"{prefer}|{study}|{runs_folder(root)}".encode())
    if study.exported:
        folder = Path(root) / "book" / "measurements"
        for path in sorted(folder.glob("study-*")) + sorted(folder.glob("*.csv")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    if prefer == "run" or not study.exported:
        for name in [run for runs in study.axes.values() for run in runs]:
            for part in sorted((run_dir(name, root) / "parts").glob("*")) if run_dir(name, root).is_dir() else []:
                stat = part.stat()
                digest.update(f"{part.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def judged_study(
    root: Path = REPO_ROOT, prefer: str = "export", seed: int = 0, standard: Standard | None = None
) -> Judged:
    """Every comparison the book words, judged under ``standard`` (default :data:`STANDARD`), with the
    seeds' judgements (:func:`fovex.study.seeds.seed_judgements`). Computed once per inputs and kept: in this
    process, and on disk in ``build/judged/`` (the book's chapters run in separate kernels)."""
    standard = STANDARD if standard is None else standard
    return _judged(Path(root), prefer, seed, standard, _inputs_digest(Path(root), prefer))


@functools.lru_cache(maxsize=4)
def _judged(root: Path, prefer: str, seed: int, standard: Standard, digest: str) -> Judged:
    from ..report.resampling import RESAMPLES

    key = hashlib.sha256(f"{digest}|{seed}|{standard}|{RESAMPLES}|{_CODE_VERSION}".encode()).hexdigest()[:20]
    folder = Path(root) / "build" / "judged"
    paths = {name: folder / f"{key}-{name}.pkl" for name in ("table", "means", "seeds")}
    if all(path.is_file() for path in paths.values()):
        try:
            frames = {name: pd.read_pickle(path) for name, path in paths.items()}
            return Judged(judge(frames["table"], standard), frames["means"], standard, frames["seeds"])
        except Exception:  # a torn or foreign cache file: recompute
            pass
    table, means = study_comparisons(root, prefer, seed)
    judged = judge(table, standard)
    seeds = seed_judgements(judged, root, prefer, seed)
    try:
        from ..files import atomic_writer

        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in (("table", table), ("means", means), ("seeds", seeds)):
            with atomic_writer(paths[name], "wb") as handle:
                frame.to_pickle(handle)
    except OSError:  # a read-only checkout still gets its judged table, only not kept
        pass
    return Judged(judged, means, standard, seeds)


#: Bumped when what :func:`study_comparisons` computes changes, so a kept table is not reused.
_CODE_VERSION = 1
