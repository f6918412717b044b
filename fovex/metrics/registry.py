"""The metric registry: each selectable metric, the row columns it fills, and how the book names them.

:data:`METRICS` is what configs select from (:mod:`fovex.evaluation.scoring` computes them);
:data:`COLUMN_NAMES`, :func:`metric_name` and :func:`metric_label` are the one place figures, tables
and sentences take a metric column's name from (``"insertion_auc"`` -> ``"insertion AUC ↑"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "COLUMN_NAMES",
    "ColumnName",
    "METRICS",
    "MetricSpec",
    "column_sense",
    "format_difference",
    "format_value",
    "metric_label",
    "metric_name",
]


class ColumnName(NamedTuple):
    """How the book reads a metric column: its name (``"insertion AUC"``), which way is better, and the
    decimals every number of it is printed with (one place for every table, sentence and figure)."""

    name: str
    higher_is_better: bool
    places: int = 3


@dataclass(frozen=True)
class MetricSpec:
    """A selectable metric: its family, the row columns it fills (name -> arrow type name), orientation.

    ``names``: how figures, tables and sentences name the columns it fills or the study derives from
    them (``increase_pct`` from ``increase``), with each column's better direction.
    """

    name: str
    family: str
    columns: dict[str, str]
    higher_is_better: bool
    description: str
    names: dict[str, ColumnName] = field(default_factory=dict)


_SPECS = (
    MetricSpec(
        "drop_increase",
        "faithfulness",
        {"drop_pct": "float64", "increase": "bool", "score_masked": "float64"},
        False,
        "%Drop per image (max(0, Y - O) / Y * 100; lower is better) and whether O > Y (%Increase, higher)",
        {"drop_pct": ColumnName("%Drop", False, 1), "increase_pct": ColumnName("%Increase", True, 1)},
    ),
    MetricSpec(
        "insertion",
        "faithfulness",
        {"insertion_auc": "float64"},
        True,
        "RISE insertion AUC (the reference's blurred start)",
        {"insertion_auc": ColumnName("insertion AUC", True)},
    ),
    MetricSpec(
        "deletion",
        "faithfulness",
        {"deletion_auc": "float64"},
        False,
        "RISE deletion AUC (mean-colour substrate)",
        {"deletion_auc": ColumnName("deletion AUC", False)},
    ),
    MetricSpec(
        "pointing_game",
        "localisation",
        {"pointing_hit": "bool"},
        True,
        "map maximum within 15 px of the class's boxes",
        {
            "pointing_hit": ColumnName("pointing game", True),
            "pointing_pct": ColumnName("pointing-game hit rate %", True, 1),
        },
    ),
    MetricSpec(
        "ebpg",
        "localisation",
        {"ebpg_pct": "float64"},
        True,
        "share of the map's energy inside the class's boxes, %",
        {"ebpg_pct": ColumnName("EBPG %", True, 1)},
    ),
    MetricSpec(
        "nss",
        "plausibility",
        {"nss": "float64"},
        True,
        "normalised scanpath saliency at human fixations",
        {"nss": ColumnName("NSS", True)},
    ),
    MetricSpec(
        "cc",
        "plausibility",
        {"cc": "float64"},
        True,
        "Pearson correlation with the fixation density",
        {"cc": ColumnName("CC", True)},
    ),
    MetricSpec(
        "kld",
        "plausibility",
        {"kld": "float64"},
        False,
        "KL divergence of the density from the map",
        {"kld": ColumnName("KLD", False)},
    ),
    MetricSpec(
        "sim",
        "plausibility",
        {"sim": "float64"},
        True,
        "histogram intersection with the density",
        {"sim": ColumnName("SIM", True)},
    ),
    MetricSpec(
        "auc_judd",
        "plausibility",
        {"auc_judd": "float64"},
        True,
        "AUC, Judd variant",
        {"auc_judd": ColumnName("AUC-Judd", True)},
    ),
    MetricSpec(
        "sauc",
        "plausibility",
        {"sauc": "float64"},
        True,
        "shuffled AUC; negatives = other images' fixations",
        {"sauc": ColumnName("sAUC", True)},
    ),
    MetricSpec(
        "scanpath_dtw",
        "scanpath",
        {"scanpath_dtw_px": "float64"},
        False,
        "mean DTW distance (px) of the explainer's scanpath to each observer's (scanpath explainers only)",
        {"scanpath_dtw_px": ColumnName("scanpath DTW px", False, 1)},
    ),
    MetricSpec(
        "scanpath_string_edit",
        "scanpath",
        {"scanpath_string_edit": "float64"},
        True,
        "mean string-edit similarity on a grid (scanpath explainers only)",
        {"scanpath_string_edit": ColumnName("scanpath string edit", True)},
    ),
)

#: Metric name -> spec, in the order columns appear.
METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}

#: Metric column -> how the book names it (every spec's ``names``, one table).
COLUMN_NAMES: dict[str, ColumnName] = {column: named for spec in _SPECS for column, named in spec.names.items()}


def metric_name(column: str) -> str:
    """How the book names a metric column: ``"insertion_auc"`` -> ``"insertion AUC"`` (others unchanged)."""
    return COLUMN_NAMES[column].name if column in COLUMN_NAMES else column


def metric_label(column: str) -> str:
    """The column's name with its better direction, for axes and table headers: ``"insertion AUC ↑"``."""
    if column not in COLUMN_NAMES:
        return column
    named = COLUMN_NAMES[column]
    return f"{named.name} {'↑' if named.higher_is_better else '↓'}"


def column_sense(column: str) -> ColumnName:
    """How the book reads ``column`` (:data:`COLUMN_NAMES`); a ValueError names the known columns."""
    if column not in COLUMN_NAMES:
        raise ValueError(f"no reading registered for metric column {column!r}; known: {', '.join(COLUMN_NAMES)}")
    return COLUMN_NAMES[column]


def _number(x: float, places: int, signed: bool) -> str:
    """``x`` to ``places`` decimals with a real minus sign; a value that rounds to zero prints unsigned."""
    if round(x, places) == 0:
        x = 0.0  # "-0.000" and "+0.000" say a direction the printed digits do not have
        return f"{x:.{places}f}"
    text = f"{x:+.{places}f}" if signed else f"{x:.{places}f}"
    return text.replace("-", "\u2212")


def format_value(column: str, x: float) -> str:
    """A mean of ``column`` as printed everywhere: in the column's decimals (:class:`ColumnName`), unsigned."""
    return _number(float(x), column_sense(column).places, signed=False)


def format_difference(column: str, difference: float, low: float, high: float, relative: bool = False) -> str:
    """A difference and its interval as printed everywhere: ``"<d> [<low>, <high>]"``, each signed (a real minus
    sign) in the column's decimals; with ``relative`` (in % of a reference's mean) one decimal and ``" %"``."""
    places = 1 if relative else column_sense(column).places
    text = f"{_number(difference, places, True)} [{_number(low, places, True)}, {_number(high, places, True)}]"
    return text + (" %" if relative else "")
