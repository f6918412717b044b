"""The localisation chapter's rows (``notebooks/04_localisation.py``): the (image, class) pairs skipped
for want of an ImageNet counterpart, pointing-game hits in %, the pairs each method scored, the examples
shown, and the VOC -> ImageNet mapping as the chapter lists it."""

from __future__ import annotations

import pandas as pd

__all__ = [
    "examples",
    "judged_differences",
    "localisation_tables",
    "pairs_per_method",
    "skipped_pairs",
    "voc_mapping",
    "with_pointing_pct",
]


def skipped_pairs(rows: pd.DataFrame, explainer: str = "fovex") -> tuple[int, list[str]]:
    """The (image, class) pairs ``explainer``'s rows skipped (status ``skipped``: a VOC class without an
    ImageNet counterpart): how many, and their classes, sorted. Every method skips the same pairs."""
    skipped = rows[(rows["status"] == "skipped") & (rows["explainer"] == explainer)]
    return len(skipped), sorted(set(skipped["object_class"]))


def with_pointing_pct(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with ``pointing_pct``: the pointing-game hit of each (image, class) pair as 0 or 100, so
    its paired differences read in %."""
    return rows.assign(pointing_pct=rows["pointing_hit"].astype(float) * 100)


def pairs_per_method(rows: pd.DataFrame) -> int:
    """The (image, class) pairs each method scored: the rows over the methods (0 without rows)."""
    return len(rows) // max(1, rows["explainer"].nunique())


def examples(rows: pd.DataFrame, explainer: str = "fovex", count: int = 4) -> pd.DataFrame:
    """``explainer``'s first ``count`` rows: the pairs the chapter draws on their boxes."""
    return rows[rows["explainer"] == explainer].head(count)


def voc_mapping() -> dict:
    """VOC class -> the number of ImageNet classes it maps to (:data:`fovex.data.VOC_TO_IMAGENET`), or
    ``"none"`` for a class without an ImageNet counterpart."""
    from ...data import VOC_TO_IMAGENET

    return {voc: (len(classes) if classes else "none") for voc, classes in VOC_TO_IMAGENET.items()}


def judged_differences(judged, candidate: str = "fovex") -> dict[str, pd.DataFrame]:
    """Per localisation scope (data set, and model): FovEx against every other method on the pointing-game
    hit rate and EBPG, from the study's judged table (:meth:`fovex.study.findings.judgement.Judged.comparisons_of`)."""
    return {
        scope: judged.comparisons_of(scope, candidate, ["pointing_pct", "ebpg_pct"], "localisation")
        for scope in judged.scopes("localisation")
    }


def localisation_tables(study) -> list:
    """Per model of the study's localisation rows: its table (:func:`fovex.study.findings.localisation_table`:
    hit rate over pairs and EBPG with their intervals, pairs, photos, classes), named with the model."""
    from ..findings.tables import for_reader, localisation_table
    from ..findings.wording import model_name

    return [
        for_reader(localisation_table(rows)).rename_axis(model_name(model))
        for model, rows in study.ok.groupby("model", sort=True)
    ]
