"""The study's charts: means with intervals, paired differences, curves, sweeps, cost."""

from __future__ import annotations

import numpy as np

from .figures import PAGE_WIDTH_IN, new_figure

METRIC_LABELS = {
    "drop_pct": "%Drop ↓",
    "increase_pct": "%Increase ↑",
    "deletion_auc": "deletion AUC ↓",
    "insertion_auc": "insertion AUC ↑",
    "ebpg_pct": "EBPG % ↑",
    "pointing_hit": "pointing game ↑",
    "pointing_pct": "pointing-game hits % ↑",
    "nss": "NSS ↑",
    "cc": "CC ↑",
    "kld": "KLD ↓",
    "sim": "SIM ↑",
    "auc_judd": "AUC-Judd ↑",
    "sauc": "sAUC ↑",
    "scanpath_dtw_px": "DTW px ↓",
    "scanpath_string_edit": "string edit ↑",
}


def _grid(panels: int, columns: int, row_height_in: float):
    """A page-wide figure with ``panels`` axes, ``columns`` per row (unused cells hidden)."""
    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure, axes = new_figure(PAGE_WIDTH_IN, row_height_in * rows, rows, columns)
    for axis in axes.flat[panels:]:
        axis.set_visible(False)
    return figure, list(axes.flat[:panels])


def _finish(figure, axes, title: str):
    for axis in axes:
        axis.tick_params(labelsize=8)
    if title:
        figure.suptitle(title, fontsize=8)
    return figure


