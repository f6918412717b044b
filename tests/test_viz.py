"""Static figures: sized for the page, drawing the numbers they are given, outside pyplot."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from fovex.study.findings import bootstrap_ci, paired_differences, pointing_by_class, relative_differences
from fovex.viz import (
    PAGE_WIDTH_IN,
    StaticFigure,
    comparison_grid,
    cost_figure,
    curves_figure,
    explanation_figure,
    figure_to_png,
    gaze_figure,
    interval_bars,
    localisation_figure,
    new_figure,
    paired_differences_figure,
    relative_differences_figure,
    settings_figure,
    spread_figure,
    stack_maps,
    study_cost_figure,
    table_heatmap,
    trend_figure,
)


def _frame():
    rng = np.random.default_rng(0)
    rows = []
    for name, offset in (("fovex", 0.0), ("gradcam", 1.0), ("rise", 2.0)):
        for i in range(20):
            rows.append(
                {"image_id": f"i{i}", "explainer": name, "a": offset + rng.random(), "b": -offset + rng.random()}
            )
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
    assert [t.get_text() for t in axis.get_yticklabels()] == ["Grad-CAM", "RISE"]  # as the book names them
    assert any(line.get_xdata()[0] == 0.0 and line.get_linestyle() == "--" for line in axis.lines[1:])
    assert axis.get_title() == "FovEx − method: a"  # floors are among the methods, not rivals
    renamed = paired_differences_figure(differences, difference="variant − published")
    assert renamed.axes[0].get_title() == "variant − published: a"


def test_spread_figure_places_each_group_at_its_means():
    frame = _frame().rename(columns={"a": "map_mean"})
    figure = spread_figure(frame, ["b"])
    axis = figure.axes[0]
    points = [(line.get_xdata()[0], line.get_ydata()[0]) for line in axis.lines]
    expected = frame.groupby("explainer", sort=False)[["map_mean", "b"]].mean().to_numpy()
    assert np.array(points) == pytest.approx(expected)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["FovEx", "Grad-CAM", "RISE"]


# --- one way of drawing a static figure -------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_pyplot_figures_left():
    """Every figure of fovex.viz lives outside pyplot: none is left open for pyplot to show or leak."""
    plt.close("all")
    yield
    assert plt.get_fignums() == []


def test_new_figure_has_a_rows_by_cols_grid_and_renders_itself_as_png():
    figure, axes = new_figure(4.0, 2.0, 2, 3, sharey=True)
    assert isinstance(figure, StaticFigure)
    assert axes.shape == (2, 3) and len(figure.axes) == 6
    assert tuple(figure.get_size_inches()) == (4.0, 2.0)
    assert new_figure(1.0, 1.0)[1].shape == (1, 1)  # one axis is still indexed [0, 0]
    png = figure._repr_png_()  # what IPython's display(figure) shows
    assert png.startswith(PNG_SIGNATURE) and png == figure_to_png(figure)


def test_explanation_figure_has_a_panel_per_view():
    image, attribution = torch.rand(3, 8, 8), torch.rand(8, 8)
    assert len(explanation_figure(image, attribution).axes) == 2
    figure = explanation_figure(image, attribution, torch.tensor([[1.0, 2.0], [5.0, 6.0]]), title="t")
    assert [axis.get_title() for axis in figure.axes] == ["image", "attribution", "scanpath"]


def test_stack_maps_keeps_the_order_of_the_keys():
    maps = {"a": {"attribution": np.zeros((2, 2), np.float16)}, "b": {"attribution": np.ones((2, 2), np.float16)}}
    stacked = stack_maps(maps, ["b", "a"])
    assert stacked.dtype == torch.float32 and stacked.shape == (2, 2, 2)
    assert stacked[:, 0, 0].tolist() == [1.0, 0.0]


def test_comparison_grid_outlines_the_boxes_of_each_row_on_every_overlay():
    images = torch.rand(2, 3, 10, 10)
    attributions = {"fovex": torch.rand(2, 10, 10), "gradcam": torch.rand(2, 10, 10)}
    figure = comparison_grid(images, attributions, row_titles=["x", "y"], boxes=[[(1, 2, 5, 7)], []], title="t")
    axes = np.array(figure.axes).reshape(2, 3)
    assert [axes[0, 0].get_title(), axes[0, 1].get_title(), axes[0, 2].get_title()] == ["x", "FovEx", "Grad-CAM"]
    box = axes[0, 1].patches[0]
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (1, 2, 4, 5)
    assert len(axes[0, 2].patches) == 1 and len(axes[1, 1].patches) == 0 and len(axes[0, 0].patches) == 0


def test_curves_figure_draws_each_groups_mean_curve():
    deletion = np.array([[1.0, 0.5, 0.0], [0.8, 0.3, 0.2]])
    maps = {
        "fovex": {
            "i0": {"deletion_curve": deletion[0], "insertion_curve": 1 - deletion[0]},
            "i1": {"deletion_curve": deletion[1], "insertion_curve": 1 - deletion[1]},
        },
        "random": {"i0": {"deletion_curve": np.zeros(3), "insertion_curve": np.ones(3)}},
    }
    figure = curves_figure(maps)
    deletion_axis, insertion_axis = figure.axes[:2]
    x, y = deletion_axis.lines[0].get_data()
    assert list(x) == pytest.approx([0, 0.5, 1]) and list(y) == pytest.approx([0.9, 0.4, 0.1])
    assert deletion_axis.lines[0].get_linewidth() > deletion_axis.lines[1].get_linewidth()  # fovex stands out
    assert list(insertion_axis.lines[0].get_ydata()) == pytest.approx([0.1, 0.6, 0.9])
    assert deletion_axis.get_title() == "mean deletion curve (2 images)"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["FovEx", "random map"]


def test_table_heatmap_shows_the_table_cells_and_labels():
    rows = pd.DataFrame(
        {
            "explainer": ["fovex", "fovex", "gradcam"],
            "object_class": ["cat", "dog", "cat"],
            "pointing_hit": [True, False, True],
        }
    )
    table = pointing_by_class(rows)
    figure = table_heatmap(table, "hit rate, %", title="per class")
    axis = figure.axes[0]
    cells = axis.images[0].get_array()
    assert cells[0].tolist() == [100.0, 100.0] and cells[1, 0] == 0.0 and cells.mask[1, 1]  # gradcam has no dog
    assert [t.get_text() for t in axis.get_xticklabels()] == ["FovEx", "Grad-CAM"]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["cat", "dog"]
    assert figure.axes[1].get_ylabel() == "hit rate, %"  # the colour bar


def test_trend_figure_plots_means_with_standard_errors():
    frame = pd.DataFrame({"s": [0.1, 0.1, 0.3, 0.3], "deletion_auc": [1.0, 3.0, 2.0, 2.0]})
    figure = trend_figure(frame, "s", ["deletion_auc"], xscale="log")
    axis = figure.axes[0]
    x, y = axis.lines[0].get_data()
    assert list(x) == [0.1, 0.3] and list(y) == [2.0, 2.0]
    low, high = axis.collections[0].get_segments()[0][:, 1]  # the first error bar spans mean ± sem
    assert sorted([low, high]) == pytest.approx([1.0, 3.0])  # sem of [1, 3] = 1
    assert axis.get_xscale() == "log" and axis.get_title() == "deletion AUC ↓"


def test_settings_figure_has_a_panel_per_setting_with_a_line_per_metric():
    frame = pd.DataFrame(
        {
            "k": [1, 1, 2],
            "agg": ["sum", "max", "sum"],
            "insertion_auc": [0.5, 0.7, 0.9],
            "deletion_auc": [0.1, 0.2, 0.3],
        }
    )
    figure = settings_figure({"k": (frame, "k"), "aggregation": (frame, "agg")}, ["insertion_auc", "deletion_auc"])
    first, second = figure.axes
    assert list(first.lines[0].get_ydata()) == pytest.approx([0.6, 0.9])  # insertion mean per k
    assert list(first.lines[1].get_ydata()) == pytest.approx([0.15, 0.3])
    assert [t.get_text() for t in second.get_xticklabels()] == ["max", "sum"]
    assert second.get_title() == "aggregation"


def _fake_run(samples, maps, explainers):
    """What the figures read from a :class:`fovex.evaluation.reader.Run`: its data set, stored maps and explainers."""
    ids = [sample.id for sample in samples]
    dataset = type("Data", (), {"index_of": lambda self, i: ids.index(i), "__getitem__": lambda self, k: samples[k]})()
    return SimpleNamespace(
        dataset=lambda: dataset,
        maps=lambda label, ids=None: {k: v for k, v in maps[label].items() if ids is None or k in ids},
        explainers=explainers,
    )


def test_localisation_figure_shows_each_pair_with_its_class_boxes():
    cat, dog = SimpleNamespace(name="cat", box=(1, 1, 4, 4)), SimpleNamespace(name="dog", box=(5, 5, 9, 9))
    samples = [SimpleNamespace(id="im0", image=torch.rand(3, 10, 10), objects=[cat, dog])]
    maps = {
        label: {
            "im0/cat": {"attribution": np.zeros((10, 10), np.float16)},
            "im0/dog": {"attribution": np.ones((10, 10), np.float16)},
        }
        for label in ("fovex", "centre")
    }
    rows = pd.DataFrame({"image_id": ["im0"], "object_class": ["dog"], "target_name": ["beagle"]})
    figure = localisation_figure(_fake_run(samples, maps, ["fovex", "centre"]), rows, title="p")
    image_axis, fovex_axis, centre_axis = figure.axes
    assert image_axis.get_title() == "dog → beagle" and fovex_axis.get_title() == "FovEx"
    assert fovex_axis.images[1].get_array().min() == 1.0  # the dog's map, not the cat's
    assert [p.get_x() for p in centre_axis.patches] == [5]  # only the dog's box


def test_gaze_figure_shows_density_map_and_scanpaths_per_image():
    scanpaths = {"o1": np.array([[1.0, 1.0], [3.0, 4.0]]), "o2": np.array([[2.0, 2.0]])}
    samples = [
        SimpleNamespace(
            id=f"im{i}",
            image=torch.rand(3, 8, 8),
            density=np.full((8, 8), float(i)),
            fixations=SimpleNamespace(scanpaths=lambda: scanpaths),
        )
        for i in range(2)
    ]
    maps = {"fovex": {f"im{i}": {"attribution": np.zeros((8, 8)), "fixations_xy": np.zeros((3, 2))} for i in range(2)}}
    figure = gaze_figure(_fake_run(samples, maps, ["fovex"]), ["im1"], title="t")
    assert len(figure.axes) == 3
    density, _, paths = figure.axes
    assert density.get_title() == "im1: human density" and density.images[0].get_array().mean() == 1.0
    observer = paths.lines[-1]
    assert list(observer.get_xdata()) == [1.0, 3.0] and list(observer.get_ydata()) == [1.0, 4.0]


def test_relative_differences_figure_places_each_candidate_at_its_difference():
    rng = np.random.default_rng(1)
    base = rng.random(30) + 1
    frame = pd.DataFrame(
        [
            {"image_id": i, "explainer": name, "a": base[i] * factor}
            for name, factor in (("ref", 1.0), ("fast", 1.1))
            for i in range(30)
        ]
    )
    differences = relative_differences(frame, "ref", ["a"])
    figure = relative_differences_figure(differences, band_pct=2.0)
    axis = figure.axes[0]
    assert list(axis.lines[0].get_xdata()) == pytest.approx([10.0])  # 10 % above the reference
    assert [t.get_text() for t in axis.get_yticklabels()] == ["fast (n=30)"]
    band = axis.patches[0]
    assert (band.get_x(), band.get_x() + band.get_width()) == (-2.0, 2.0)


def test_study_cost_figure_stacks_hours_left_after_hours_spent():
    cost = pd.DataFrame(
        {"images": [3, 0], "planned": [4, 100], "hours": [2.0, 0.0], "hours_left": [0.5, float("nan")]},
        index=pd.Index(["faithfulness", "receptive-field"], name="run"),
    )
    axis = study_cost_figure(cost).axes[0]
    spent, left = axis.patches[:2], axis.patches[2:]
    assert [p.get_width() for p in spent] == [2.0, 0.0]
    assert [(p.get_x(), p.get_width()) for p in left] == [(2.0, 0.5), (0.0, 0.0)]  # no rate yet: nothing drawn
    assert [t.get_text() for t in axis.get_yticklabels()] == ["faithfulness (3 of 4)", "receptive-field (0 of 100)"]


def test_cost_figure_shows_each_explainers_fastest_batch_on_log_axes():
    cost = pd.DataFrame(
        {
            "explainer": ["fovex", "fovex", "gradcam"],
            "seconds_per_image": [2.0, 1.0, 0.1],
            "forward_passes": [200, 200, 1],
            "backward_passes": [200, 200, 1],
        }
    )
    seconds, passes = cost_figure(cost).axes
    assert sorted(p.get_width() for p in seconds.patches) == [0.1, 1.0]
    assert sorted(p.get_width() for p in passes.patches) == [2, 400]
    assert seconds.get_xscale() == passes.get_xscale() == "log"


def test_wrap_text_keeps_every_word_and_each_line_within_the_width():
    from fovex.viz import fit_text, text_width_in, words_fit, wrap_text

    text = "s=0.15, loss_weighted, all fixations; photos per method: Meaningful Perturbation 200"
    wrapped = wrap_text(text, 1.2, 8)
    assert wrapped.count("\n") >= 2
    assert all(text_width_in(line, 8) <= 1.2 for line in wrapped.split("\n"))
    assert wrapped.replace("\n", " ").replace("_ ", "_").split() == text.split()  # nothing lost or reordered
    assert wrap_text("a short one", 3.0, 8) == "a short one" and wrap_text("x\ny", 3.0, 8) == "x\ny"
    # A word wider than the room shrinks the text before it is cut, down to the smallest size.
    assert not words_fit("Perturbation", 0.6, 9)
    fitted, size = fit_text("Meaningful Perturbation", 0.6, 9)
    assert size < 9 and fitted == "Meaningful\nPerturbation" and words_fit("Perturbation", 0.6, size)
    assert text_width_in("wide words", 9) > text_width_in("wide words", 8) > 0


def test_photo_spread_figure_draws_every_photo_and_names_methods_without_spread():
    from fovex.viz import photo_spread_figure

    frame = pd.DataFrame(
        {
            "explainer": ["fovex", "fovex", "gradcam", "gradcam", "rise", "rise"],
            "map_mean": [0.2, 0.4, 0.3, 0.5, np.nan, np.nan],
            "drop_pct": [30.0, 10.0, 20.0, 0.0, 5.0, 6.0],
        }
    )
    figure = photo_spread_figure(frame)
    axis = figure.axes[0]
    points = np.concatenate([collection.get_offsets() for collection in axis.collections])
    assert points.tolist() == [[0.2, 30.0], [0.4, 10.0], [0.3, 20.0], [0.5, 0.0]]  # one point per photo
    means = [(line.get_xdata()[0], line.get_ydata()[0]) for line in axis.lines]
    assert means == [pytest.approx((0.3, 20.0)), pytest.approx((0.4, 10.0))]
    assert axis.get_xlabel().endswith("; no map_mean recorded for RISE")  # said, not drawn over photos
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["FovEx", "Grad-CAM"]
