"""The study (issue 12): its evaluation runs, their committed exports, and reading them back.

Every axis of the study is one or more evaluation configs under ``configs/study/``. A run computes
into ``build/eval/study-<run>/`` (resumable: rerunning continues where it stopped) and is exported
with its provenance into ``book/measurements/study-<run>.csv`` (+ ``.json``), which is committed, so
the book shows the study without recomputing hours of it.

    fovex study run [RUN ...]      compute (or resume) the runs, in RUN_ORDER
    fovex study export [RUN ...]   export what each run has reached into book/measurements/
    fovex study status             N reached per run, in the run directory and in the committed export

Readers (the book's chapters, the findings page) call :func:`load_axis`, which prefers a run
directory (a fresh recomputation) and falls back to the committed export.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .report import claims_table
from .store import atomic_writer, export_results, load_first_available

__all__ = [
    "AXES",
    "FAITHFULNESS_METRICS",
    "RUN_ORDER",
    "StudyRows",
    "compute_study",
    "export_study",
    "findings",
    "load_axis",
    "load_map_variants",
    "restore_from_export",
    "observer_ceiling",
    "study_status",
]

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Faithfulness columns of the study's tables, in the order the book shows them.
FAITHFULNESS_METRICS = ["drop_pct", "increase_pct", "deletion_auc", "insertion_auc"]

#: Axis -> its runs (configs/study/<run>.yaml). Runs of one axis share images and are read together.
AXES: dict[str, tuple[str, ...]] = {
    "faithfulness": ("faithfulness", "faithfulness-rise"),
    "localisation": ("localisation",),
    "plausibility": ("plausibility-osie", "plausibility-nus-scene500"),
    "receptive-field": ("receptive-field",),
    "cost": ("fast-vs-published",),
}

#: Tables derived from the runs (``fovex study run map-variants``): FovEx's maps rebuilt from the
#: faithfulness run's stored scanpaths and re-scored (heat-map s, number of fixations, aggregation).
#: ``held-out-variant``: the variant chosen on the development photos (``fovex study choose``), scored
#: on the faithfulness run's other photos.
DERIVED: tuple[str, ...] = ("map-variants", "held-out-variant")

#: The order `fovex study run` computes the runs in: every axis gets its cheap methods first, and the
#: RISE runs (4000 passes per image) come last.
RUN_ORDER: tuple[str, ...] = (
    "faithfulness",
    "localisation",
    "plausibility-osie",
    "plausibility-nus-scene500",
    "receptive-field",
    "faithfulness-rise",
    "fast-vs-published",
)


def config_path(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "configs" / "study" / f"{run}.yaml"


def run_dir(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "build" / "eval" / f"study-{run}"


def export_path(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "book" / "measurements" / f"study-{run}.csv"


def _runs(names, root: Path) -> list[str]:
    configs = sorted(p.stem for p in (Path(root) / "configs" / "study").glob("*.yaml"))
    known = configs + list(DERIVED)
    names = list(names) if names else [run for run in RUN_ORDER if run in configs] + list(DERIVED)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown study run(s) {', '.join(unknown)}; available: {', '.join(known)}")
    return names


def compute_study(runs=None, root: Path = REPO_ROOT, quiet: bool = False, device: str | None = None) -> None:
    """Compute (or resume) the study's runs in :data:`RUN_ORDER` (or the order given), then the derived tables."""
    from .evaluate import run

    for name in _runs(runs, root):
        if name == "map-variants":
            compute_map_variants(root, quiet=quiet)
            continue
        if name == "held-out-variant":
            if not variant_choice_path(root).is_file():
                print("study run held-out-variant: skipped, no variant chosen yet (fovex study choose)", flush=True)
            else:
                compute_held_out(root, quiet=quiet)
            continue
        seeded = restore_from_export(name, root)
        if not quiet:
            restored = f" ({seeded} batches restored from {export_path(name, root).name})" if seeded else ""
            print(f"study run {name}: {config_path(name, root)} -> {run_dir(name, root)}{restored}", flush=True)
        run(config_path(name, root), run_dir(name, root), quiet=quiet, device=device)


