"""The study's charts: means with intervals, paired differences, curves, sweeps, cost."""

from __future__ import annotations

import numpy as np

from ..evaluation.scoring import COLUMN_NAMES, metric_label
from ..explain import display_name
from .figures import PAGE_WIDTH_IN, fit_text, new_figure, set_suptitle, text_width_in, words_fit, wrap_text

#: Axis and header labels of the study's metric columns, with the better direction (derived from
#: the metric registry's column names, :data:`fovex.evaluation.COLUMN_NAMES`).
METRIC_LABELS = {column: metric_label(column) for column in COLUMN_NAMES}

TICK_PT, TITLE_PT, LEGEND_PT = 8, 9, 7
_LABEL_MAX_IN = 1.7  # y labels wrap beyond this width
_PANEL_MIN_IN = 1.7  # a panel's plot narrower than this takes a row of its own instead
_PAD_IN = 0.45  # a panel's frame, x tick labels and the space between panels


def _grid(panels: int, columns: int, row_height_in: float):
    """A page-wide figure with ``panels`` axes, ``columns`` per row (unused cells hidden)."""
    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure, axes = new_figure(PAGE_WIDTH_IN, row_height_in * rows, rows, columns)
    for axis in axes.flat[panels:]:
        axis.set_visible(False)
    return figure, list(axes.flat[:panels])


def _names(groups) -> list[str]:
    """Groups (method keys, variants) as the book names them."""
    return [display_name(str(group)) for group in groups]


def _columns(columns: int, label_in: float) -> tuple[int, float]:
    """Fewer columns while a panel's plot would be narrower than :data:`_PANEL_MIN_IN`; with the plot's width."""
    while columns > 1 and PAGE_WIDTH_IN / columns - label_in - _PAD_IN < _PANEL_MIN_IN:
        columns -= 1
    return columns, PAGE_WIDTH_IN / columns - label_in - _PAD_IN


def _wrapped_labels(names: list[str], columns: int) -> tuple[list[str], int, float]:
    """y labels wrapped as narrow as it takes (down to two thirds of :data:`_LABEL_MAX_IN`) to keep
    ``columns`` panels per row, else fewer columns. Returns ``(labels, columns, plot width in inches)``."""
    for width_in in (_LABEL_MAX_IN, _LABEL_MAX_IN * 5 / 6, _LABEL_MAX_IN * 2 / 3):
        labels = [wrap_text(name, width_in, TICK_PT) for name in names]
        label_in = max((text_width_in(label, TICK_PT) for label in labels), default=0.0)
        fitted, plot_in = _columns(columns, label_in)
        if fitted == columns:
            break
    return labels, fitted, plot_in


def _labelled_grid(panels: int, columns: int, names: list[str], titles: list[str]):
    """A grid of horizontal panels sharing the y labels ``names`` (one row each), wrapped: as many
    columns as fit beside the labels, row height from the labels' lines and the wrapped panel
    ``titles``. Returns ``(figure, axes, wrapped labels, wrapped titles)``."""
    labels, columns, plot_in = _wrapped_labels(names, min(columns, panels))
    titles = [_wrap_title(title, plot_in) for title in titles]
    title_lines = max((title.count("\n") + 1 for title in titles), default=1)
    figure, axes = _grid(panels, columns, _rows_height_in(labels) + 0.7 + 0.17 * title_lines)
    return figure, axes, labels, titles


def _wrap_title(title: str, width_in: float) -> str:
    """A panel title wrapped to ``width_in``; one too wide breaks after its first ``": "`` first
    (``"variant − published:\ninsertion AUC ↑"``)."""
    if text_width_in(title, TITLE_PT) > width_in and ": " in title:
        title = title.replace(": ", ":\n", 1)
    return wrap_text(title, width_in, TITLE_PT)


def _rows_height_in(labels: list[str]) -> float:
    """Height of a panel with one evenly spaced row per label: neighbours' lines must not meet."""
    lines = [label.count("\n") + 1 for label in labels]
    widest_pair = max((a + b for a, b in zip(lines, lines[1:])), default=2 * lines[0] if lines else 2)
    return len(labels) * 0.14 * max(1.8, widest_pair / 2 + 0.5)


def _finish(figure, axes, title: str):
    for axis in axes:
        axis.tick_params(labelsize=TICK_PT)
    set_suptitle(figure, title, TITLE_PT)
    return figure


