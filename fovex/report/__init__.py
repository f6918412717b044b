"""Tables for the book: means with bootstrap intervals, paired comparisons, the published claims.

- :mod:`~fovex.report.statistics`: :func:`bootstrap_ci`, :func:`summary_table`, paired differences,
  :func:`agreement_table` (the same rows computed twice, e.g. CPU and GPU).
- :mod:`~fovex.report.claims`: the published numbers and claims (:data:`CLAIMS`), their verdicts.
- :mod:`~fovex.report.tables`: localisation, scanpath and map-variant tables.
"""

from .claims import (
    CLAIMS,
    PUBLISHED,
    PUBLISHED_RIVALS,
    Claim,
    claim_verdict,
    claims_table,
    findings_summary,
    published_table,
)
from .statistics import (
    agreement_table,
    bootstrap_ci,
    paired_difference,
    paired_differences,
    paired_differences_table,
    paired_relative_difference,
    relative_differences,
    reverse_differences,
    summary_table,
)
from .tables import ceiling_table, choose_variant, localisation_table, pointing_by_class

__all__ = [
    "CLAIMS",
    "Claim",
    "PUBLISHED",
    "PUBLISHED_RIVALS",
    "agreement_table",
    "bootstrap_ci",
    "choose_variant",
    "claim_verdict",
    "claims_table",
    "findings_summary",
    "localisation_table",
    "paired_difference",
    "paired_differences",
    "paired_differences_table",
    "paired_relative_difference",
    "pointing_by_class",
    "published_table",
    "relative_differences",
    "reverse_differences",
    "ceiling_table",
    "summary_table",
]
