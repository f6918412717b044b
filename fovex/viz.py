"""Plots: attribution overlays and numbered scanpaths (matplotlib, headless-safe)."""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["explanation_figure", "plot_attribution", "plot_scanpath", "to_numpy_image"]


def to_numpy_image(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) tensor in [0, 1] -> (H, W, 3) float array for imshow."""
    return image.detach().float().cpu().clamp(0, 1).permute(1, 2, 0).numpy()


def plot_attribution(ax, image: torch.Tensor, attribution: torch.Tensor, alpha: float = 0.5, cmap: str = "jet"):
    """Image with the attribution map (H, W) in [0, 1] laid over it."""
    ax.imshow(to_numpy_image(image))
    artist = ax.imshow(attribution.detach().float().cpu().numpy(), cmap=cmap, alpha=alpha, vmin=0.0, vmax=1.0)
    ax.set_axis_off()
    return artist


def plot_scanpath(ax, image: torch.Tensor, fixations_xy: torch.Tensor, upto: int | None = None, color: str = "yellow"):
    """Image with the numbered scanpath (T, 2) pixel (x, y); ``upto`` shows only the first fixations."""
    ax.imshow(to_numpy_image(image))
    points = fixations_xy.detach().float().cpu().numpy()
    if upto is not None:
        points = points[:upto]
    if len(points):
        ax.plot(points[:, 0], points[:, 1], "-", color=color, linewidth=1.5, alpha=0.8)
        for index, (x, y) in enumerate(points, start=1):
            ax.scatter([x], [y], s=160, facecolor="black", edgecolor=color, linewidth=1.5, zorder=3)
            ax.text(x, y, str(index), color="white", ha="center", va="center", fontsize=7, zorder=4)
    height, width = image.shape[-2:]
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_axis_off()


def explanation_figure(image: torch.Tensor, attribution: torch.Tensor, fixations_xy=None, title: str = ""):
    """A figure with the image, the attribution overlay and (if given) the numbered scanpath."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    panels = 3 if fixations_xy is not None else 2
    figure, axes = plt.subplots(1, panels, figsize=(3.2 * panels, 3.4), constrained_layout=True)
    axes[0].imshow(to_numpy_image(image))
    axes[0].set_axis_off()
    axes[0].set_title("image", fontsize=9)
    plot_attribution(axes[1], image, attribution)
    axes[1].set_title("attribution", fontsize=9)
    if fixations_xy is not None:
        plot_scanpath(axes[2], image, fixations_xy)
        axes[2].set_title("scanpath", fontsize=9)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def comparison_grid(images, attributions: dict, row_titles=None, fixations_xy=None, panel_in: float = 2.2):
    """Rows: images; columns: the image, then one overlay per method.

    images: (N, 3, H, W). attributions: method name -> (N, H, W). fixations_xy: optional method name ->
    (N, T, 2) scanpaths drawn on that method's panel.
    """
    plt = _pyplot()
    methods = list(attributions)
    rows, cols = images.shape[0], len(methods) + 1
    figure, axes = plt.subplots(rows, cols, figsize=(panel_in * cols, panel_in * rows), squeeze=False,
                                constrained_layout=True)  # fmt: skip
    for r in range(rows):
        axes[r, 0].imshow(to_numpy_image(images[r]))
        axes[r, 0].set_axis_off()
        if row_titles is not None:
            axes[r, 0].set_title(row_titles[r], fontsize=8)
        for c, method in enumerate(methods, start=1):
            plot_attribution(axes[r, c], images[r], attributions[method][r])
            if fixations_xy and method in fixations_xy:
                points = fixations_xy[method][r].detach().float().cpu().numpy()
                axes[r, c].plot(points[:, 0], points[:, 1], "w.-", markersize=4, linewidth=0.8)
            if r == 0:
                axes[r, c].set_title(method, fontsize=9)
    return figure


#: Width of the book's content column in inches: figures drawn at this width are shown unscaled.
PAGE_WIDTH_IN = 7.0