def restore_from_export(name: str, root: Path = REPO_ROOT) -> int:
    """Rebuild a lost run directory's parts from its committed export; returns the batches restored.

    ``build/`` does not survive a fresh checkout, the committed export does: when the run directory
    has no manifest and the export was made from the same config (same hash), every exported
    (model, explainer, batch) becomes a part again, so ``fovex study run`` continues where the export
    stopped instead of recomputing it. Maps are not restored (the export holds rows only).
    """
    import json

    import pyarrow as pa

    from .evaluate import load_config
    from .evaluation.runner import _arrow_schema, row_columns
    from .store import MANIFEST, PartKey, write_part

    target, source = run_dir(name, root), export_path(name, root)
    if (target / MANIFEST).is_file() or not source.is_file():
        return 0
    config = load_config(config_path(name, root))
    provenance = json.loads(source.with_suffix(".json").read_text())
    if provenance.get("config_hash") != config.hash:
        return 0  # the config changed since the export: its rows are not this run's
    rows = pd.read_csv(source, dtype={"image_id": str})
    if rows.empty:
        return 0
    schema = _arrow_schema(row_columns(config["metrics"]))
    models = [m["label"] for m in config["models"]]
    explainers = [e["label"] for e in config["explainers"]]
    count = 0
    for (model, explainer, batch), group in rows.groupby(["model", "explainer", "batch"], sort=True):
        key = PartKey(models.index(model), explainers.index(explainer), int(batch), model, explainer)
        table = pa.Table.from_pandas(group[schema.names], schema=schema, preserve_index=False)
        write_part(target, key, 0, table, config.hash, extra_metadata={"restored_from": source.name})
        count += 1
    return count


def export_study(runs=None, root: Path = REPO_ROOT) -> dict[str, dict]:
    """Export every run that has a directory into ``book/measurements/study-<run>.csv``; run -> provenance."""
    exported = {}
    for name in _runs(runs, root):
        if name == "map-variants":
            # The map spreads need only the faithfulness run's stored maps; the variants, their own parts.
            if (run_dir("faithfulness", root) / "manifest.json").is_file():
                exported[name] = export_map_variants(root)
            continue
        if name == "held-out-variant":
            held_out = _read_parts(run_dir(name, root))
            if len(held_out):
                with atomic_writer(export_path(name, root), "w") as handle:
                    held_out.to_csv(handle, index=False)
                exported[name] = {"images": int(held_out["image_id"].nunique()), "rows": len(held_out), "status": "parts"}
            continue
        if run_dir(name, root).is_dir():
            source = f"build/eval/study-{name}"  # relative: the provenance names no local path
            exported[name] = export_results(run_dir(name, root), export_path(name, root), source=source)
    return exported


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
        """The ok rows of the units (images) every explainer scored: means over them compare like with like."""
        ok = self.ok
        if ok.empty:
            return ok
        per_unit = ok.groupby("unit")["explainer"].nunique()
        return ok[ok["unit"].isin(per_unit.index[per_unit == ok["explainer"].nunique()])]

    def describe(self) -> str:
        """One line per run: its name, N images reached (of the config's), commit, date and source."""
        lines = []
        for run, provenance in self.provenance.items():
            config = provenance.get("config", {})
            wanted = config.get("dataset", {}).get("num_images")
            reached = self.rows.loc[self.rows["run"] == run, "image_id"].nunique()
            commit = (provenance.get("git") or {}).get("commit", "unknown")[:10]
            date = provenance.get("exported_at") or provenance.get("finished_at") or provenance.get("created_at")
            source = self.sources[run]
            source = source.relative_to(REPO_ROOT) if source.is_relative_to(REPO_ROOT) else source
            lines.append(f"{run}: {reached}{'' if wanted is None else f' of {wanted}'} images, "
                         f"status {provenance.get('status')}, commit {commit}, {date}, from {source}")  # fmt: skip
        return "\n".join(lines)


