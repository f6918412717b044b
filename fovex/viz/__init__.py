"""Static figures: attribution overlays, numbered scanpaths and the study's plots.

Every figure starts in :func:`new_figure`: a :class:`StaticFigure` on its own Agg canvas, without
pyplot, so the library holds no global figure state (nothing to close, nothing shown twice), draws
the same PNG bytes on any display or backend, and a notebook shows a returned figure with
``display(figure)``.

- :mod:`~fovex.viz.figures`: the figure itself, images, maps, scanpaths, grids.
- :mod:`~fovex.viz.charts`: the study's charts, laid out by :mod:`~fovex.viz.panels`.
- :mod:`~fovex.viz.text`: text that fits its room (every figure's titles and labels wrap to the page).
"""

from .charts import (
    METRIC_LABELS,
    cost_figure,
    curves_figure,
    interval_bars,
    paired_differences_figure,
    photo_spread_figure,
    relative_differences_figure,
    settings_figure,
    spread_figure,
    study_cost_figure,
    table_heatmap,
    trend_figure,
)
from .figures import (
    PAGE_WIDTH_IN,
    StaticFigure,
    comparison_grid,
    explanation_figure,
    figure_to_png,
    gaze_figure,
    localisation_figure,
    new_figure,
    plot_attribution,
    plot_scanpath,
    stack_maps,
    to_numpy_image,
)
from .text import fit_text, set_suptitle, text_width_in, words_fit, wrap_text

__all__ = [
    "METRIC_LABELS",
    "PAGE_WIDTH_IN",
    "StaticFigure",
    "comparison_grid",
    "cost_figure",
    "curves_figure",
    "explanation_figure",
    "figure_to_png",
    "fit_text",
    "gaze_figure",
    "interval_bars",
    "localisation_figure",
    "new_figure",
    "paired_differences_figure",
    "photo_spread_figure",
    "plot_attribution",
    "plot_scanpath",
    "relative_differences_figure",
    "set_suptitle",
    "settings_figure",
    "spread_figure",
    "stack_maps",
    "study_cost_figure",
    "table_heatmap",
    "text_width_in",
    "to_numpy_image",
    "trend_figure",
    "words_fit",
    "wrap_text",
]
