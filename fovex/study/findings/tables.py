"""Tables of one axis: localisation, methods against the human ceiling, the map-variant choice; and
:func:`for_reader`, any table as the book shows it."""

from __future__ import annotations

import pandas as pd

from ...report.statistics import bootstrap_ci, summary_table


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
    rows: pd.DataFrame, by: str = "explainer", cluster: str | None = "image_id", seed: int = 0
) -> pd.DataFrame:
    """Per group: the pointing-game hit rate over (image, class) pairs and EBPG, each ``mean [low, high]``
    with its 95 % bootstrap interval (whole photos resampled: the classes of one photo are not
    independent; ``cluster=None``: pairs), and the numbers of pairs, photos and classes.

    The hit rate over pairs is the book's one pointing-game figure: the paired comparisons and the
    chapter opening use the same per-pair hits (TorchRay's mean of per-class rates weighs a class seen
    once like one seen ten times, and with one or two pairs per class it cannot carry an interval).
    """
    from ...metrics.registry import format_value, metric_name

    table = []
    for group, frame in rows.groupby(by, sort=False):
        frame = frame.dropna(subset=["pointing_hit"])
        clusters = None if cluster is None else frame[cluster].to_numpy()
        entry = {by: group}
        for column, values in (
            ("pointing_pct", frame["pointing_hit"].astype(float) * 100),
            ("ebpg_pct", frame["ebpg_pct"].astype(float)),
        ):
            low, high = bootstrap_ci(values, clusters=clusters, seed=seed)
            mean = format_value(column, values.mean())
            entry[metric_name(column)] = f"{mean} [{format_value(column, low)}, {format_value(column, high)}]"
        entry.update(
            pairs=int(len(frame)),
            photos=int(frame["image_id"].nunique()),
            classes=int(frame["object_class"].nunique()),
        )
        table.append(entry)
    return pd.DataFrame(table).set_index(by)


def choose_variant(judged, scope: str, reference: str) -> dict:
    """The pre-stated rule that picks FovEx's most promising map variant on development images, read
    from the judged table (:class:`~fovex.study.findings.judgement.Judged`, the study's one standard).

    For every variant of ``scope`` other than ``reference`` (the published map), its paired comparisons
    with ``reference`` on deletion and insertion: a variant *keeps insertion* when it is not worse on
    insertion and *helps deletion* when it is better on deletion. The choice is the variant with the
    lowest mean deletion difference among those that keep insertion and help deletion; ``None`` when no
    variant does both. Returns ``{"choice", "rule", "reference", "candidates"}`` (one dict per variant).
    """
    candidates = []
    variants = [m for m in judged.method_means(scope, "deletion_auc").index if m != reference]
    for variant in variants:
        deletion = judged.get(scope, "deletion_auc", variant, reference)
        insertion = judged.get(scope, "insertion_auc", variant, reference)
        candidates.append(
            {
                "variant": variant,
                "n": deletion.n,
                "deletion_difference": deletion.difference,
                "deletion_interval": deletion.interval(),
                "deletion": deletion.word,
                "insertion_difference": insertion.difference,
                "insertion_interval": insertion.interval(),
                "insertion": insertion.word,
                "keeps_insertion": insertion.word != "worse",
                "helps_deletion": deletion.word == "better",
            }
        )
    eligible = [c for c in candidates if c["keeps_insertion"] and c["helps_deletion"]]
    choice = min(eligible, key=lambda c: c["deletion_difference"])["variant"] if eligible else None
    rule = (
        "lowest mean paired deletion difference to the published map among variants better than it on "
        "deletion and not worse on insertion"
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
