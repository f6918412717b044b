"""The study's charts: means with intervals, paired differences, curves, sweeps, cost."""

from __future__ import annotations

import numpy as np

from ..explain import display_name
from ..metrics.registry import COLUMN_NAMES, metric_label
from .figures import PAGE_WIDTH_IN, new_figure
from .panels import (
    LABEL_MAX_IN,
    PAD_IN,
    TICK_PT,
    TITLE_PT,
    book_names,
    finish_chart,
    fit_columns,
    labelled_grid,
    legend_below,
    page_grid,
    rows_height_in,
)
from .text import fit_text, text_width_in, words_fit, wrap_text

#: Axis and header labels of the study's metric columns, with the better direction (derived from
#: the metric registry's column names, :data:`fovex.metrics.registry.COLUMN_NAMES`).
METRIC_LABELS = {column: metric_label(column) for column in COLUMN_NAMES}


def interval_bars(
    frame, metrics: list[str], by: str = "explainer", highlight: str = "fovex", title: str = "", columns: int = 2
):
    """One panel per metric: each group's mean as a horizontal bar with its 95 % bootstrap interval.

    ``frame``: rows with a ``by`` column and the metric columns (one row per image and group).
    Groups keep their first-appearance order and are named as the book names them; ``highlight`` is
    drawn in red. Fits the page width: fewer columns when the group names leave panels too narrow.
    """
    from ..report import bootstrap_ci

    groups = list(dict.fromkeys(frame[by]))
    figure, axes, labels, titles = labelled_grid(
        len(metrics), columns, book_names(groups), [metric_label(m) for m in metrics]
    )
    positions = np.arange(len(groups))
    for axis, metric, panel_title in zip(axes, metrics, titles):
        values = [frame.loc[frame[by] == group, metric].astype(float) for group in groups]
        means = np.array([v.mean() for v in values])
        intervals = np.array([bootstrap_ci(v) for v in values]).reshape(-1, 2)
        errors = np.abs(intervals.T - means)
        colours = ["tab:red" if g == highlight else "tab:gray" for g in groups]
        axis.barh(positions, means, xerr=errors, capsize=2, color=colours)
        axis.set_yticks(positions, labels)
        axis.invert_yaxis()
        axis.set_title(panel_title, fontsize=TITLE_PT)
    return finish_chart(figure, axes, title)


def paired_differences_figure(differences, title: str = "", columns: int = 2, difference: str | None = None):
    """Forest plot of paired comparisons (a judged table's, or :func:`fovex.report.paired_differences`): per
    metric, the candidate minus each other method (floors included).

    A point is the mean per-image difference, its bar the paired 95 % interval; the dashed line is 0
    (no difference). Which side is better depends on the metric (its label says). ``difference``
    names what is subtracted in each panel's title (default ``"<candidate> − method"``; e.g.
    ``"variant − published"`` for :func:`fovex.report.reverse_differences`).
    """
    metrics = list(dict.fromkeys(differences["metric"]))
    rivals = list(dict.fromkeys(differences["reference"]))
    named = difference or f"{display_name(str(differences['candidate'].iloc[0]))} − method"
    figure, axes, labels, titles = labelled_grid(
        len(metrics), columns, book_names(rivals), [f"{named}: {metric_label(m)}" for m in metrics]
    )
    positions = np.arange(len(rivals))
    for axis, metric, panel_title in zip(axes, metrics, titles):
        part = differences[differences["metric"] == metric].set_index("reference").reindex(rivals)
        axis.errorbar(
            part["difference"],
            positions,
            fmt="o",
            color="tab:red",
            capsize=2,
            xerr=[part["difference"] - part["ci_low"], part["ci_high"] - part["difference"]],
        )
        axis.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
        axis.set_yticks(positions, labels)
        axis.invert_yaxis()
        axis.set_title(panel_title, fontsize=TITLE_PT)
    return finish_chart(figure, axes, title)


#: Colours and markers that tell a chart's groups apart in its legend (red: the highlighted method).
_COLOURS = ["tab:red", "tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive"]
_MARKERS = "osD^vP*Xph<>"


