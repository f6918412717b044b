"""The study's findings as tables and words: the published numbers and claims, where a method stands.

- :mod:`~fovex.study.findings.published`: the published numbers (:data:`PUBLISHED`).
- :mod:`~fovex.study.findings.claims`: the published claims (:data:`CLAIMS`), the comparisons they call
  for, verdicts.
- :mod:`~fovex.study.findings.wording`: where a method stands, in words no stronger than its paired
  intervals.
- :mod:`~fovex.study.findings.tables`: localisation, scanpath and map-variant tables; :func:`for_reader`
  names methods and metrics in any table as the book does.

The statistics they rest on (bootstrap intervals, paired differences, Holm) are the library's
:mod:`fovex.report`; they are re-exported here so that a chapter imports its tables from one place.
"""

from ...report import (
    RESAMPLES,
    adjusted_difference,
    agreement_table,
    bootstrap_ci,
    bootstrap_p,
    holm,
    paired_difference,
    paired_differences,
    paired_differences_table,
    paired_relative_difference,
    percentile_interval,
    relative_differences,
    resampled_means,
    reverse_differences,
    summary_table,
)
from .claims import (
    CLAIMS,
    PUBLISHED_RIVALS,
    Claim,
    claim_comparisons,
    claim_verdict,
    claims_table,
    findings_summary,
)
from .published import PUBLISHED, published_table
from .tables import ceiling_table, choose_variant, for_reader, localisation_table, pointing_by_class

__all__ = [
    "CLAIMS",
    "Claim",
    "PUBLISHED",
    "PUBLISHED_RIVALS",
    "RESAMPLES",
    "adjusted_difference",
    "agreement_table",
    "bootstrap_ci",
    "bootstrap_p",
    "ceiling_table",
    "choose_variant",
    "claim_comparisons",
    "claim_verdict",
    "claims_table",
    "findings_summary",
    "for_reader",
    "holm",
    "localisation_table",
    "paired_difference",
    "paired_differences",
    "paired_differences_table",
    "paired_relative_difference",
    "percentile_interval",
    "pointing_by_class",
    "published_table",
    "relative_differences",
    "resampled_means",
    "reverse_differences",
    "summary_table",
]
