"""Reading a run: one object for the results, the maps, the data set and the summary.

    run = fovex.open_run("build/eval/smoke")
    run.results            # every row (DataFrame); run.ok: the rows with status "ok"
    run.maps("fovex")      # row key -> stored arrays (attribution, fixations_xy, curves, ...)
    run.dataset()          # the data set reopened as the run saw it (same image size and crop)
    run.summary()          # means per model x explainer (fovex.evaluation.summarize)

How the book's chapters compute their small runs is :func:`fovex.study.chapters.run_chapter`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from . import store

__all__ = ["Run", "open_run", "with_derived_columns"]


def with_derived_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the columns the book reads but a run does not store: ``increase_pct``, the %Increase
    of one row (``increase``, O > Y, as 0 or 100), wherever ``increase`` exists. The one place it is
    derived: :attr:`Run.ok`, the study's axes and its map variants all read rows through it."""
    if "increase" not in rows:
        return rows
    return rows.assign(increase_pct=rows["increase"].astype(float) * 100)


@dataclass
class Run:
    """A result directory of :func:`fovex.evaluation.run` (complete or not), read lazily."""

    directory: Path
    manifest: dict = field(repr=False)

    @property
    def config(self) -> dict[str, Any]:
        """The resolved config the run was computed with."""
        return self.manifest["config"]

    @property
    def complete(self) -> bool:
        return self.manifest.get("status") == "complete"

    @property
    def models(self) -> list[str]:
        return [entry["label"] for entry in self.config["models"]]

    @property
    def explainers(self) -> list[str]:
        return [entry["label"] for entry in self.config["explainers"]]

    @cached_property
    def results(self) -> pd.DataFrame:
        """Every row so far (a partial run is read as far as it got, without a warning)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return store.load_results(self.directory)

    @property
    def ok(self) -> pd.DataFrame:
        """The rows with ``status == "ok"``, with :func:`with_derived_columns` (``increase_pct``)."""
        return with_derived_columns(self.results[self.results["status"] == "ok"])

    def maps(self, explainer: str | None = None, model: str | None = None, ids=None) -> dict[str, dict[str, Any]]:
        """Stored arrays of one (model, explainer), keyed by row key (:func:`fovex.evaluation.store.load_maps`)."""
        return store.load_maps(self.directory, model=model, explainer=explainer, ids=ids)

    def image_size(self, model: str | None = None) -> int:
        """The side in pixels the run fed ``model`` (the config's, else the model's own input size)."""
        label = model or self._only(self.models, "model")
        entry = next((m for m in self.config["models"] if m["label"] == label), None)
        if entry is None:
            raise ValueError(f"model {label!r} is not in this run; it has {', '.join(self.models)}")
        recorded = self.manifest.get("resolved", {}).get(label, {}).get("image_size")
        if recorded:
            return int(recorded)
        if self.config["dataset"]["image_size"]:
            return int(self.config["dataset"]["image_size"])
        from ..models import load_model

        return load_model(entry["name"], weights=None).input_size  # architecture only: its input size

    def dataset(self, model: str | None = None):
        """The run's data set, opened at the image size and crop ``model`` saw (same ids and order)."""
        from ..data import open_dataset

        spec = self.config["dataset"]
        return open_dataset(
            spec["name"],
            root=spec["root"],
            split=spec["split"],
            image_size=self.image_size(model),
            crop_fraction=spec["crop_fraction"],
            **spec["options"],
        )

    def summary(self) -> pd.DataFrame:
        """Mean metrics per model x explainer over the ``ok`` rows (:func:`fovex.evaluation.summarize`)."""
        from .summary import summarize

        return summarize(self.results)

    @staticmethod
    def _only(labels: list[str], what: str) -> str:
        if len(labels) != 1:
            raise ValueError(f"the run has several {what}s ({', '.join(labels)}): name one")
        return labels[0]


def open_run(directory: str | os.PathLike) -> Run:
    """Open a result directory; a missing or foreign one raises :class:`~fovex.evaluation.store.StoreError`
    saying why."""
    directory = Path(directory)
    return Run(directory, store.read_run_manifest(directory))
