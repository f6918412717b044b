"""FovEx's map variants on the study's photos: re-scored from stored scanpaths, chosen, held out.

Variants (heat-map s, first n fixations, aggregation) are rebuilt from the faithfulness run's
FovEx scanpaths and re-scored (``fovex study run map-variants``). The most promising is chosen on
the development photos by a rule stated before looking further (``fovex study choose``), then
scored on the other photos (``held-out-variant``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..evaluation.reader import with_derived_columns
from .axes import load_axis
from .paths import DEVELOPMENT_PHOTOS, REPO_ROOT, export_path, run_dir, variant_choice_path

__all__ = [
    "compute_held_out",
    "compute_map_variants",
    "export_map_variants",
    "load_map_variants",
    "map_variants",
    "read_parts",
    "spread_rows",
    "variant_outcome",
]


def map_variants() -> list:
    """The variants re-scored from the published setting's scanpaths: heat-map s, first n fixations, aggregation."""
    from .ablation import MapVariant

    return (
        [MapVariant(heatmap_s=s) for s in (0.025, 0.05, 0.1, 0.3, 0.6)]
        + [MapVariant(upto=n) for n in (1, 2, 3, 5)]
        + [MapVariant(aggregation=a) for a in ("max", "loss_weighted")]
    )


def _development_ids(source: Path, count: int | None) -> list[str]:
    from ..evaluation.store import load_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = load_results(source)
    fovex_rows = rows[(rows["explainer"] == "fovex") & (rows["status"] == "ok")]
    order = {index: k for k, index in enumerate(_selection(source))}
    ids = fovex_rows.assign(position=fovex_rows["index"].map(order)).sort_values("position")["image_id"]
    return list(ids)[:count]  # count None: all


def _selection(source: Path) -> list[int]:
    from ..data import open_dataset
    from ..evaluation import spread_order
    from ..evaluation.store import read_manifest

    dataset = read_manifest(source)["config"]["dataset"]

    length = len(open_dataset(dataset["name"], root=dataset["root"], split=dataset["split"]))
    order = spread_order(length) if dataset.get("order") == "spread" else list(range(length))
    return order[dataset["offset"] : dataset["offset"] + (dataset["num_images"] or length)]


def compute_map_variants(
    root: Path = REPO_ROOT,
    photos: int | None = DEVELOPMENT_PHOTOS,
    chunk: int = 4,
    quiet: bool = False,
    variants: list | None = None,
    first: int = 0,
    name: str = "map-variants",
) -> pd.DataFrame:
    """Re-score ``variants`` (default :func:`map_variants`) on FovEx scanpaths stored by the faithfulness
    run: its photos ``first .. first + photos`` in its order (``photos=None``: all it has reached).

    Resumable: every ``chunk`` photos are written atomically as one CSV part under
    ``build/eval/study-<name>/``; parts already written are kept. Photos the faithfulness run has
    not reached yet are left for a later call. Returns every row written so far.
    """
    import torch
    from tqdm.auto import tqdm

    from ..data import open_dataset
    from ..evaluation.store import load_maps, read_manifest
    from ..files import atomic_writer
    from ..models import load_model
    from .ablation import rescore_scanpath_variants

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
        dataset = open_dataset(
            config["dataset"]["name"], image_size=config["dataset"]["image_size"] or model.input_size
        )
        maps = load_maps(source, explainer="fovex", ids=ids)
        explainer = None
        for k in tqdm(todo, desc="map variants", unit="chunk", disable=quiet):
            part = chunks[k]
            images = torch.stack([dataset[dataset.index_of(i)].image for i in part])
            missing = [i for i in part if i not in maps]
            if missing:  # a run restored from its export has rows but no maps: redo the (deterministic) scanpaths
                from ..explain import explainer as build_explainer

                entry = next(e for e in config["explainers"] if e["label"] == "fovex")
                explainer = explainer or build_explainer("fovex", model, **entry["settings"])
                redo = explainer.explain(torch.stack([dataset[dataset.index_of(i)].image for i in missing]))
                for j, i in enumerate(missing):
                    maps[i] = {
                        "fixations_xy": redo.fixations_xy[j].numpy(),
                        "losses": redo.losses[j].numpy(),
                        "blurred_loss": redo.extras["blurred_loss"][j].numpy(),
                        "target": int(redo.targets[j]),
                    }
            targets = torch.tensor([int(maps[i]["target"]) for i in part])
            table = rescore_scanpath_variants(
                model,
                images,
                targets,
                [maps[i] for i in part],
                variants or map_variants(),
                image_ids=part,
                step=settings["step"],
                batch_size=settings["batch_size"],
            )
            with atomic_writer(out / f"part-{k:04d}.csv", "w") as handle:
                table.to_csv(handle, index=False)
    return read_parts(out)


