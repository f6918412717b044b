"""Tables for the book: means with bootstrap intervals, paired comparisons, the published claims.

- :mod:`~fovex.report.statistics`: :func:`bootstrap_ci`, :func:`summary_table`, paired differences.
- :mod:`~fovex.report.claims`: the published numbers and claims (:data:`CLAIMS`), their verdicts.
- :mod:`~fovex.report.tables`: localisation, scanpath and map-variant tables.
"""

from .claims import (
    CLAIMS,
    PUBLISHED,
    PUBLISHED_RIVALS,
    Claim,
    claim_comparisons,
    claim_verdict,
    claims_table,
    findings_summary,
    published_table,
)
from .statistics import (
    RESAMPLES,
    adjusted_difference,
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
from .tables import ceiling_table, choose_variant, localisation_table, pointing_by_class

__all__ = [
    "CLAIMS",
    "Claim",
    "PUBLISHED",
    "PUBLISHED_RIVALS",
    "RESAMPLES",
    "adjusted_difference",
    "bootstrap_ci",
    "bootstrap_p",
    "holm",
    "choose_variant",
    "claim_comparisons",
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
    "percentile_interval",
    "relative_differences",
    "resampled_means",
    "reverse_differences",
    "ceiling_table",
    "summary_table",
]