#: Axis labels of the study's metric columns, with the better direction.
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
    plt = _pyplot()
    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(PAGE_WIDTH_IN, row_height_in * rows), squeeze=False,
                                constrained_layout=True)  # fmt: skip
    for axis in axes.flat[panels:]:
        axis.set_visible(False)
    return figure, list(axes.flat[:panels])


def interval_bars(frame, metrics: list[str], by: str = "explainer", highlight: str = "fovex", title: str = "",
                  columns: int = 2):  # fmt: skip
    """One panel per metric: each group's mean as a horizontal bar with its 95 % bootstrap interval.

    ``frame``: rows with a ``by`` column and the metric columns (one row per image and group).
    Groups keep their first-appearance order; ``highlight`` is drawn in red. Fits the page width.
    """
    from .report import bootstrap_ci

    groups = list(dict.fromkeys(frame[by]))
    figure, axes = _grid(len(metrics), columns, 0.28 * len(groups) + 0.9)
    for axis, metric in zip(axes, metrics):
        values = [frame.loc[frame[by] == group, metric].astype(float) for group in groups]
        means = np.array([v.mean() for v in values])
        intervals = np.array([bootstrap_ci(v) for v in values]).reshape(-1, 2)
        errors = np.abs(intervals.T - means)
        axis.barh(groups, means, xerr=errors, capsize=2, color=["tab:red" if g == highlight else "tab:gray" for g in groups])
        axis.invert_yaxis()
        axis.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
        axis.tick_params(labelsize=8)
    if title:
        figure.suptitle(title, fontsize=8)
    return figure


def paired_differences_figure(differences, title: str = "", columns: int = 2):
    """Forest plot of :func:`fovex.report.paired_differences`: per metric, candidate minus each rival.

    A point is the mean per-image difference, its bar the paired 95 % interval; the dashed line is 0
    (no difference). Which side is better depends on the metric (its label says).
    """
    metrics = list(dict.fromkeys(differences["metric"]))
    rivals = list(dict.fromkeys(differences["reference"]))
    figure, axes = _grid(len(metrics), columns, 0.28 * len(rivals) + 0.9)
    for axis, metric in zip(axes, metrics):
        part = differences[differences["metric"] == metric].set_index("reference").reindex(rivals)
        positions = np.arange(len(rivals))
        axis.errorbar(part["difference"], positions, fmt="o", color="tab:red", capsize=2,
                      xerr=[part["difference"] - part["ci_low"], part["ci_high"] - part["difference"]])  # fmt: skip
        axis.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
        axis.set_yticks(positions, rivals)
        axis.invert_yaxis()
        candidate = differences["candidate"].iloc[0]
        axis.set_title(f"{candidate} − rival: {METRIC_LABELS.get(metric, metric)}", fontsize=9)
        axis.tick_params(labelsize=8)
    if title:
        figure.suptitle(title, fontsize=8)
    return figure


def spread_figure(frame, metrics: list[str], spread: str = "map_mean", by: str = "explainer", highlight: str = "fovex",
                  title: str = "", columns: int = 2):  # fmt: skip
    """Each group's mean metric against its maps' mean spread (one point per group, one panel per metric).

    ``frame``: one row per (image, group) with ``spread`` (e.g. the map's mean value, the share of
    the image ``x * A`` keeps) and the metric columns. Shows whether a metric rewards wider maps.
    """
    groups = list(dict.fromkeys(frame[by]))
    means = frame.groupby(by, sort=False)[[spread, *metrics]].mean().reindex(groups)
    figure, axes = _grid(len(metrics), columns, 2.6)
    for axis, metric in zip(axes, metrics):
        for group, row in means.iterrows():
            axis.plot(row[spread], row[metric], "o", color="tab:red" if str(group).startswith(highlight) else "tab:gray")
            axis.annotate(str(group), (row[spread], row[metric]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        axis.set_xlabel(f"mean {spread.replace('_', ' ')}", fontsize=8)
        axis.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
        axis.tick_params(labelsize=8)
    if title:
        figure.suptitle(title, fontsize=8)
    return figure