def spread_figure(
    frame,
    metrics: list[str],
    spread: str = "map_mean",
    by: str = "explainer",
    highlight: str = "fovex",
    title: str = "",
    columns: int = 2,
):
    """Each group's mean metric against its maps' mean spread (one marker per group, one panel per
    metric, the groups named in the legend below; ``highlight``'s groups in red).

    ``frame``: one row per (image, group) with ``spread`` (e.g. the map's mean value, the share of
    the image ``x * A`` keeps) and the metric columns. Shows whether a metric rewards wider maps.
    """
    groups = list(dict.fromkeys(frame[by]))
    means = frame.groupby(by, sort=False)[[spread, *metrics]].mean().reindex(groups)
    columns, plot_in = fit_columns(min(columns, len(metrics)), 0.5)
    figure, axes = page_grid(len(metrics), columns, 2.6)
    others = iter([colour for colour in _COLOURS if colour != "tab:red"] * len(groups))
    styles = {
        group: ("tab:red" if str(group).startswith(highlight) else next(others), _MARKERS[i % len(_MARKERS)])
        for i, group in enumerate(groups)
    }
    for axis, metric in zip(axes, metrics):
        for group, row in means.iterrows():
            colour, marker = styles[group]
            axis.plot(row[spread], row[metric], marker, color=colour, label=display_name(str(group)))
        axis.set_xlabel(wrap_text(f"mean {spread.replace('_', ' ')}", plot_in, TICK_PT), fontsize=TICK_PT)
        axis.set_title(wrap_text(metric_label(metric), plot_in, TITLE_PT), fontsize=TITLE_PT)
    legend_below(figure, axes[0])
    return finish_chart(figure, axes, title)


#: Colours for the methods other than FovEx (red): the default cycle without its red.
_OTHERS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive")


def photo_spread_figure(
    frame, metric: str = "drop_pct", spread: str = "map_mean", by: str = "explainer", title: str = ""
):
    """One point per photo and method: ``metric`` against the map's ``spread`` (its mean value), one
    colour per method, with each method's mean as a large outlined marker. Methods without ``spread``
    values are left out (the legend says which)."""
    figure, axes = page_grid(1, 1, 3.2)
    axis = axes[0]
    missing = []
    for index, (group, rows) in enumerate(frame.groupby(by, sort=False)):
        rows = rows.dropna(subset=[spread, metric])
        if rows.empty:
            missing.append(display_name(str(group)))
            continue
        colour = "tab:red" if group == "fovex" else _OTHERS[index % len(_OTHERS)]
        axis.scatter(rows[spread], rows[metric], s=6, alpha=0.4, color=colour, label=display_name(str(group)))
        axis.plot(rows[spread].mean(), rows[metric].mean(), "o", markersize=9, color=colour, markeredgecolor="black")
    axis.set_xlabel(f"{spread.replace('_', ' ')} per photo (share of the image the map keeps)", fontsize=8)
    axis.set_ylabel(metric_label(metric), fontsize=8)
    if missing:  # said under the plot, where it covers no photo
        axis.set_xlabel(f"{axis.get_xlabel()}; no {spread} recorded for {', '.join(missing)}", fontsize=8)
    legend_below(figure, axis)
    return finish_chart(figure, axes, title)


#: The stored insertion/deletion curves: panel name and what the x axis counts.
CURVES = {
    "deletion_curve": ("deletion", "fraction of pixels removed"),
    "insertion_curve": ("insertion", "fraction of pixels restored"),
}


def curves_figure(maps_by_group: dict, highlight: str = "fovex", title: str = ""):
    """Mean deletion and insertion curves per group: softmax score of the explained class against the
    fraction of pixels removed (restored), averaged over the images whose maps hold the curve.

    ``maps_by_group``: group -> stored arrays by row key (:meth:`fovex.evaluation.reader.Run.maps`), each with
    ``deletion_curve`` and ``insertion_curve`` of S points at fractions ``linspace(0, 1, S)``.
    The groups are named in the legend below the panels.
    """
    figure, axes = new_figure(PAGE_WIDTH_IN, 3.0, 1, len(CURVES))
    for axis, (curve, (name, xlabel)) in zip(axes[0], CURVES.items()):
        count = 0
        for group, maps in maps_by_group.items():
            curves = np.stack([entry[curve] for entry in maps.values() if curve in entry])  # (N, S)
            count = max(count, len(curves))
            fraction = np.linspace(0, 1, curves.shape[1])
            label = display_name(str(group))
            axis.plot(fraction, curves.mean(0), label=label, linewidth=2.2 if group == highlight else 1.0)
        axis.set_xlabel(xlabel, fontsize=TICK_PT)
        axis.set_ylabel("softmax score", fontsize=TICK_PT)
        axis.set_title(f"mean {name} curve ({count} images)", fontsize=TITLE_PT)
    legend_below(figure, axes[0, 0])
    return finish_chart(figure, axes[0], title)


