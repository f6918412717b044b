"""FovEx's and RISE's other seeds: the faithfulness comparisons recomputed at each, judged at the level of
the primary comparison (:func:`seed_judgements`), so a verdict can say "at every seed" or name the seeds
where it fails. The seed runs are ``configs/study/faithfulness-seeds.yaml`` (FovEx) and
``faithfulness-rise-seeds.yaml`` (RISE's masks), on the faithfulness photos."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..metrics.registry import column_sense
from ..report.standard import paired_comparison
from .axes import every_unit, load_axis
from .paths import AXES, REPO_ROOT, export_path

__all__ = ["PRIMARY_SEED", "seed_judgements", "seed_rows", "seeds_exported"]


#: The seed of the study's own FovEx and RISE rows (the faithfulness runs).
PRIMARY_SEED = 42


def seed_rows(root: Path = REPO_ROOT, prefer: str = "export") -> pd.DataFrame:
    """The ok rows of the seed runs (``fovex-seed<k>``, ``rise-seed<k>``), empty when there are none."""
    study = load_axis("seeds", root, prefer)
    return pd.DataFrame() if study is None else study.ok


def _seed_of(label: str) -> int:
    return int(label.rsplit("seed", 1)[1])


def seed_judgements(
    judged: pd.DataFrame, root: Path = REPO_ROOT, prefer: str = "export", seed: int = 0
) -> pd.DataFrame:
    """The faithfulness comparisons of FovEx and RISE recomputed at every other seed.

    For each FovEx seed ``s`` (the study's 42 and every ``fovex-seed<s>`` run) and RISE mask seed ``r``
    (42 and every ``rise-seed<r>``), FovEx's and RISE's rows are replaced by that seed's, on the photos
    every method then scored, and each judged faithfulness comparison that involves FovEx or RISE is
    recomputed: its word at the same ``z`` as the primary comparison (the level its printed interval has).
    Columns: scope, metric, candidate, reference, fovex_seed, rise_seed, difference, ci_low, ci_high,
    word, n. Empty without seed runs."""
    columns = ["scope", "metric", "candidate", "reference", "fovex_seed", "rise_seed"]
    columns += ["difference", "ci_low", "ci_high", "word", "n"]
    extra = seed_rows(root, prefer)
    faithfulness = load_axis("faithfulness", root, prefer)
    if extra.empty or faithfulness is None:
        return pd.DataFrame(columns=columns)
    ok = faithfulness.ok
    labels = sorted(set(extra["explainer"]))
    fovex_seeds = [PRIMARY_SEED] + sorted(_seed_of(x) for x in labels if x.startswith("fovex-seed"))
    rise_seeds = [PRIMARY_SEED] + sorted(_seed_of(x) for x in labels if x.startswith("rise-seed"))
    primary = judged[judged["family"] == "faithfulness"]
    found = []
    for fovex_seed in fovex_seeds:
        for rise_seed in rise_seeds:
            if (fovex_seed, rise_seed) == (PRIMARY_SEED, PRIMARY_SEED):
                continue
            rows = ok
            for method, chosen in (("fovex", fovex_seed), ("rise", rise_seed)):
                if chosen == PRIMARY_SEED:
                    continue
                substitute = extra[extra["explainer"] == f"{method}-seed{chosen}"].assign(explainer=method)
                rows = pd.concat([rows[rows["explainer"] != method], substitute], ignore_index=True)
            changed = {m for m, s in (("fovex", fovex_seed), ("rise", rise_seed)) if s != PRIMARY_SEED}
            for _, row in primary.iterrows():
                if not changed & {row["candidate"], row["reference"]}:
                    continue
                scoped = every_unit(
                    rows[rows["dataset"] == row["scope"]] if row["scope"] in set(rows["dataset"]) else rows
                )
                c = paired_comparison(
                    scoped.dropna(subset=[row["metric"]]),
                    row["metric"],
                    row["candidate"],
                    row["reference"],
                    unit="unit",
                    seed=seed,
                )
                z = float(row["z"])
                low, high = c.difference - z * c.se, c.difference + z * c.se
                up = column_sense(row["metric"]).higher_is_better
                word = "tied" if low <= 0 <= high else ("better" if (c.difference > 0) == up else "worse")
                found.append(
                    {
                        "scope": row["scope"],
                        "metric": row["metric"],
                        "candidate": row["candidate"],
                        "reference": row["reference"],
                        "fovex_seed": fovex_seed,
                        "rise_seed": rise_seed,
                        "difference": c.difference,
                        "ci_low": low,
                        "ci_high": high,
                        "word": word,
                        "n": c.n,
                    }
                )
    return pd.DataFrame(found, columns=columns)


def seeds_exported(root: Path = REPO_ROOT) -> bool:
    """Whether any seed run has committed rows."""
    return any(export_path(name, root).is_file() for name in AXES["seeds"])
