"""Statistics for tables: means with bootstrap intervals, paired comparisons, agreement of two computations.

- :mod:`~fovex.report.statistics`: :func:`bootstrap_ci`, :func:`summary_table`, paired differences.
- :mod:`~fovex.report.agreement`: :func:`agreement_table`, the same rows computed twice (e.g. CPU and GPU).
- :mod:`~fovex.report.resampling`: bootstrap means (units or whole clusters), intervals, p-values, Holm.

The study's own tables and words (published numbers and claims, where a method stands, the book's
names for methods and metrics) are :mod:`fovex.study.findings`.
"""

from .agreement import agreement_table
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

__all__ = [
    "RESAMPLES",
    "adjusted_difference",
    "agreement_table",
    "bootstrap_ci",
    "bootstrap_p",
    "holm",
    "paired_difference",
    "paired_differences",
    "paired_differences_table",
    "paired_relative_difference",
    "percentile_interval",
    "relative_differences",
    "resampled_means",
    "reverse_differences",
    "summary_table",
]
