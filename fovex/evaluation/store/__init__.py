"""The evaluation result store: one directory per run, every file written atomically (:mod:`fovex.files`).

Layout::

    RUN/
      manifest.json                      what was run: resolved config, its hash, versions, git, device, seed
      summary.csv                        mean metrics per model x explainer (written when the run completes)
      parts/<mi>-<model>__<ei>-<explainer>__b<batch>__r<rank>.parquet   rows of one completed batch
      maps/<same stem>.npz               attribution maps (float16), scanpaths, curves of that batch

A part is the commit record of its batch: its maps file is written first, the part last, both
atomically, so a batch either has a readable part or counts as not done. Every part carries the
run's config hash and its key in its Parquet metadata, so a part from another config, a torn copy or
a duplicate is reported by name instead of being mixed into the results.

Notebooks read results through :func:`fovex.open_run` (rows, maps, the data set as the run saw it).

- :mod:`~fovex.evaluation.store.layout`: names, manifest, errors, :class:`PartKey` (a part's file name and its parsing).
- :mod:`~fovex.evaluation.store.parts`: writing parts, listing the completed ones, removing a store's own files.
- :mod:`~fovex.evaluation.store.reading`: :func:`load_results`, :func:`load_maps` (also through :func:`fovex.open_run`).
- :mod:`~fovex.evaluation.store.exports`: CSV exports with their provenance (:func:`export_results`,
  :func:`load_exported`).
"""

from .exports import export_results, load_exported, load_first_available
from .layout import (
    MANIFEST,
    MAPS,
    PARTS,
    SCHEMA,
    SUMMARY,
    SUPPORTED_CONFIG_VERSIONS,
    IncompatibleResultsError,
    PartKey,
    StoreError,
    check_compatible,
    check_run_manifest,
    is_store_manifest,
    read_manifest,
    read_run_manifest,
    write_manifest,
)
from .parts import (
    completed_parts,
    is_store_summary,
    linked_folders,
    remove_store,
    remove_temporary_files,
    write_part,
)
from .reading import load_maps, load_results

__all__ = [
    "MANIFEST",
    "MAPS",
    "PARTS",
    "SCHEMA",
    "SUMMARY",
    "SUPPORTED_CONFIG_VERSIONS",
    "IncompatibleResultsError",
    "PartKey",
    "StoreError",
    "check_compatible",
    "check_run_manifest",
    "completed_parts",
    "export_results",
    "is_store_manifest",
    "is_store_summary",
    "linked_folders",
    "load_exported",
    "load_first_available",
    "load_maps",
    "load_results",
    "read_manifest",
    "read_run_manifest",
    "remove_store",
    "remove_temporary_files",
    "write_manifest",
    "write_part",
]
