"""The findings chapter's pieces (``notebooks/00_findings.py``, the book's overview): every axis read
back, what was measured, the verdicts table, the faithfulness comparisons behind it, and the
receptive-field chapter's opening joined with the variant's outcome."""

from __future__ import annotations

import pandas as pd

from ..axes import StudyRows, load_axis
from ..paths import FAITHFULNESS_METRICS

__all__ = ["FLOORS", "describe_axes", "faithfulness_comparisons", "load_axes", "paragraphs", "verdicts", "without"]

#: The axes the findings chapter reads, in its order.
AXES_SHOWN = ("faithfulness", "localisation", "plausibility")

#: The methods that are floors, not rivals: a map knowing nothing of the image, or only its centre.
FLOORS = ("random", "centre")


def load_axes(prefer: str = "export", axes=AXES_SHOWN) -> dict[str, StudyRows | None]:
    """Axis -> its rows (:func:`fovex.study.load_axis`; None when it has none), in ``axes`` order."""
    return {axis: load_axis(axis, prefer=prefer) for axis in axes}


def describe_axes(axes: dict[str, StudyRows | None]) -> str:
    """What was measured: each axis's :meth:`StudyRows.describe`, or a line saying it has no run yet."""
    return "\n".join(
        f"{axis}: no study run yet (compute it with `fovex study run`)" if study is None else study.describe()
        for axis, study in axes.items()
    )


def verdicts(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims table (:func:`fovex.study.findings`) indexed by claim, as the chapter shows it."""
    return claims.set_index("claim")


def faithfulness_comparisons(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The findings' paired comparisons of the faithfulness metrics, FovEx the candidate of each."""
    return comparisons[comparisons["metric"].isin(FAITHFULNESS_METRICS)].assign(candidate="fovex")


def without(rows: pd.DataFrame, explainers=FLOORS) -> pd.DataFrame:
    """``rows`` without those of ``explainers`` (default: the floors)."""
    return rows[~rows["explainer"].isin(list(explainers))]


def paragraphs(*parts: str | None) -> str:
    """The non-empty ``parts`` as Markdown paragraphs ("" when all are empty)."""
    return "\n\n".join(part for part in parts if part)
