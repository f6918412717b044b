"""Where the study lives: its runs' configs, run directories and committed exports, and its axes."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .studies import AXES, DERIVED, REPO_ROOT, RUN_ORDER

#: Faithfulness columns of the study's tables, in the order the book shows them.
FAITHFULNESS_METRICS = ["drop_pct", "increase_pct", "deletion_auc", "insertion_auc"]

__all__ = [
    "RUNS_ENV",
    "AXES",
    "DERIVED",
    "DEVELOPMENT_PHOTOS",
    "FAITHFULNESS_METRICS",
    "REPO_ROOT",
    "RUN_ORDER",
    "config_path",
    "export_path",
    "is_default_runs_folder",
    "run_dir",
    "run_names",
    "runs_folder",
    "study_runs_in",
    "variant_choice_path",
]

#: Photos of the faithfulness run (its first, in its spread order) on which map variants are chosen.
DEVELOPMENT_PHOTOS = 100


def config_path(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "configs" / "study" / f"{run}.yaml"


#: Environment variable naming the folder that holds the study's run directories instead of
#: ``build/eval`` (relative to the repository root, or absolute). The ``gpu`` book profile recomputes
#: the study there (``study_runs`` in its YAML), beside the committed study's own runs; the chapters
#: are executed in kernels that inherit the environment, so they read the same folder.
RUNS_ENV = "FOVEX_STUDY_RUNS"


def runs_folder(root: Path = REPO_ROOT) -> Path:
    """The folder of the study's run directories: ``$FOVEX_STUDY_RUNS`` when set, else the active study's
    (:func:`fovex.study.studies.active_study`; the committed study's: ``build/eval``)."""
    chosen = os.environ.get(RUNS_ENV)
    if chosen:
        return Path(root) / chosen
    from .studies import active_study

    return Path(root) / active_study(root).runs_folder


def is_default_runs_folder(root: Path = REPO_ROOT) -> bool:
    """Whether the runs are the committed study's own (``build/eval``), whose exports are committed."""
    return runs_folder(root).resolve() == (Path(root) / "build" / "eval").resolve()


@contextlib.contextmanager
def study_runs_in(folder: str | os.PathLike | None):
    """Read and compute the study's runs in ``folder`` inside the block (None: leave it as it is);
    the previous setting is restored after."""
    if folder is None:
        yield
        return
    saved = os.environ.get(RUNS_ENV)
    os.environ[RUNS_ENV] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(RUNS_ENV, None)
        else:
            os.environ[RUNS_ENV] = saved


def run_dir(run: str, root: Path = REPO_ROOT) -> Path:
    """A run's directory, ``build/eval/study-<run>`` (or under :data:`RUNS_ENV`'s folder)."""
    return runs_folder(root) / f"study-{run}"


def export_path(run: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / "book" / "measurements" / f"study-{run}.csv"


def run_names(names, root: Path) -> list[str]:
    """``names`` checked against the active study's runs (default: all of them, in its order, and the derived
    tables of the committed study)."""
    from .studies import active_study

    study = active_study(root)
    if study.exported:
        configs = sorted(p.stem for p in (Path(root) / "configs" / "study").glob("*.yaml"))
        order, derived = [run for run in RUN_ORDER if run in configs], list(DERIVED)
    else:
        configs, order, derived = list(study.runs), list(study.runs), []
    known = configs + derived
    names = list(names) if names else order + derived
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown study run(s) {', '.join(unknown)}; available: {', '.join(known)}")
    return names


def variant_choice_path(root: Path = REPO_ROOT) -> Path:
    return Path(root) / "book" / "measurements" / "study-variant-choice.json"