def interval_bars(
    frame, metrics: list[str], by: str = "explainer", highlight: str = "fovex", title: str = "", columns: int = 2
):
    """One panel per metric: each group's mean as a horizontal bar with its 95 % bootstrap interval.

    ``frame``: rows with a ``by`` column and the metric columns (one row per image and group).
    Groups keep their first-appearance order; ``highlight`` is drawn in red. Fits the page width.
    """
    from ..report import bootstrap_ci

    groups = list(dict.fromkeys(frame[by]))
    figure, axes = _grid(len(metrics), columns, 0.28 * len(groups) + 0.9)
    for axis, metric in zip(axes, metrics):
        values = [frame.loc[frame[by] == group, metric].astype(float) for group in groups]
        means = np.array([v.mean() for v in values])
        intervals = np.array([bootstrap_ci(v) for v in values]).reshape(-1, 2)
        errors = np.abs(intervals.T - means)
        axis.barh(
            groups, means, xerr=errors, capsize=2, color=["tab:red" if g == highlight else "tab:gray" for g in groups]
        )
        axis.invert_yaxis()
        axis.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
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
    figure, axes = _grid(len(metrics), columns, 0.28 * len(rivals) + 0.9)
    for axis, metric in zip(axes, metrics):
        part = differences[differences["metric"] == metric].set_index("reference").reindex(rivals)
        positions = np.arange(len(rivals))
        axis.errorbar(
            part["difference"],
            positions,
            fmt="o",
            color="tab:red",
            capsize=2,
            xerr=[part["difference"] - part["ci_low"], part["ci_high"] - part["difference"]],
        )
        axis.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
        axis.set_yticks(positions, rivals)
        axis.invert_yaxis()
        named = difference or f"{differences['candidate'].iloc[0]} − rival"
        axis.set_title(f"{named}: {METRIC_LABELS.get(metric, metric)}", fontsize=9)
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
    """Each group's mean metric against its maps' mean spread (one point per group, one panel per metric).

    ``frame``: one row per (image, group) with ``spread`` (e.g. the map's mean value, the share of
    the image ``x * A`` keeps) and the metric columns. Shows whether a metric rewards wider maps.
    """
    groups = list(dict.fromkeys(frame[by]))
    means = frame.groupby(by, sort=False)[[spread, *metrics]].mean().reindex(groups)
    figure, axes = _grid(len(metrics), columns, 2.6)
    for axis, metric in zip(axes, metrics):
        for group, row in means.iterrows():
            axis.plot(
                row[spread], row[metric], "o", color="tab:red" if str(group).startswith(highlight) else "tab:gray"
            )
            axis.annotate(str(group), (row[spread], row[metric]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        axis.set_xlabel(f"mean {spread.replace('_', ' ')}", fontsize=8)
        axis.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
    return _finish(figure, axes, title)


#: Colours for the methods other than FovEx (red): the default cycle without its red.
_OTHERS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive")


def photo_spread_figure(
    frame, metric: str = "drop_pct", spread: str = "map_mean", by: str = "explainer", title: str = ""
):
    """One point per photo and method: ``metric`` against the map's ``spread`` (its mean value), one
    colour per method, with each method's mean as a large outlined marker. Methods without ``spread``
    values are left out (the legend says which)."""
    from ..explain import display_name

    figure, axes = _grid(1, 1, 3.2)
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
    axis.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize=8)
    axis.legend(fontsize=7, title=f"no {spread}: {', '.join(missing)}" if missing else None, title_fontsize=7)
    return _finish(figure, axes, title)


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
    """
    figure, axes = new_figure(PAGE_WIDTH_IN, 3.0, 1, len(CURVES))
    for axis, (curve, (name, xlabel)) in zip(axes[0], CURVES.items()):
        count = 0
        for group, maps in maps_by_group.items():
            curves = np.stack([entry[curve] for entry in maps.values() if curve in entry])  # (N, S)
            count = max(count, len(curves))
            fraction = np.linspace(0, 1, curves.shape[1])
            axis.plot(fraction, curves.mean(0), label=group, linewidth=2.2 if group == highlight else 1.0)
        axis.set_xlabel(xlabel, fontsize=8)
        axis.set_ylabel("softmax score", fontsize=8)
        axis.set_title(f"mean {name} curve ({count} images)", fontsize=9)
    axes[0, -1].legend(fontsize=7)
    return _finish(figure, axes[0], title)


def table_heatmap(table, label: str, title: str = "", vmin: float = 0.0, vmax: float = 100.0, cmap: str = "viridis"):
    """A table of numbers (rows x columns, e.g. :func:`fovex.report.pointing_by_class`) as a heat map
    with its colour bar labelled ``label``; NaN cells stay blank."""
    figure, axes = new_figure(PAGE_WIDTH_IN, max(2.4, 0.22 * len(table) + 1.2))
    axis = axes[0, 0]
    image = axis.imshow(table.to_numpy(dtype=float), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    axis.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=30)
    axis.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    figure.colorbar(image, ax=axis, label=label)
    return _finish(figure, [axis], title)


def trend_figure(frame, x: str, metrics: list[str], xscale: str = "linear", xlabel: str = "", title: str = ""):
    """One panel per metric: its mean over rows against ``x``, with error bars of one standard error
    of the mean (``std / sqrt(n)`` over the rows of each ``x`` value)."""
    figure, axes = _grid(len(metrics), len(metrics), 3.2)
    for axis, metric in zip(axes, metrics):
        grouped = frame.groupby(x)[metric].agg(["mean", "sem"])
        axis.errorbar(grouped.index, grouped["mean"], yerr=grouped["sem"], marker="o", capsize=3)
        axis.set_xscale(xscale)
        axis.set_xlabel(xlabel or x, fontsize=8)
        axis.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
    return _finish(figure, axes, title)


def settings_figure(panels: dict, metrics: list[str], title: str = ""):
    """One panel per setting: each metric's mean for each value of the setting, values side by side.

    ``panels``: panel title -> ``(rows, column)``, the rows to average and the column holding the
    setting's value (e.g. ``"heatmap_s"``); values are shown in sorted order.
    """
    figure, axes = _grid(len(panels), len(panels), 3.2)
    for axis, (name, (rows, column)) in zip(axes, panels.items()):
        grouped = rows.groupby(column)[list(metrics)].mean()
        positions = np.arange(len(grouped))
        for metric, marker in zip(metrics, "os^vD"):
            axis.plot(positions, grouped[metric], marker + "-", label=METRIC_LABELS.get(metric, metric))
        axis.set_xticks(positions, [str(value) for value in grouped.index])
        axis.set_title(name, fontsize=9)
    axes[0].legend(fontsize=8)
    return _finish(figure, axes, title)


def relative_differences_figure(differences, band_pct: float = 2.0, title: str = ""):
    """Forest plot of :func:`fovex.report.relative_differences`: per metric, each candidate's difference
    from the reference in % of the reference's mean, with its paired 95 % interval; the shaded band is
    ``±band_pct`` % (a difference small enough to call equal), the line is 0."""
    metrics = list(dict.fromkeys(differences["metric"]))
    candidates = list(dict.fromkeys(differences["candidate"]))
    reference = differences["reference"].iloc[0]
    figure, axes = new_figure(PAGE_WIDTH_IN, 1 + 0.45 * len(candidates), 1, len(metrics), sharey=True)
    positions = np.arange(len(candidates))
    for axis, metric in zip(axes[0], metrics):
        part = differences[differences["metric"] == metric].set_index("candidate").reindex(candidates)
        below = (part["difference_pct"] - part["ci_low_pct"]).clip(lower=0).fillna(0)
        above = (part["ci_high_pct"] - part["difference_pct"]).clip(lower=0).fillna(0)
        axis.errorbar(part["difference_pct"], positions, xerr=[below, above], fmt="o", capsize=3)
        axis.axvspan(-band_pct, band_pct, color="tab:green", alpha=0.12, label=f"within {band_pct:g} %")
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_yticks(positions, [f"{c} (n={n:.0f})" for c, n in zip(candidates, part["n"].fillna(0))])
        axis.set_xlabel(f"{METRIC_LABELS.get(metric, metric)}: % difference from {reference}", fontsize=8)
    axes[0, 0].invert_yaxis()  # first candidate on top (the axes share y)
    axes[0, 0].legend(loc="lower left", fontsize=8)
    return _finish(figure, axes[0], title)


def cost_figure(cost, title: str = ""):
    """Per explainer at its fastest batch size (rows of :func:`fovex.benchmark.time_explainer`):
    seconds per explanation and model passes per image (forward + backward), on log axes."""
    best = cost.sort_values("seconds_per_image").drop_duplicates("explainer")
    figure, axes = new_figure(PAGE_WIDTH_IN, 3.4, 1, 2)
    seconds, passes = axes[0]
    seconds.barh(best["explainer"], best["seconds_per_image"], color="tab:blue")
    seconds.set_xlabel("seconds per explanation (log)", fontsize=8)
    passes.barh(best["explainer"], best["forward_passes"] + best["backward_passes"], color="tab:orange")
    passes.set_xlabel("model passes per image, forward + backward (log)", fontsize=8)
    for axis in axes[0]:
        axis.set_xscale("log")
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
    spent, left = cost["hours"].to_numpy(float), np.nan_to_num(cost["hours_left"].to_numpy(float))
    axis.barh(names, spent, color="tab:blue", label="spent")
    axis.barh(names, left, left=spent, color="tab:blue", alpha=0.35, label="left (current rate)")
    axis.invert_yaxis()  # the runs in the order they are computed
    axis.set_xlabel("hours of one CPU core", fontsize=8)
    axis.legend(fontsize=7, loc="lower right")
    return _finish(figure, [axis], title)