def load_axis(axis: str, root: Path = REPO_ROOT, prefer: str = "run") -> StudyRows | None:
    """Rows of every run of ``axis`` that exists (run directory or committed export), with a ``run`` column.

    ``prefer="run"`` reads a run directory before its export (a recomputation wins);
    ``prefer="export"`` reads the committed export first. None when no run of the axis exists.
    """
    if axis not in AXES:
        raise ValueError(f"unknown study axis {axis!r}; axes: {', '.join(AXES)}")
    if prefer not in ("run", "export"):
        raise ValueError(f"prefer must be 'run' or 'export', got {prefer!r}")
    frames, provenance, sources = [], {}, {}
    for name in AXES[axis]:
        candidates = [run_dir(name, root), export_path(name, root)]
        with warnings.catch_warnings():  # an unfinished run is expected here; describe() reports its N
            warnings.simplefilter("ignore", RuntimeWarning)
            found = load_first_available(candidates if prefer == "run" else candidates[::-1])
        if found is None:
            continue
        rows, provenance[name], sources[name] = found
        frames.append(rows.assign(run=name))
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    # One scored unit per row and explainer: an image of a data set (and an object class on VOC).
    unit = rows["dataset"].astype(str) + "/" + rows["image_id"].astype(str)
    if "object_class" in rows:
        unit = unit + rows["object_class"].map(lambda name: f"/{name}" if isinstance(name, str) and name else "")
    rows["unit"] = unit
    if "increase" in rows:
        rows["increase_pct"] = rows["increase"].astype(float) * 100
    return StudyRows(rows, provenance, sources)


def study_status(root: Path = REPO_ROOT) -> pd.DataFrame:
    """Images reached per run: in its run directory and in its committed export (NaN: absent)."""
    rows = []
    for name in _runs(None, root):
        entry = {"run": name}
        if name in DERIVED:
            built, committed = _read_parts(run_dir(name, root)), export_path(name, root)
            entry["images_run_dir"] = built["image_id"].nunique() if len(built) else float("nan")
            entry["of"] = DEVELOPMENT_PHOTOS if name == "map-variants" else None
            entry["images_export"] = (pd.read_csv(committed)["image_id"].nunique() if committed.is_file()
                                      else float("nan"))  # fmt: skip
            rows.append(entry)
            continue
        for where, source in (("run_dir", run_dir(name, root)), ("export", export_path(name, root))):
            found = load_first_available([source])
            entry[f"images_{where}"] = found[0]["image_id"].nunique() if found is not None else float("nan")
            if found is not None and where == "run_dir":
                entry["of"] = found[1]["config"]["dataset"].get("num_images")
        rows.append(entry)
    return pd.DataFrame(rows).set_index("run")


