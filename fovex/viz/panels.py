"""The study's chart panels laid out for the page: grids that drop columns for long labels, rows
spaced for wrapped labels, titles that wrap, legends below the panels."""

from __future__ import annotations

from ..explain import display_name
from .figures import PAGE_WIDTH_IN, new_figure
from .text import set_suptitle, text_width_in, wrap_text

TICK_PT, TITLE_PT, LEGEND_PT = 8, 9, 7
LABEL_MAX_IN = 1.7  # y labels wrap beyond this width
PANEL_MIN_IN = 1.7  # a panel's plot narrower than this takes a row of its own instead
PAD_IN = 0.45  # a panel's frame, x tick labels and the space between panels


def page_grid(panels: int, columns: int, row_height_in: float):
    """A page-wide figure with ``panels`` axes, ``columns`` per row (unused cells hidden)."""
    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure, axes = new_figure(PAGE_WIDTH_IN, row_height_in * rows, rows, columns)
    for axis in axes.flat[panels:]:
        axis.set_visible(False)
    return figure, list(axes.flat[:panels])


def book_names(groups) -> list[str]:
    """Groups (method keys, variants) as the book names them."""
    return [display_name(str(group)) for group in groups]


def fit_columns(columns: int, label_in: float) -> tuple[int, float]:
    """Fewer columns while a panel's plot would be narrower than :data:`PANEL_MIN_IN`; with the plot's width."""
    while columns > 1 and PAGE_WIDTH_IN / columns - label_in - PAD_IN < PANEL_MIN_IN:
        columns -= 1
    return columns, PAGE_WIDTH_IN / columns - label_in - PAD_IN


def wrapped_labels(names: list[str], columns: int) -> tuple[list[str], int, float]:
    """y labels wrapped as narrow as it takes (down to two thirds of :data:`LABEL_MAX_IN`) to keep
    ``columns`` panels per row, else fewer columns. Returns ``(labels, columns, plot width in inches)``."""
    for width_in in (LABEL_MAX_IN, LABEL_MAX_IN * 5 / 6, LABEL_MAX_IN * 2 / 3):
        labels = [wrap_text(name, width_in, TICK_PT) for name in names]
        label_in = max((text_width_in(label, TICK_PT) for label in labels), default=0.0)
        fitted, plot_in = fit_columns(columns, label_in)
        if fitted == columns:
            break
    return labels, fitted, plot_in


def labelled_grid(panels: int, columns: int, names: list[str], titles: list[str]):
    """A grid of horizontal panels sharing the y labels ``names`` (one row each), wrapped: as many
    columns as fit beside the labels, row height from the labels' lines and the wrapped panel
    ``titles``. Returns ``(figure, axes, wrapped labels, wrapped titles)``."""
    labels, columns, plot_in = wrapped_labels(names, min(columns, panels))
    titles = [wrap_title(title, plot_in) for title in titles]
    title_lines = max((title.count("\n") + 1 for title in titles), default=1)
    figure, axes = page_grid(panels, columns, rows_height_in(labels) + 0.7 + 0.17 * title_lines)
    return figure, axes, labels, titles


def wrap_title(title: str, width_in: float) -> str:
    """A panel title wrapped to ``width_in``; one too wide breaks after its first ``": "`` first
    (``"variant − published:\ninsertion AUC ↑"``)."""
    if text_width_in(title, TITLE_PT) > width_in and ": " in title:
        title = title.replace(": ", ":\n", 1)
    return wrap_text(title, width_in, TITLE_PT)


def rows_height_in(labels: list[str]) -> float:
    """Height of a panel with one evenly spaced row per label: neighbours' lines must not meet."""
    lines = [label.count("\n") + 1 for label in labels]
    widest_pair = max((a + b for a, b in zip(lines, lines[1:])), default=2 * lines[0] if lines else 2)
    return len(labels) * 0.14 * max(1.8, widest_pair / 2 + 0.5)


def finish_chart(figure, axes, title: str):
    for axis in axes:
        axis.tick_params(labelsize=TICK_PT)
    set_suptitle(figure, title, TITLE_PT)
    return figure


def legend_below(figure, axis, labels=None) -> None:
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
