"""Static figures of the study: sized for the page, drawing the numbers they are given."""
import numpy as np
import pandas as pd
import pytest

from fovex.report import bootstrap_ci, paired_differences
from fovex.viz import PAGE_WIDTH_IN, interval_bars, paired_differences_figure, spread_figure


def _frame():
    rng = np.random.default_rng(0)
    rows = []
    for name, offset in (("fovex", 0.0), ("gradcam", 1.0), ("rise", 2.0)):
        for i in range(20):
            rows.append({"image_id": f"i{i}", "explainer": name, "a": offset + rng.random(), "b": -offset + rng.random()})
    return pd.DataFrame(rows)


def test_interval_bars_draw_means_and_bootstrap_intervals_at_page_width():
    frame = _frame()
    figure = interval_bars(frame, ["a", "b"])
    assert figure.get_size_inches()[0] == pytest.approx(PAGE_WIDTH_IN)
    axis = figure.axes[0]
    widths = [patch.get_width() for patch in axis.patches]
    expected = [frame.loc[frame["explainer"] == e, "a"].mean() for e in ("fovex", "gradcam", "rise")]
    assert widths == pytest.approx(expected)
    assert axis.patches[0].get_facecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=1e-2)  # tab:red
    # The error bar of the first group spans its bootstrap interval.
    segments = axis.collections[0].get_segments()
    low, high = bootstrap_ci(frame.loc[frame["explainer"] == "fovex", "a"])
    assert sorted(segments[0][:, 0]) == pytest.approx([low, high])


def test_paired_differences_figure_marks_each_rival_difference_and_zero():
    frame = _frame()
    differences = paired_differences(frame, ["a"])
    figure = paired_differences_figure(differences)
    axis = figure.axes[0]
    x, y = axis.lines[0].get_data()
    assert list(x) == pytest.approx(list(differences["difference"]))  # about -1 and -2
    assert list(y) == [0, 1]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["gradcam", "rise"]
    assert any(line.get_xdata()[0] == 0.0 and line.get_linestyle() == "--" for line in axis.lines[1:])


def test_spread_figure_places_each_group_at_its_means():
    frame = _frame().rename(columns={"a": "map_mean"})
    figure = spread_figure(frame, ["b"])
    axis = figure.axes[0]
    points = [(line.get_xdata()[0], line.get_ydata()[0]) for line in axis.lines]
    expected = frame.groupby("explainer", sort=False)[["map_mean", "b"]].mean().to_numpy()
    assert np.array(points) == pytest.approx(expected)
    assert [t.get_text() for t in axis.texts] == ["fovex", "gradcam", "rise"]
