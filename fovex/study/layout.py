"""Where the study lives: its runs' configs, run directories and committed exports, and its axes."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AXES",
    "DERIVED",
    "DEVELOPMENT_PHOTOS",
    "FAITHFULNESS_METRICS",
    "REPO_ROOT",
    "RUN_ORDER",
    "config_path",
    "export_path",
    "run_dir",
    "run_names",
    "variant_choice_path",
]

REPO_ROOT = Path(__file__).resolve().parents[2]

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


#: Photos of the faithfulness run (its first, in its spread order) on which map variants are chosen.
DEVELOPMENT_PHOTOS = 100


def config_path(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "configs" / "study" / f"{run}.yaml"


def run_dir(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "build" / "eval" / f"study-{run}"


def export_path(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "book" / "measurements" / f"study-{run}.csv"


def run_names(names, root: Path) -> list[str]:
    configs = sorted(p.stem for p in (Path(root) / "configs" / "study").glob("*.yaml"))
    known = configs + list(DERIVED)
    names = list(names) if names else [run for run in RUN_ORDER if run in configs] + list(DERIVED)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown study run(s) {', '.join(unknown)}; available: {', '.join(known)}")
    return names


def variant_choice_path(root: Path = REPO_ROOT) -> Path:
    return Path(root) / "book" / "measurements" / "study-variant-choice.json"
