"""Figures of images: a static figure without pyplot, attribution overlays, numbered scanpaths, grids."""

from __future__ import annotations

import io

import numpy as np
import torch
from matplotlib.figure import Figure

from .text import fit_text, set_suptitle, wrap_text

#: Width of the book's content column in inches: figures drawn at this width are shown unscaled.
PAGE_WIDTH_IN = 7.0


class StaticFigure(Figure):
    """A matplotlib Figure that IPython shows as PNG by itself (no pyplot, no inline backend needed)."""

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def new_figure(width_in: float, height_in: float, rows: int = 1, cols: int = 1, **subplots):
    """A ``width_in`` x ``height_in`` inch figure (constrained layout) with a ``rows`` x ``cols`` grid.

    Returns ``(figure, axes)`` with ``axes`` always of shape (rows, cols); ``subplots`` go to
    :meth:`matplotlib.figure.Figure.subplots` (``sharey=True``, ...).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = StaticFigure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)  # the figure's own canvas: savefig works without any pyplot backend
    return figure, figure.subplots(rows, cols, squeeze=False, **subplots)


def figure_to_png(figure, dpi: int = 100) -> bytes:
    """PNG bytes of a figure; no timestamp or software tag, so equal figures give equal bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


# --- drawing on one axis ------------------------------------------------------------------------


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
            ax.text(
                x, y, str(index), color="white", ha="center", va="center", fontsize=7, zorder=4, gid="fixation-number"
            )
    height, width = image.shape[-2:]
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_axis_off()


def _plot_image(ax, image: torch.Tensor, title: str = "") -> None:
    ax.imshow(to_numpy_image(image))
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=8)


def _plot_boxes(ax, boxes, color: str = "white") -> None:
    """Outline each pixel box ``(x0, y0, x1, y1)`` (inclusive corners, as ``fovex.data`` gives them)."""
    from matplotlib.patches import Rectangle

    for x0, y0, x1, y1 in boxes:
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color=color, linewidth=1.2))


def stack_maps(maps: dict, keys, field: str = "attribution") -> torch.Tensor:
    """One stored array per key (:meth:`fovex.evaluation.reader.Run.maps`), stacked: (N, ...) float32, in
    ``keys`` order."""
    return torch.stack([torch.as_tensor(np.asarray(maps[key][field], dtype=np.float32)) for key in keys])


# --- explanations -------------------------------------------------------------------------------


def explanation_figure(image: torch.Tensor, attribution: torch.Tensor, fixations_xy=None, title: str = ""):
    """A figure with the image, the attribution overlay and (if given) the numbered scanpath."""
    panels = 3 if fixations_xy is not None else 2
    side = PAGE_WIDTH_IN / panels  # square panels filling the content width
    figure, axes = new_figure(PAGE_WIDTH_IN, side + 0.5, 1, panels)
    axes = axes[0]
    _plot_image(axes[0], image)
    axes[0].set_title("image", fontsize=9)
    plot_attribution(axes[1], image, attribution)
    axes[1].set_title("attribution", fontsize=9)
    if fixations_xy is not None:
        plot_scanpath(axes[2], image, fixations_xy)
        axes[2].set_title("scanpath", fontsize=9)
    set_suptitle(figure, title, 10)
    return figure