def _part_done(path: Path, ids: list[str]) -> bool:
    if not path.is_file():
        return False
    try:
        return sorted(set(pd.read_csv(path, usecols=["image_id"])["image_id"].astype(str))) == sorted(ids)
    except (ValueError, OSError):
        return False


def read_parts(out: Path) -> pd.DataFrame:
    parts = sorted(out.glob("part-*.csv"))
    if not parts:
        return pd.DataFrame()
    return pd.concat([pd.read_csv(p, dtype={"image_id": str}) for p in parts], ignore_index=True)


def export_map_variants(root: Path = REPO_ROOT) -> dict:
    """Write the map variants' rows and the faithfulness run's map spreads into ``book/measurements/``."""
    import json
    from datetime import datetime, timezone

    import torch

    from ..evaluation.provenance import git_state, package_versions
    from ..evaluation.store import load_maps, read_manifest
    from ..files import atomic_write_bytes, atomic_writer
    from .ablation import map_spread

    source = run_dir("faithfulness", root)
    manifest = read_manifest(source)
    rows = read_parts(run_dir("map-variants", root))
    spreads = []
    for explainer in [e["label"] for e in manifest["config"]["explainers"]]:
        for entry in load_maps(source, explainer=explainer).values():
            spread = map_spread(torch.as_tensor(entry["attribution"].astype("float32"))[None])
            spreads.append(
                {
                    "image_id": entry["image_id"],
                    "explainer": explainer,
                    **{name: float(value[0]) for name, value in spread.items()},
                }
            )
    shared = {
        "source": "build/eval/study-faithfulness (stored FovEx scanpaths and maps)",
        "source_config_hash": manifest["config_hash"],
        "variants": [v.label for v in map_variants()],
        "git": git_state(),
        "versions": package_versions(),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    spreads = pd.DataFrame(spreads)
    committed_spread = export_path("map-spread", root)
    if committed_spread.is_file():  # keep the spreads of maps that a restored run no longer has on disk
        earlier = pd.read_csv(committed_spread, dtype={"image_id": str})
        spreads = pd.concat([earlier, spreads]).drop_duplicates(["image_id", "explainer"], keep="last")
    written = {}
    for name, table in (("map-variants", rows), ("map-spread", spreads)):
        # Each table's provenance counts its own rows: the spreads grow with the faithfulness run
        # while the variants' rows may be absent (a run restored from its export has no parts).
        written[name] = {
            **shared,
            "images": int(table["image_id"].nunique()) if len(table) else 0,
            "rows": int(len(table)),
        }
        if table.empty:  # never replace a committed table with nothing
            continue
        path = export_path(name, root)
        with atomic_writer(path, "w") as handle:
            table.to_csv(handle, index=False)
        atomic_write_bytes(path.with_suffix(".json"), json.dumps(written[name], indent=2, default=str).encode())
    return written["map-variants"]


def load_map_variants(root: Path = REPO_ROOT, prefer: str = "export") -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
    """``(variant rows, map spreads, provenance)`` from the committed exports or, for the variants with
    ``prefer="run"`` (or when nothing is committed), the parts being computed. Either table may be
    empty; None when both are."""
    import json

    from .studies import active_study

    committed = active_study(root).exported  # another study has no map variants of its own yet

    def read(name: str) -> tuple[pd.DataFrame, dict]:
        path = export_path(name, root)
        if not committed or not path.is_file():
            return pd.DataFrame(), {}
        return pd.read_csv(path, dtype={"image_id": str}), json.loads(path.with_suffix(".json").read_text())

    rows, provenance = read("map-variants")
    spreads, spread_provenance = read("map-spread")
    built = read_parts(run_dir("map-variants", root)) if committed else pd.DataFrame()
    if len(built) and (prefer == "run" or rows.empty):
        rows, provenance = (
            built,
            {"source": "build/eval/study-map-variants", "images": int(built["image_id"].nunique())},
        )
    if rows.empty and spreads.empty:
        return None
    rows = with_derived_columns(_with_source_settings(rows, provenance, root))  # increase_pct
    return rows, spreads, provenance or spread_provenance


def _with_source_settings(rows: pd.DataFrame, provenance: dict, root: Path = REPO_ROOT) -> pd.DataFrame:
    """The variant rows with the metric settings they were scored under: the faithfulness run's whose
    scanpaths they re-score (its export or run directory, matched by ``source_config_hash``; rows from
    the parts being computed re-score the run directory's). Without a match the rows carry none, and a
    paired comparison with rows that do is refused (:func:`fovex.report.statistics._check_settings`)."""
    from ..evaluation.store import load_first_available

    if rows.empty:
        return rows
    loaded = load_first_available([run_dir("faithfulness", root), export_path("faithfulness", root)])
    if loaded is None or "metric_settings" not in loaded[0]:
        return rows
    source_rows, source_provenance, _ = loaded
    wanted = provenance.get("source_config_hash")
    if wanted is not None and wanted != source_provenance.get("config_hash"):
        return rows
    return rows.assign(metric_settings=source_rows["metric_settings"].iloc[0])


# ----------------------------------------------------------------------------- beyond the paper: a variant


def spread_rows(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame | None:
    """The faithfulness rows (ok) of the photos with map spreads, with each method's ``map_mean`` (NaN
    where its spread was not recorded, e.g. RISE); None without both."""
    loaded, faithfulness = load_map_variants(root, prefer), load_axis("faithfulness", root, prefer)
    if loaded is None or loaded[1].empty or faithfulness is None:
        return None
    spread = loaded[1][["image_id", "explainer", "map_mean"]]
    ok = faithfulness.ok[faithfulness.ok["image_id"].isin(set(spread["image_id"]))]
    return ok.merge(spread, on=["image_id", "explainer"], how="left")


def compute_held_out(root: Path = REPO_ROOT, quiet: bool = False, chunk: int = 4) -> pd.DataFrame:
    """Score the recorded variant on the faithfulness run's photos after the development set."""
    import json

    from .ablation import MapVariant

    path = variant_choice_path(root)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no variant chosen yet (fovex study choose, once the development set is complete)"
        )
    recorded = json.loads(path.read_text())
    if recorded["variant_fields"] is None:
        return pd.DataFrame()  # no variant met the rule: nothing to confirm
    fields = recorded["variant_fields"]
    variant = MapVariant(
        heatmap_s=float(fields["heatmap_s"]),
        aggregation=fields["aggregation"],
        upto=None if fields["upto"] is None else int(fields["upto"]),
    )
    return compute_map_variants(
        root,
        photos=None,
        first=len(recorded["development_photos"]),
        variants=[variant],
        quiet=quiet,
        name="held-out-variant",
        chunk=chunk,
    )


def variant_outcome(root: Path = REPO_ROOT) -> str:
    """The recorded variant choice and where its held-out test stands, in a sentence ("" before a choice)."""
    import json

    from .studies import active_study

    path = variant_choice_path(root)
    if not path.is_file() or not active_study(root).exported:  # the choice is the committed study's
        return ""
    recorded = json.loads(path.read_text())
    from .attempts import code_text

    when = (
        f"chosen once, on {len(recorded['development_photos'])} development photos "
        f"({recorded['recorded_at']}, {code_text(recorded.get('git'))}; {path.name})"
    )
    if recorded["choice"] is None:
        return (
            f"The variant was {when}: no variant meets the rule, so the published setting stays the default, "
            "no preset is offered, and there is nothing to confirm on the held-out photos."
        )
    held_out = export_path("held-out-variant", root)
    scored = pd.read_csv(held_out, dtype={"image_id": str})["image_id"].nunique() if held_out.is_file() else 0
    return f"The variant was {when}: {recorded['choice']}; scored on {scored} held-out photos so far."
