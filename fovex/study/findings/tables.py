"""Tables of one axis: localisation, methods against the human ceiling, the map-variant choice; and
:func:`for_reader`, any table as the book shows it."""

from __future__ import annotations

import pandas as pd

from ...report.statistics import bootstrap_ci, paired_difference, summary_table


def for_reader(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as the book shows it: methods (registry keys or run labels that extend them, in the
    index or the columns) as the field names them (:func:`fovex.explain.display_name`), metric
    columns by their names with the better direction (:func:`fovex.evaluation.metric_label`)."""
    from ...explain import display_name
    from ...metrics.registry import COLUMN_NAMES, metric_label

    def named(value):
        if not isinstance(value, str):
            return value
        return metric_label(value) if value in COLUMN_NAMES else display_name(value)

    table = table.rename(index=named, columns=named)
    return table.rename_axis(index=lambda name: "method" if name == "explainer" else name)


def localisation_table(
    rows: pd.DataFrame, by: str = "explainer", digits: int = 1, cluster: str | None = "image_id"
) -> pd.DataFrame:
    """Per group: pointing-game accuracy (mean over VOC classes of the per-class hit rate, TorchRay's
    convention, :func:`fovex.metrics.localization.pointing_game_accuracy`), the plain hit rate over
    (image, class) pairs, EBPG mean with its 95 % bootstrap interval, and the numbers of pairs and classes.
    The interval resamples whole clusters of the ``cluster`` column (photos: the classes of one photo are
    not independent; None: pairs)."""
    from ...metrics.localization import pointing_game_accuracy
    from ...metrics.registry import metric_name

    table = []
    for group, frame in rows.groupby(by, sort=False):
        frame = frame.dropna(subset=["pointing_hit"])
        codes, classes = pd.factorize(frame["object_class"])
        accuracy = pointing_game_accuracy(frame["pointing_hit"].astype(bool).to_numpy(copy=True), codes)
        ebpg = frame["ebpg_pct"].astype(float)
        low, high = bootstrap_ci(ebpg, clusters=None if cluster is None else frame[cluster].to_numpy())
        table.append(
            {
                by: group,
                f"{metric_name('pointing_hit')} % (class mean)": round(accuracy.accuracy_pct, digits),
                "hit rate % (pairs)": round(float(frame["pointing_hit"].astype(bool).mean() * 100), digits),
                metric_name("ebpg_pct"): f"{ebpg.mean():.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]",
                "pairs": int(len(frame)),
                "classes": int(len(classes)),
            }
        )
    return pd.DataFrame(table).set_index(by)


def choose_variant(rows: pd.DataFrame, reference: str, unit: str = "image_id", by: str = "variant") -> dict:
    """The pre-stated rule that picks FovEx's most promising map variant on development images.

    ``rows``: one row per (unit, variant) with ``deletion_auc`` and ``insertion_auc``, the published
    map included as ``reference``. For every other variant, the paired differences
    ``variant - reference`` of deletion and insertion (95 % bootstrap intervals) are computed. A variant
    *keeps insertion* when its insertion interval reaches 0 or above (not significantly worse) and
    *helps deletion* when its deletion interval lies below 0. The choice is the variant with the
    lowest mean deletion difference among those that keep insertion and help deletion; ``None``
    when no variant does both. Returns ``{"choice", "rule", "candidates"}`` (candidates: one dict per variant).
    """
    candidates = []
    for variant in [name for name in dict.fromkeys(rows[by]) if name != reference]:
        deletion = paired_difference(rows, "deletion_auc", variant, reference, by=by, unit=unit)
        insertion = paired_difference(rows, "insertion_auc", variant, reference, by=by, unit=unit)
        candidates.append(
            {
                "variant": variant,
                "n": deletion["n"],
                "deletion_difference": deletion["difference"],
                "deletion_ci": [deletion["ci_low"], deletion["ci_high"]],
                "insertion_difference": insertion["difference"],
                "insertion_ci": [insertion["ci_low"], insertion["ci_high"]],
                "keeps_insertion": insertion["ci_high"] >= 0,
                "helps_deletion": deletion["ci_high"] < 0,
            }
        )
    eligible = [c for c in candidates if c["keeps_insertion"] and c["helps_deletion"]]
    choice = min(eligible, key=lambda c: c["deletion_difference"])["variant"] if eligible else None
    rule = (
        "lowest mean paired deletion difference to the published map among variants whose deletion "
        "interval lies below 0 and whose insertion interval reaches 0 or above"
    )
    return {"choice": choice, "rule": rule, "reference": reference, "candidates": candidates}


def pointing_by_class(rows: pd.DataFrame, by: str = "explainer") -> pd.DataFrame:
    """Pointing-game hit rate in % per object class (rows) and group (columns, first-appearance order):
    ``100 * hits / pairs`` over the (image, class) pairs of that class; NaN where a group has none.
    Rows without a ``pointing_hit`` value are left out."""
    rows = rows.dropna(subset=["pointing_hit"])
    rates = rows.assign(hit=rows["pointing_hit"].astype(float) * 100).pivot_table(
        index="object_class", columns=by, values="hit", aggfunc="mean"
    )
    return rates.reindex(columns=list(dict.fromkeys(rows[by]))).rename_axis(columns=None)


def ceiling_table(
    rows: pd.DataFrame,
    ceiling: pd.DataFrame,
    metrics: list[str],
    explainers: list[str] | None = None,
    label: str = "humans (leave one out)",
) -> pd.DataFrame:
    """Methods against human observers next to the observers' own agreement (the ceiling), on the
    same images: :func:`summary_table` by explainer of the ``explainers``' rows (default: all) on the
    images of ``ceiling`` and of ``ceiling`` itself (one row per image,
    :func:`fovex.study.observer_ceiling`) as ``label``. A metric the ceiling lacks shows ``-`` in its row."""
    shown = rows[rows["image_id"].isin(set(ceiling["image_id"]))]
    if explainers is not None:
        shown = shown[shown["explainer"].isin(explainers)]
    return summary_table(pd.concat([shown, ceiling.assign(explainer=label)]), list(metrics), by="explainer")