def comparison_grid(
    images, attributions: dict, row_titles=None, fixations_xy=None, boxes=None, panel_in: float = 2.2, title: str = ""
):
    """Rows: images; columns: the image, then one overlay per method; square panels of ``panel_in``
    inches, narrower when the columns would not fit the page's content width (:data:`PAGE_WIDTH_IN`).
    Methods are named as the book names them (:func:`fovex.explain.display_name`); titles wrap to
    their panel.

    images: (N, 3, H, W). attributions: method name -> (N, H, W). fixations_xy: optional method name ->
    (N, T, 2) scanpaths drawn on that method's panel. boxes: optional, per row a list of pixel boxes
    ``(x0, y0, x1, y1)`` outlined on every overlay of the row (e.g. the explained object).
    """
    from ..explain import display_name

    methods = list(attributions)
    rows, cols = images.shape[0], len(methods) + 1
    panel_in = min(panel_in, PAGE_WIDTH_IN / cols)
    text_in = panel_in - 0.08  # a title's room: the panel less the space between panels
    fitted = [fit_text(display_name(str(method)), text_in, 9) for method in methods]
    names, name_pt = [name for name, _ in fitted], min(size for _, size in fitted)  # one size for the row
    names = [wrap_text(display_name(str(method)), text_in, name_pt) for method in methods]
    fitted = [fit_text(t, text_in, 8) for t in row_titles] if row_titles is not None else [("", 8)] * rows
    row_titles, row_pt = [t for t, _ in fitted], min(size for _, size in fitted)
    row_titles = [wrap_text(t, text_in, row_pt) for t in row_titles]
    lines = max(name.count("\n") for name in names) + max(t.count("\n") + 1 for t in row_titles)
    figure, axes = new_figure(panel_in * cols, (panel_in + 0.15 * lines) * rows, rows, cols)
    for r in range(rows):
        _plot_image(axes[r, 0], images[r])
        axes[r, 0].set_title(row_titles[r], fontsize=row_pt)
        for c, method in enumerate(methods, start=1):
            plot_attribution(axes[r, c], images[r], attributions[method][r])
            if fixations_xy and method in fixations_xy:
                points = fixations_xy[method][r].detach().float().cpu().numpy()
                axes[r, c].plot(points[:, 0], points[:, 1], "w.-", markersize=4, linewidth=0.8)
            if boxes is not None:
                _plot_boxes(axes[r, c], boxes[r])
            if r == 0:
                axes[r, c].set_title(names[c - 1], fontsize=name_pt)
    set_suptitle(figure, title, 9)
    return figure


def localisation_figure(run, rows, title: str = ""):
    """The maps of every explainer of ``run`` (a localisation :class:`fovex.evaluation.reader.Run`) on the given
    (image, class) rows, with the boxes of the explained class outlined: :func:`comparison_grid`
    with one row per (image, class), titled "VOC class → explained ImageNet class".

    ``rows``: results rows with ``image_id``, ``object_class`` and ``target_name`` (one per shown pair).
    Images come from ``run.dataset()``: the size and crop the run fed the model, so boxes and maps align.
    """
    samples = run.dataset()
    picked = [samples[samples.index_of(image_id)] for image_id in rows["image_id"]]
    classes = list(rows["object_class"])
    keys = [f"{image_id}/{name}" for image_id, name in zip(rows["image_id"], classes)]  # the stored maps' row keys
    return comparison_grid(
        torch.stack([sample.image for sample in picked]),
        {label: stack_maps(run.maps(label, ids=keys), keys) for label in run.explainers},
        row_titles=[f"{name} → {target}" for name, target in zip(classes, rows["target_name"])],
        boxes=[[obj.box for obj in sample.objects if obj.name == name] for sample, name in zip(picked, classes)],
        title=title,
    )


def gaze_figure(run, image_ids, explainer: str = "fovex", title: str = ""):
    """Per image (row) of a free-viewing ``run``: the human fixation density, ``explainer``'s map, and
    its numbered scanpath (yellow) next to the first observer's (cyan), in the run's image frame."""
    from ..explain import display_name

    samples = run.dataset()
    picked = [samples[samples.index_of(image_id)] for image_id in image_ids]
    maps = run.maps(explainer, ids=image_ids)
    name, text_in = display_name(explainer), PAGE_WIDTH_IN / 3 - 0.1
    titles = [
        [f"{sample.id}: human density", f"{name} map", f"{name} (yellow) and one observer (cyan)"] for sample in picked
    ]
    titles = [[wrap_text(title, text_in, 8) for title in row] for row in titles]
    lines = max(title.count("\n") + 1 for row in titles for title in row)
    attributions, scanpaths = stack_maps(maps, image_ids), stack_maps(maps, image_ids, "fixations_xy")
    figure, axes = new_figure(PAGE_WIDTH_IN, (PAGE_WIDTH_IN / 3 + 0.05 + 0.17 * lines) * len(picked), len(picked), 3)
    for r, sample in enumerate(picked):
        axes[r, 0].imshow(np.asarray(sample.density), cmap="magma")
        axes[r, 0].set_axis_off()
        axes[r, 0].set_title(titles[r][0], fontsize=8)
        plot_attribution(axes[r, 1], sample.image, attributions[r])
        axes[r, 1].set_title(titles[r][1], fontsize=8)
        plot_scanpath(axes[r, 2], sample.image, scanpaths[r])
        observer = next(iter(sample.fixations.scanpaths().values()))  # (T, 2) pixels, x right, y down
        axes[r, 2].plot(observer[:, 0], observer[:, 1], "c.-", linewidth=1)
        axes[r, 2].set_title(titles[r][2], fontsize=8)
    set_suptitle(figure, title, 9)
    return figure
