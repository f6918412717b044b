"""The study (issue 12): its evaluation runs, their committed exports, and reading them back.

Every axis of the study is one or more evaluation configs under ``configs/study/``. A run computes
into ``build/eval/study-<run>/`` (resumable: rerunning continues where it stopped) and is exported
with its provenance into ``book/measurements/study-<run>.csv`` (+ ``.json``), which is committed, so
the book shows the study without recomputing hours of it.

    fovex study run [RUN ...]      compute (or resume) the runs, in RUN_ORDER
    fovex study export [RUN ...]   export what each run has reached into book/measurements/
    fovex study status [RUN ...]   N reached per run (run directory, committed export), every attempt
                                   (commit, clean tree, rows) and its cost in hours

Readers (the book's chapters, the findings page) call :func:`load_axis`, which prefers a run
directory (a fresh recomputation) and falls back to the committed export.

A recomputation elsewhere (the ``gpu`` book profile: the whole study on one GPU) computes and reads its
run directories in another folder (``$FOVEX_STUDY_RUNS``, :func:`study_runs_in`), from scratch and never
exported over the committed rows; :func:`agreement_with_committed` sets its rows beside them.

- :mod:`~fovex.study.paths`: runs, axes, and where their configs, directories and exports live.
- :mod:`~fovex.study.runs`: computing, exporting, status, cost; :mod:`~fovex.study.restore`: restoring a
  lost run directory from its export.
- :mod:`~fovex.study.axes`: reading an axis back (:func:`load_axis`), the findings table, a
  recomputation beside the committed rows.
- :mod:`~fovex.study.variants`: FovEx's map variants, the variant choice and its held-out test.
- the chapters' tables and figures, one module per chapter (the notebooks only call them):
  :mod:`~fovex.study.chapters.overview` (findings), :mod:`~fovex.study.chapters.scanpaths`,
  :mod:`~fovex.study.chapters.receptive_field`, :mod:`~fovex.study.chapters.localisation`,
  :mod:`~fovex.study.chapters.plausibility`, :mod:`~fovex.study.chapters.cost`; :mod:`~fovex.study.chapters` runs a
  chapter's small computation and holds what several share.
"""

from .axes import (
    PUBLISHED_FOVEA_S,
    StudyRows,
    agreement_with_committed,
    fovea_sweep,
    load_axis,
    observer_ceiling,
    run_selection,
    tied_sweep,
)
from .choice import record_variant_choice
from .openings import chapter_opening
from .paths import (
    AXES,
    DERIVED,
    DEVELOPMENT_PHOTOS,
    FAITHFULNESS_METRICS,
    REPO_ROOT,
    RUN_ORDER,
    RUNS_ENV,
    config_path,
    export_path,
    run_dir,
    runs_folder,
    study_runs_in,
    variant_choice_path,
)
from .runs import (
    compute_study,
    export_study,
    restore_from_export,
    study_attempts,
    study_config,
    study_cost,
    study_status,
)
from .variants import (
    compute_held_out,
    compute_map_variants,
    export_map_variants,
    load_map_variants,
    map_variants,
    variant_outcome,
)

__all__ = [
    "AXES",
    "agreement_with_committed",
    "chapter_opening",
    "DERIVED",
    "DEVELOPMENT_PHOTOS",
    "FAITHFULNESS_METRICS",
    "PUBLISHED_FOVEA_S",
    "REPO_ROOT",
    "RUN_ORDER",
    "RUNS_ENV",
    "StudyRows",
    "compute_held_out",
    "compute_map_variants",
    "compute_study",
    "config_path",
    "export_map_variants",
    "export_path",
    "export_study",
    "fovea_sweep",
    "load_axis",
    "load_map_variants",
    "map_variants",
    "observer_ceiling",
    "record_variant_choice",
    "restore_from_export",
    "run_selection",
    "run_dir",
    "runs_folder",
    "study_attempts",
    "study_config",
    "study_runs_in",
    "study_cost",
    "study_status",
    "tied_sweep",
    "variant_choice_path",
    "variant_outcome",
]