def findings(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame:
    """The findings page's table: every published claim (:data:`fovex.report.CLAIMS`) with a verdict
    from the study's rows, paired over images. Each claim is judged on the axis that measures its
    metric (faithfulness: %Drop, %Increase, insertion, deletion; plausibility: NSS)."""
    tables = []
    for axis, metrics in (("faithfulness", FAITHFULNESS_METRICS), ("plausibility", ["nss"])):
        study = load_axis(axis, root, prefer)
        if study is None:
            continue
        ok = study.ok
        rows_by_metric = {metric: ok.dropna(subset=[metric]) for metric in metrics if metric in ok}
        model, data = ", ".join(sorted(set(ok["model"]))), " + ".join(sorted(set(ok["dataset"])))
        tables.append(claims_table(rows_by_metric, model=model, data=data, unit="unit"))
    if not tables:
        return claims_table({}, model="-", data="-")
    merged = tables[0].copy()
    for other in tables[1:]:  # a claim keeps the row of the axis that measured its metric
        tested = (other["verdict"] != "not tested here").to_numpy()
        merged.loc[tested] = other.loc[tested].to_numpy()
    return merged


def observer_ceiling(dataset: str, image_ids, image_size: int = 224, max_fixations: int = 10, grid: int = 5,
                     root: Path | None = None) -> pd.DataFrame:  # fmt: skip
    """Humans against humans on the given images: the ceiling of the scanpath similarities.

    Per image, each observer's first ``max_fixations`` fixations against every other observer's
    (leave one out, :func:`fovex.metrics.scanpath.inter_observer_ceiling`), with the metrics and
    frame the engine scores models with (DTW in pixels, string edit on a ``grid`` x ``grid`` grid,
    images at ``image_size``). Columns: ``image_id``, ``scanpath_dtw_px``, ``scanpath_string_edit``.
    """
    from .data import open_dataset
    from .metrics.scanpath import inter_observer_ceiling

    samples = open_dataset(dataset, root=root, image_size=image_size)
    rows = []
    for image_id in dict.fromkeys(image_ids):
        sample = samples[samples.index_of(image_id)]
        paths = [path for path in sample.fixations.scanpaths().values() if len(path)]
        shape = tuple(sample.image.shape[-2:])
        rows.append({
            "image_id": sample.id,
            "scanpath_dtw_px": inter_observer_ceiling(paths, "dtw", max_fixations=max_fixations).mean,
            "scanpath_string_edit": inter_observer_ceiling(paths, "string_edit", max_fixations=max_fixations,
                                                           image_shape=shape, grid=grid).mean,
        })  # fmt: skip
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- map variants

#: Photos of the faithfulness run (its first, in its spread order) on which map variants are chosen.
DEVELOPMENT_PHOTOS = 100


def map_variants() -> list:
    """The variants re-scored from the published setting's scanpaths: heat-map s, first n fixations, aggregation."""
    from .ablation import MapVariant

    return ([MapVariant(heatmap_s=s) for s in (0.025, 0.05, 0.1, 0.3, 0.6)]
            + [MapVariant(upto=n) for n in (1, 2, 3, 5)]
            + [MapVariant(aggregation=a) for a in ("max", "loss_weighted")])  # fmt: skip


def _development_ids(source: Path, count: int | None) -> list[str]:
    from .store import load_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = load_results(source)
    fovex_rows = rows[(rows["explainer"] == "fovex") & (rows["status"] == "ok")]
    order = {index: k for k, index in enumerate(_selection(source))}
    ids = fovex_rows.assign(position=fovex_rows["index"].map(order)).sort_values("position")["image_id"]
    return list(ids)[:count]  # count None: all


def _selection(source: Path) -> list[int]:
    from .data import open_dataset
    from .evaluation.runner import spread_order
    from .store import read_manifest

    dataset = read_manifest(source)["config"]["dataset"]

    length = len(open_dataset(dataset["name"], root=dataset["root"], split=dataset["split"]))
    order = spread_order(length) if dataset.get("order") == "spread" else list(range(length))
    return order[dataset["offset"] : dataset["offset"] + (dataset["num_images"] or length)]


def compute_map_variants(root: Path = REPO_ROOT, photos: int | None = DEVELOPMENT_PHOTOS, chunk: int = 4,
                         quiet: bool = False, variants: list | None = None, first: int = 0,
                         name: str = "map-variants") -> pd.DataFrame:  # fmt: skip
    """Re-score ``variants`` (default :func:`map_variants`) on FovEx scanpaths stored by the faithfulness
    run: its photos ``first .. first + photos`` in its order (``photos=None``: all it has reached).

    Resumable: every ``chunk`` photos are written atomically as one CSV part under
    ``build/eval/study-<name>/``; parts already written are kept. Photos the faithfulness run has
    not reached yet are left for a later call. Returns every row written so far.
    """
    import torch
    from tqdm.auto import tqdm

    from .ablation import rescore_scanpath_variants
    from .data import open_dataset
    from .models import load_model
    from .store import atomic_writer, load_maps, read_manifest

    source, out = run_dir("faithfulness", root), run_dir(name, root)
    if not (source / "manifest.json").is_file():
        raise FileNotFoundError(f"{source}: no faithfulness run to rebuild maps from (fovex study run faithfulness)")
    config = read_manifest(source)["config"]
    settings = config["metric_settings"]["faithfulness"]
    ids = _development_ids(source, None if photos is None else first + photos)[first:]
    # Whole chunks only: a chunk's photos are fixed by the run's order, so a part never changes.
    chunks = [ids[start : start + chunk] for start in range(0, len(ids) - chunk + 1, chunk)]
    todo = [k for k, part in enumerate(chunks) if not _part_done(out / f"part-{k:04d}.csv", part)]
    if todo:
        model = load_model(config["models"][0]["name"])
        dataset = open_dataset(config["dataset"]["name"], image_size=config["dataset"]["image_size"] or model.input_size)
        maps = load_maps(source, explainer="fovex", ids=ids)
        explainer = None
        for k in tqdm(todo, desc="map variants", unit="chunk", disable=quiet):
            part = chunks[k]
            images = torch.stack([dataset[dataset.index_of(i)].image for i in part])
            missing = [i for i in part if i not in maps]
            if missing:  # a run restored from its export has rows but no maps: redo the (deterministic) scanpaths
                from .explain import explainer as build_explainer

                entry = next(e for e in config["explainers"] if e["label"] == "fovex")
                explainer = explainer or build_explainer("fovex", model, **entry["settings"])
                redo = explainer.explain(torch.stack([dataset[dataset.index_of(i)].image for i in missing]))
                for j, i in enumerate(missing):
                    maps[i] = {"fixations_xy": redo.fixations_xy[j].numpy(), "losses": redo.losses[j].numpy(),
                               "blurred_loss": redo.extras["blurred_loss"][j].numpy(), "target": int(redo.targets[j])}  # fmt: skip
            targets = torch.tensor([int(maps[i]["target"]) for i in part])
            table = rescore_scanpath_variants(model, images, targets, [maps[i] for i in part], variants or map_variants(),
                                              image_ids=part, step=settings["step"], batch_size=settings["batch_size"])  # fmt: skip
            with atomic_writer(out / f"part-{k:04d}.csv", "w") as handle:
                table.to_csv(handle, index=False)
    return _read_parts(out)


def _part_done(path: Path, ids: list[str]) -> bool:
    if not path.is_file():
        return False
    try:
        return sorted(set(pd.read_csv(path, usecols=["image_id"])["image_id"].astype(str))) == sorted(ids)
    except (ValueError, OSError):
        return False


def _read_parts(out: Path) -> pd.DataFrame:
    parts = sorted(out.glob("part-*.csv"))
    if not parts:
        return pd.DataFrame()
    return pd.concat([pd.read_csv(p, dtype={"image_id": str}) for p in parts], ignore_index=True)


def export_map_variants(root: Path = REPO_ROOT) -> dict:
    """Write the map variants' rows and the faithfulness run's map spreads into ``book/measurements/``."""
    import json
    from datetime import datetime, timezone

    import torch

    from .ablation import map_spread
    from .evaluation.runner import _git_state, _package_versions
    from .store import atomic_write_bytes, atomic_writer, load_maps, read_manifest

    source = run_dir("faithfulness", root)
    manifest = read_manifest(source)
    rows = _read_parts(run_dir("map-variants", root))
    spreads = []
    for explainer in [e["label"] for e in manifest["config"]["explainers"]]:
        for entry in load_maps(source, explainer=explainer).values():
            spread = map_spread(torch.as_tensor(entry["attribution"].astype("float32"))[None])
            spreads.append({"image_id": entry["image_id"], "explainer": explainer,
                            **{name: float(value[0]) for name, value in spread.items()}})  # fmt: skip
    provenance = {
        "source": "build/eval/study-faithfulness (stored FovEx scanpaths and maps)",
        "source_config_hash": manifest["config_hash"],
        "variants": [v.label for v in map_variants()],
        "images": int(rows["image_id"].nunique()) if len(rows) else 0,
        "rows": int(len(rows)),
        "git": _git_state(),
        "versions": _package_versions(),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    spreads = pd.DataFrame(spreads)
    committed_spread = export_path("map-spread", root)
    if committed_spread.is_file():  # keep the spreads of maps that a restored run no longer has on disk
        earlier = pd.read_csv(committed_spread, dtype={"image_id": str})
        spreads = pd.concat([earlier, spreads]).drop_duplicates(["image_id", "explainer"], keep="last")
    for name, table in (("map-variants", rows), ("map-spread", spreads)):
        if table.empty:
            continue
        path = export_path(name, root)
        with atomic_writer(path, "w") as handle:
            table.to_csv(handle, index=False)
        atomic_write_bytes(path.with_suffix(".json"), json.dumps(provenance, indent=2, default=str).encode())
    return provenance


def load_map_variants(root: Path = REPO_ROOT, prefer: str = "export") -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
    """``(variant rows, map spreads, provenance)`` from the committed exports or, for the variants with
    ``prefer="run"`` (or when nothing is committed), the parts being computed. Either table may be
    empty; None when both are."""
    import json

    def read(name: str) -> tuple[pd.DataFrame, dict]:
        path = export_path(name, root)
        if not path.is_file():
            return pd.DataFrame(), {}
        return pd.read_csv(path, dtype={"image_id": str}), json.loads(path.with_suffix(".json").read_text())

    rows, provenance = read("map-variants")
    spreads, spread_provenance = read("map-spread")
    built = _read_parts(run_dir("map-variants", root))
    if len(built) and (prefer == "run" or rows.empty):
        rows, provenance = built, {"source": "build/eval/study-map-variants", "images": int(built["image_id"].nunique())}
    if rows.empty and spreads.empty:
        return None
    return rows, spreads, provenance or spread_provenance


# ----------------------------------------------------------------------------- beyond the paper: a variant


def variant_choice_path(root: Path = REPO_ROOT) -> Path:
    return Path(root) / "book" / "measurements" / "study-variant-choice.json"


def record_variant_choice(root: Path = REPO_ROOT, prefer: str = "run") -> dict:
    """Apply :func:`fovex.report.choose_variant` to the complete development set and commit the choice.

    The choice is recorded once (``book/measurements/study-variant-choice.json``, with the rule, every
    candidate's paired differences, the photos, date and commit) *before* the held-out photos are
    scored; recording it again is refused. Raises ValueError while the development set is incomplete.
    """
    import json
    from datetime import datetime, timezone

    from .evaluation.runner import _git_state
    from .report import choose_variant
    from .store import atomic_write_bytes

    path = variant_choice_path(root)
    if path.is_file():
        recorded = json.loads(path.read_text())
        raise FileExistsError(f"{path}: the variant was chosen on {recorded.get('recorded_at')}; a choice is made once")
    loaded, faithfulness = load_map_variants(root, prefer), load_axis("faithfulness", root, prefer)
    rows = loaded[0] if loaded is not None else pd.DataFrame()
    ids = sorted(set(rows["image_id"])) if len(rows) else []
    if len(ids) < DEVELOPMENT_PHOTOS or faithfulness is None:
        raise ValueError(f"the development set is incomplete: {len(ids)} of {DEVELOPMENT_PHOTOS} photos re-scored "
                         "(fovex study run faithfulness map-variants)")  # fmt: skip
    reference = "published"
    own = faithfulness.ok[(faithfulness.ok["explainer"] == "fovex") & faithfulness.ok["image_id"].isin(ids)]
    table = pd.concat([own.assign(variant=reference), rows])
    choice = choose_variant(table, reference)
    fields = rows.loc[rows["variant"] == choice["choice"], ["heatmap_s", "aggregation", "upto"]].head(1)
    choice.update({
        "variant_fields": None if fields.empty else {k: (None if pd.isna(v) else v) for k, v in fields.iloc[0].items()},
        "development_photos": ids,
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": _git_state(),
    })  # fmt: skip
    atomic_write_bytes(path, json.dumps(choice, indent=2, default=float).encode())
    return choice


def compute_held_out(root: Path = REPO_ROOT, quiet: bool = False, chunk: int = 4) -> pd.DataFrame:
    """Score the recorded variant on the faithfulness run's photos after the development set."""
    import json

    from .ablation import MapVariant

    path = variant_choice_path(root)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no variant chosen yet (fovex study choose, once the development set is complete)")
    recorded = json.loads(path.read_text())
    if recorded["variant_fields"] is None:
        return pd.DataFrame()  # no variant met the rule: nothing to confirm
    fields = recorded["variant_fields"]
    variant = MapVariant(heatmap_s=float(fields["heatmap_s"]), aggregation=fields["aggregation"],
                         upto=None if fields["upto"] is None else int(fields["upto"]))  # fmt: skip
    return compute_map_variants(root, photos=None, first=len(recorded["development_photos"]), variants=[variant],
                                quiet=quiet, name="held-out-variant", chunk=chunk)  # fmt: skip