def _legend_below(figure, axis, labels=None) -> None:
    """The legend of ``axis``'s lines under the figure, in as many columns as fit the page."""
    handles, names = axis.get_legend_handles_labels()
    names = labels or names
    widest = max(text_width_in(name, LEGEND_PT) for name in names) + 0.5
    figure.legend(
        handles,
        names,
        loc="outside lower center",
        ncols=max(1, min(len(names), int(6.6 // widest))),
        fontsize=LEGEND_PT,
    )


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
    figure, axes, labels, titles = _labelled_grid(
        len(metrics), columns, _names(groups), [metric_label(m) for m in metrics]
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
    return _finish(figure, axes, title)


def paired_differences_figure(differences, title: str = "", columns: int = 2, difference: str | None = None):
    """Forest plot of :func:`fovex.report.paired_differences`: per metric, candidate minus each rival.

    A point is the mean per-image difference, its bar the paired 95 % interval; the dashed line is 0
    (no difference). Which side is better depends on the metric (its label says). ``difference``
    names what is subtracted in each panel's title (default ``"<candidate> − rival"``; e.g.
    ``"variant − published"`` for :func:`fovex.report.reverse_differences`).
    """
    metrics = list(dict.fromkeys(differences["metric"]))
    rivals = list(dict.fromkeys(differences["reference"]))
    named = difference or f"{display_name(str(differences['candidate'].iloc[0]))} − rival"
    figure, axes, labels, titles = _labelled_grid(
        len(metrics), columns, _names(rivals), [f"{named}: {metric_label(m)}" for m in metrics]
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
    return _finish(figure, axes, title)


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
    columns, plot_in = _columns(min(columns, len(metrics)), 0.5)
    figure, axes = _grid(len(metrics), columns, 2.6)
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
    _legend_below(figure, axes[0])
    return _finish(figure, axes, title)


_COLOURS = ["tab:red", "tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive"]
_MARKERS = "osD^vP*Xph<>"

#: The stored insertion/deletion curves: panel name and what the x axis counts.
CURVES = {
    "deletion_curve": ("deletion", "fraction of pixels removed"),
    "insertion_curve": ("insertion", "fraction of pixels restored"),
}


def curves_figure(maps_by_group: dict, highlight: str = "fovex", title: str = ""):
    """Mean deletion and insertion curves per group: softmax score of the explained class against the
    fraction of pixels removed (restored), averaged over the images whose maps hold the curve.

    ``maps_by_group``: group -> stored arrays by row key (:meth:`fovex.runs.Run.maps`), each with
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
    _legend_below(figure, axes[0, 0])
    return _finish(figure, axes[0], title)


def table_heatmap(table, label: str, title: str = "", vmin: float = 0.0, vmax: float = 100.0, cmap: str = "viridis"):
    """A table of numbers (rows x columns, e.g. :func:`fovex.report.pointing_by_class`) as a heat map
    with its colour bar labelled ``label``; NaN cells stay blank. Method columns are named as the book
    names them, wrapped to their cell's width (smaller, or upright, when a word would not fit)."""
    figure, axes = new_figure(PAGE_WIDTH_IN, max(2.4, 0.22 * len(table) + 1.2))
    axis = axes[0, 0]
    image = axis.imshow(table.to_numpy(dtype=float), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    rows = [str(i) for i in table.index]
    names = _names(table.columns)
    cell_in = (PAGE_WIDTH_IN - max((text_width_in(r, TICK_PT) for r in rows), default=0) - 1.4) / table.shape[1]
    size = min(fit_text(name, cell_in - 0.08, TICK_PT, smallest=TICK_PT - 1.5)[1] for name in names)
    columns = [wrap_text(name, cell_in - 0.08, size) for name in names]
    upright = not all(words_fit(name, cell_in - 0.08, size) for name in names)
    if upright:  # a word wider than its cell: the names stand upright instead
        columns, size = [wrap_text(name, 1.2, TICK_PT) for name in names], TICK_PT
    axis.set_xticks(range(table.shape[1]), columns, rotation=90 if upright else 0)
    axis.set_yticks(range(table.shape[0]), rows)
    figure.colorbar(image, ax=axis, label=label)
    _finish(figure, [axis], title)
    axis.tick_params(axis="x", labelsize=size)
    return figure


def trend_figure(frame, x: str, metrics: list[str], xscale: str = "linear", xlabel: str = "", title: str = ""):
    """One panel per metric: its mean over rows against ``x``, with error bars of one standard error
    of the mean (``std / sqrt(n)`` over the rows of each ``x`` value); ticks at the ``x`` values."""
    from matplotlib.ticker import NullFormatter

    figure, axes = _grid(len(metrics), len(metrics), 3.2)
    plot_in = PAGE_WIDTH_IN / len(metrics) - _PAD_IN - 0.3
    for axis, metric in zip(axes, metrics):
        grouped = frame.groupby(x)[metric].agg(["mean", "sem"])
        axis.errorbar(grouped.index, grouped["mean"], yerr=grouped["sem"], marker="o", capsize=3)
        axis.set_xscale(xscale)
        if xscale == "log":  # label the values measured, not the decades around them
            axis.set_xticks(grouped.index, [f"{value:g}" for value in grouped.index])
            axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel(wrap_text(xlabel or x, plot_in, TICK_PT), fontsize=TICK_PT)
        axis.set_title(wrap_text(metric_label(metric), plot_in, TITLE_PT), fontsize=TITLE_PT)
    return _finish(figure, axes, title)


def settings_figure(panels: dict, metrics: list[str], title: str = ""):
    """One panel per setting: each metric's mean for each value of the setting, values side by side.

    ``panels``: panel title -> ``(rows, column)``, the rows to average and the column holding the
    setting's value (e.g. ``"heatmap_s"``); values are shown in sorted order. The metrics are named in
    the legend below the panels.
    """
    figure, axes = _grid(len(panels), len(panels), 3.2)
    plot_in = PAGE_WIDTH_IN / len(panels) - _PAD_IN - 0.3
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
    _legend_below(figure, axes[0])
    _finish(figure, axes, title)
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
    labels = [wrap_text(f"{display_name(str(c))} (n={n:.0f})", _LABEL_MAX_IN, TICK_PT) for c, n in counts.items()]
    label_in = max(text_width_in(label, TICK_PT) for label in labels)
    plot_in = (PAGE_WIDTH_IN - label_in) / len(metrics) - _PAD_IN
    figure, axes = new_figure(PAGE_WIDTH_IN, 1.3 + _rows_height_in(labels), 1, len(metrics), sharey=True)
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
    return _finish(figure, axes[0], title)


def cost_figure(cost, title: str = ""):
    """Per explainer at its fastest batch size (rows of :func:`fovex.benchmark.time_explainer`):
    seconds per explanation and model passes per image (forward + backward), on log axes."""
    best = cost.sort_values("seconds_per_image").drop_duplicates("explainer")
    labels = [wrap_text(name, _LABEL_MAX_IN, TICK_PT) for name in _names(best["explainer"])]
    plot_in = (PAGE_WIDTH_IN - max(text_width_in(label, TICK_PT) for label in labels)) / 2 - _PAD_IN
    figure, axes = new_figure(PAGE_WIDTH_IN, 1.2 + _rows_height_in(labels), 1, 2, sharey=True)
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
    return _finish(figure, axes[0], title)


def study_cost_figure(cost, title: str = ""):
    """Hours of one core per study run (rows of :func:`fovex.study.study_cost`): spent, then left at the
    current rate, as one stacked bar each, labelled with the images reached of those planned."""
    figure, axes = new_figure(PAGE_WIDTH_IN, 0.35 * len(cost) + 1.0, 1, 1)
    axis = axes[0][0]
    names = [
        f"{run} ({int(row.images)} of {int(row.planned) if np.isfinite(row.planned) else '?'})"
        for run, row in cost.iterrows()
    ]
    names = [wrap_text(name, _LABEL_MAX_IN * 1.5, TICK_PT) for name in names]
    spent, left = cost["hours"].to_numpy(float), np.nan_to_num(cost["hours_left"].to_numpy(float))
    axis.barh(names, spent, color="tab:blue", label="spent")
    axis.barh(names, left, left=spent, color="tab:blue", alpha=0.35, label="left (current rate)")
    axis.invert_yaxis()  # the runs in the order they are computed
    axis.set_xlabel("hours of one CPU core", fontsize=TICK_PT)
    _legend_below(figure, axis)
    return _finish(figure, [axis], title)