def table_heatmap(table, label: str, title: str = "", vmin: float = 0.0, vmax: float = 100.0, cmap: str = "viridis"):
    """A table of numbers (rows x columns, e.g. :func:`fovex.study.findings.pointing_by_class`) as a heat map
    with its colour bar labelled ``label``; NaN cells stay blank. Method columns are named as the book
    names them, wrapped to their cell's width (smaller, or upright, when a word would not fit)."""
    figure, axes = new_figure(PAGE_WIDTH_IN, max(2.4, 0.22 * len(table) + 1.2))
    axis = axes[0, 0]
    image = axis.imshow(table.to_numpy(dtype=float), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    rows = [str(i) for i in table.index]
    names = book_names(table.columns)
    cell_in = (PAGE_WIDTH_IN - max((text_width_in(r, TICK_PT) for r in rows), default=0) - 1.4) / table.shape[1]
    size = min(fit_text(name, cell_in - 0.08, TICK_PT, smallest=TICK_PT - 1.5)[1] for name in names)
    columns = [wrap_text(name, cell_in - 0.08, size) for name in names]
    upright = not all(words_fit(name, cell_in - 0.08, size) for name in names)
    if upright:  # a word wider than its cell: the names stand upright instead
        columns, size = [wrap_text(name, 1.2, TICK_PT) for name in names], TICK_PT
    axis.set_xticks(range(table.shape[1]), columns, rotation=90 if upright else 0)
    axis.set_yticks(range(table.shape[0]), rows)
    figure.colorbar(image, ax=axis, label=label)
    finish_chart(figure, [axis], title)
    axis.tick_params(axis="x", labelsize=size)
    return figure


def trend_figure(frame, x: str, metrics: list[str], xscale: str = "linear", xlabel: str = "", title: str = ""):
    """One panel per metric: its mean over rows against ``x``, with error bars of one standard error
    of the mean (``std / sqrt(n)`` over the rows of each ``x`` value); ticks at the ``x`` values."""
    from matplotlib.ticker import NullFormatter

    figure, axes = page_grid(len(metrics), len(metrics), 3.2)
    plot_in = PAGE_WIDTH_IN / len(metrics) - PAD_IN - 0.3
    for axis, metric in zip(axes, metrics):
        grouped = frame.groupby(x)[metric].agg(["mean", "sem"])
        axis.errorbar(grouped.index, grouped["mean"], yerr=grouped["sem"], marker="o", capsize=3)
        axis.set_xscale(xscale)
        if xscale == "log":  # label the values measured, not the decades around them
            axis.set_xticks(grouped.index, [f"{value:g}" for value in grouped.index])
            axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel(wrap_text(xlabel or x, plot_in, TICK_PT), fontsize=TICK_PT)
        axis.set_title(wrap_text(metric_label(metric), plot_in, TITLE_PT), fontsize=TITLE_PT)
    return finish_chart(figure, axes, title)


def settings_figure(panels: dict, metrics: list[str], title: str = ""):
    """One panel per setting: each metric's mean for each value of the setting, values side by side.

    ``panels``: panel title -> ``(rows, column)``, the rows to average and the column holding the
    setting's value (e.g. ``"heatmap_s"``); values are shown in sorted order. The metrics are named in
    the legend below the panels.
    """
    figure, axes = page_grid(len(panels), len(panels), 3.2)
    plot_in = PAGE_WIDTH_IN / len(panels) - PAD_IN - 0.3
    sizes = []  # each panel's x tick size: values shrink before they wrap
    for axis, (name, (rows, column)) in zip(axes, panels.items()):
        grouped = rows.groupby(column)[list(metrics)].mean()
        positions = np.arange(len(grouped))
        for metric, marker in zip(metrics, "os^vD"):
            axis.plot(positions, grouped[metric], marker + "-", label=metric_label(metric))
        values = [f"{value:g}" if isinstance(value, float) else str(value) for value in grouped.index]
        room = 0.9 * plot_in / max(1, len(grouped))  # each value's share of the axis
        size = min(fit_text(value, room, TICK_PT)[1] for value in values)
        axis.set_xticks(positions, [wrap_text(value, room, size) for value in values])
        sizes.append(size)
        axis.set_title(wrap_text(name, plot_in, TITLE_PT), fontsize=TITLE_PT)
    legend_below(figure, axes[0])
    finish_chart(figure, axes, title)
    for axis, size in zip(axes, sizes):
        axis.tick_params(axis="x", labelsize=size)
    return figure


def relative_differences_figure(differences, band_pct: float = 2.0, title: str = ""):
    """Forest plot of :func:`fovex.report.relative_differences`: per metric, each candidate's difference
    from the reference in % of the reference's mean, with its paired 95 % interval; the shaded band is
    ``±band_pct`` % (a difference small enough to call equal), the line is 0."""
    metrics = list(dict.fromkeys(differences["metric"]))
    candidates = list(dict.fromkeys(differences["candidate"]))
    reference = display_name(str(differences["reference"].iloc[0]))
    counts = differences.drop_duplicates("candidate").set_index("candidate")["n"].reindex(candidates).fillna(0)
    labels = [wrap_text(f"{display_name(str(c))} (n={n:.0f})", LABEL_MAX_IN, TICK_PT) for c, n in counts.items()]
    label_in = max(text_width_in(label, TICK_PT) for label in labels)
    plot_in = (PAGE_WIDTH_IN - label_in) / len(metrics) - PAD_IN
    figure, axes = new_figure(PAGE_WIDTH_IN, 1.3 + rows_height_in(labels), 1, len(metrics), sharey=True)
    positions = np.arange(len(candidates))
    for axis, metric in zip(axes[0], metrics):
        part = differences[differences["metric"] == metric].set_index("candidate").reindex(candidates)
        below = (part["difference_pct"] - part["ci_low_pct"]).clip(lower=0).fillna(0)
        above = (part["ci_high_pct"] - part["difference_pct"]).clip(lower=0).fillna(0)
        axis.errorbar(part["difference_pct"], positions, xerr=[below, above], fmt="o", capsize=3)
        axis.axvspan(-band_pct, band_pct, color="tab:green", alpha=0.12, label=f"within {band_pct:g} %")
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_yticks(positions, labels)
        xlabel = f"{metric_label(metric)}: % difference from {reference}"
        axis.set_xlabel(wrap_text(xlabel, plot_in, TICK_PT), fontsize=TICK_PT)
    axes[0, 0].invert_yaxis()  # first candidate on top (the axes share y)
    axes[0, 0].legend(loc="lower left", fontsize=TICK_PT)
    return finish_chart(figure, axes[0], title)


def cost_figure(cost, title: str = ""):
    """Per explainer at its fastest batch size (rows of :func:`fovex.benchmark.time_explainer`):
    seconds per explanation and model passes per image (forward + backward), on log axes."""
    best = cost.sort_values("seconds_per_image").drop_duplicates("explainer")
    labels = [wrap_text(name, LABEL_MAX_IN, TICK_PT) for name in book_names(best["explainer"])]
    plot_in = (PAGE_WIDTH_IN - max(text_width_in(label, TICK_PT) for label in labels)) / 2 - PAD_IN
    figure, axes = new_figure(PAGE_WIDTH_IN, 1.2 + rows_height_in(labels), 1, 2, sharey=True)
    seconds, passes = axes[0]
    positions = np.arange(len(best))
    seconds.barh(positions, best["seconds_per_image"], color="tab:blue")
    seconds.set_yticks(positions, labels)
    seconds.set_xlabel(wrap_text("seconds per explanation (log)", plot_in, TICK_PT), fontsize=TICK_PT)
    passes.barh(positions, best["forward_passes"] + best["backward_passes"], color="tab:orange")
    xlabel = "model passes per image, forward + backward (log)"
    passes.set_xlabel(wrap_text(xlabel, plot_in, TICK_PT), fontsize=TICK_PT)
    for axis in axes[0]:
        axis.set_xscale("log")
    seconds.invert_yaxis()  # fastest on top (the axes share y)
    return finish_chart(figure, axes[0], title)


def study_cost_figure(cost, title: str = ""):
    """Hours of one core per study run (rows of :func:`fovex.study.study_cost`): spent, then left at the
    current rate, as one stacked bar each, labelled with the images reached of those planned."""
    figure, axes = new_figure(PAGE_WIDTH_IN, 0.35 * len(cost) + 1.0, 1, 1)
    axis = axes[0][0]
    names = [
        f"{run} ({int(row.images)} of {int(row.planned) if np.isfinite(row.planned) else '?'})"
        for run, row in cost.iterrows()
    ]
    names = [wrap_text(name, LABEL_MAX_IN * 1.5, TICK_PT) for name in names]
    spent, left = cost["hours"].to_numpy(float), np.nan_to_num(cost["hours_left"].to_numpy(float))
    axis.barh(names, spent, color="tab:blue", label="spent")
    axis.barh(names, left, left=spent, color="tab:blue", alpha=0.35, label="left (current rate)")
    axis.invert_yaxis()  # the runs in the order they are computed
    axis.set_xlabel("hours of one CPU core", fontsize=TICK_PT)
    legend_below(figure, axis)
    return finish_chart(figure, [axis], title)
