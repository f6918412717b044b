"""The study's findings as tables and words: the published numbers and claims, where a method stands.

- :mod:`~fovex.study.findings.judgement`: the judged table read back (:class:`Judged`): one word and one
  interval per comparison, whichever way round it is asked for.
- :mod:`~fovex.study.findings.published`: the published numbers (:data:`PUBLISHED`).
- :mod:`~fovex.study.findings.claims`: the published claims (:data:`CLAIMS`, keyed by id) and their verdicts.
- :mod:`~fovex.study.findings.wording`: where a method stands, in the judged table's words.
- :mod:`~fovex.study.findings.tables`: localisation, ceiling and map-variant tables; :func:`for_reader`
  names methods and metrics in any table as the book does.

The comparisons are computed and judged once, under the study's one standard, by
:func:`fovex.study.judged.judged_study`; the statistics they rest on are the library's :mod:`fovex.report`,
re-exported here so that a chapter imports its tables from one place.
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
from .claims import CLAIMS, CNN_RIVALS, VIT_RIVALS, Claim, claim_verdict, findings_summary, judge_claims
from .judgement import Judged, Judgement
from .published import PUBLISHED, published_table
from .tables import ceiling_table, choose_variant, for_reader, localisation_table, pointing_by_class
from .wording import standing, standing_table

__all__ = [
    "CLAIMS",
    "CNN_RIVALS",
    "Claim",
    "Judged",
    "Judgement",
    "PUBLISHED",
    "RESAMPLES",
    "VIT_RIVALS",
    "adjusted_difference",
    "agreement_table",
    "bootstrap_ci",
    "bootstrap_p",
    "ceiling_table",
    "choose_variant",
    "claim_verdict",
    "findings_summary",
    "for_reader",
    "holm",
    "judge_claims",
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
    "standing",
    "standing_table",
    "summary_table",
]
