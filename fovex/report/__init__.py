"""Tables for the book: means with bootstrap intervals, paired comparisons, the published claims.

- :mod:`~fovex.report.statistics`: :func:`bootstrap_ci`, :func:`summary_table`, paired differences.
- :mod:`~fovex.report.agreement`: :func:`agreement_table`, the same rows computed twice (e.g. CPU and GPU).
- :mod:`~fovex.report.resampling`: bootstrap means (units or whole clusters), intervals, p-values, Holm.
- :mod:`~fovex.report.published`: the published numbers (:data:`PUBLISHED`).
- :mod:`~fovex.report.claims`: the published claims (:data:`CLAIMS`), the comparisons they call for, verdicts.
- :mod:`~fovex.report.wording`: where a method stands, in words no stronger than its paired intervals.
- :mod:`~fovex.report.tables`: localisation, scanpath and map-variant tables; :func:`for_reader`
  names methods and metrics in any table as the book does.
"""

from .agreement import agreement_table
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
from .resampling import RESAMPLES, bootstrap_p, holm, percentile_interval, resampled_means
from .statistics import (
    adjusted_difference,
    bootstrap_ci,
    paired_difference,
    paired_differences,
    paired_differences_table,
    paired_relative_difference,
    relative_differences,
    reverse_differences,
    summary_table,
)
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
    "holm",
    "choose_variant",
    "claim_comparisons",
    "claim_verdict",
    "claims_table",
    "findings_summary",
    "for_reader",
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
