"""Every figure the package draws fits the page: no text outside the canvas, no two texts overlapping.

Each figure function is drawn on the committed study rows (book/measurements/, through the package's
readers) and on the widest labels the book gives it (every method, the map variants' names, long class
names and titles). After ``canvas.draw()`` the window extent of every text that was drawn (titles,
suptitles, axis and tick labels, legends, annotations) must lie inside the figure and clear of every
other drawn text. Figure functions are found in the package's source, so a new one cannot escape.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

import fovex
from fovex import widgets
from fovex.evaluation.store import load_exported
from fovex.explain import Explanation, explainers
from fovex.study import FAITHFULNESS_METRICS, fovea_sweep, load_axis, load_map_variants, study_cost
from fovex.study.chapters.receptive_field import PUBLISHED_MAP, spread_scored, spread_shown, variant_table
from fovex.study.findings import paired_differences, pointing_by_class, relative_differences, reverse_differences
from fovex.study.variants import spread_rows
from fovex.viz import charts, figures

PACKAGE = Path(fovex.__file__).parent
MEASUREMENTS = PACKAGE.parent / "book" / "measurements"
SLACK_PX = 1.0  # rounding of the renderer's extents

# --- which functions draw a figure --------------------------------------------------------------


def _figure_functions() -> set[str]:
    """``module:function`` of every module-level function in fovex that makes a figure (calls
    ``new_figure``, a Figure class or pyplot's ``figure``/``subplots``) or calls such a function (a
    figure built on one), found in the source."""
    calls: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                called = {
                    call.func.id if isinstance(call.func, ast.Name) else call.func.attr
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name | ast.Attribute)
                }
                calls[f"{module}:{node.name}"] = called
    drawing, names = set(), {"new_figure", "StaticFigure", "Figure", "figure", "subplots"}
    while True:
        found = {key for key, called in calls.items() if called & names and key.split(":")[1] != "new_figure"}
        if found <= drawing:
            return drawing
        drawing |= found
        names |= {key.split(":")[1] for key in found}


# --- the rows and labels the book gives them ----------------------------------------------------


@pytest.fixture(scope="module")
def study():
    faithfulness = load_axis("faithfulness", prefer="export")
    if faithfulness is None:
        pytest.skip("no committed study rows in book/measurements/")
    return SimpleNamespace(
        faithfulness=faithfulness,
        localisation=load_axis("localisation", prefer="export"),
        plausibility=load_axis("plausibility", prefer="export"),
        sweep=fovea_sweep(prefer="export"),
        variants=load_map_variants(prefer="export"),
    )


METHODS = explainers()  # every registered method, the widest set a figure may show
LONG_TITLE = (
    "efficientnet_lite0 on imagenet-sample, 200 photos; paired; photos per method: gradcam 200, gradcam++ 200, "
    "meaningful_perturbation 200, random 200, centre 200, rise 200; bars: 95 % bootstrap intervals"
)


def _fake_run(samples, maps, labels):
    by_id = {sample.id: sample for sample in samples}
    ids = list(by_id)
    dataset = type("Samples", (), {"index_of": staticmethod(ids.index), "__getitem__": lambda s, i: by_id[ids[i]]})()
    return SimpleNamespace(
        dataset=lambda: dataset,
        maps=lambda label, ids=None: {k: v for k, v in maps[label].items() if ids is None or k in ids},
        explainers=labels,
    )


def _scanpath_explanation(method="fovex", fixations=10, size=64):
    generator = torch.Generator().manual_seed(0)
    points = torch.rand(1, fixations, 2, generator=generator) * (size - 1)
    return Explanation(
        attribution=torch.rand(1, size, size, generator=generator),
        targets=torch.tensor([3]),
        method=method,
        settings={"heatmap_s": 0.15, "aggregation": "sum"},
        forward_passes=200,
        backward_passes=200,
        fixations_xy=points,
        losses=torch.rand(1, fixations, generator=generator),
    )


def _map_explanation(method="meaningful_perturbation", size=64):
    return Explanation(torch.rand(1, size, size), torch.tensor([3]), method, {}, 300, 300)


EXPLORER_TITLE = (
    "efficientnet_lite0 on n02093256_Staffordshire_bullterrier.JPEG\nmeaningful_perturbation (steps=300, "
    "area=0.05, blur_sigma=10.0), target American Staffordshire terrier (180), p = 0.42"
)


def _cases(study) -> dict[str, list]:
    """``module:function`` -> a list of callables, each drawing one figure the book (or a reader) may see."""
    faithfulness, localisation, plausibility = study.faithfulness, study.localisation, study.plausibility
    ok, paired = faithfulness.ok, faithfulness.scored_by_all()
    rows, spreads, _ = study.variants
    reference, table = PUBLISHED_MAP, variant_table(faithfulness, rows)
    rivals = ok[~ok["explainer"].isin(["random", "centre"])]
    counts = ", ".join(f"{n} {c}" for n, c in ok.groupby("explainer", sort=False)["unit"].nunique().items())
    published_fovea = study.sweep.loc[study.sweep["fovea_s"] == 0.15, "variant"].iloc[0]
    pairs = localisation.ok.assign(pointing_pct=localisation.ok["pointing_hit"].astype(float) * 100)
    saliency = ["nss", "cc", "kld", "sim", "auc_judd", "sauc"]
    spread, _ = spread_shown(spread_scored(faithfulness, spreads), rows)
    whole, summed, published_s = rows["upto"].isna(), rows["aggregation"] == "sum", rows["heatmap_s"] == 0.15
    panels = {
        "heat-map s": (rows[summed & whole], "heatmap_s"),
        "fixations used": (rows[summed & published_s].assign(upto=lambda f: f["upto"].fillna(10)), "upto"),
        "aggregation": (rows[published_s & whole], "aggregation"),
    }
    comparison = pd.concat(
        [load_exported(MEASUREMENTS / name)[0] for name in ("fast-vs-published.csv", "published-seed-reference.csv")]
    )
    comparison = comparison[comparison["status"] == "ok"].drop_duplicates(["image_id", "explainer"])
    cost = pd.DataFrame(
        {
            "explainer": METHODS,
            "seconds_per_image": np.geomspace(0.01, 100, len(METHODS)),
            "forward_passes": np.arange(len(METHODS)) * 400 + 1,
            "backward_passes": np.arange(len(METHODS)) * 10,
        }
    )
    images = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    shown = [m for m in dict.fromkeys(ok["explainer"])]
    maps = {m: torch.rand(3, 64, 64) for m in shown}
    scanpaths = {"fovex": torch.rand(3, 10, 2) * 63}

    # Localisation: the committed (image, class, explained class) rows on synthetic photos and boxes.
    pick = localisation.ok[localisation.ok["explainer"] == "fovex"]
    pick = pick.assign(length=pick["object_class"].str.len() + pick["target_name"].str.len())
    pick = pick.sort_values("length", ascending=False).drop_duplicates("image_id").head(4)
    loc_samples = [
        SimpleNamespace(
            id=image_id,
            image=torch.rand(3, 64, 64),
            objects=[SimpleNamespace(name=name, box=(5, 5, 40, 50))],
        )
        for image_id, name in zip(pick["image_id"], pick["object_class"])
    ]
    loc_labels = list(dict.fromkeys(localisation.ok["explainer"]))
    loc_maps = {
        label: {
            f"{i}/{c}": {"attribution": np.random.rand(64, 64)} for i, c in zip(pick["image_id"], pick["object_class"])
        }
        for label in loc_labels
    }

    # Free viewing: the committed image ids, synthetic density and scanpaths.
    gaze_ids = sorted(set(plausibility.ok["image_id"]), key=len, reverse=True)[:3]
    observers = {"o1": np.array([[3.0, 4.0], [30.0, 40.0], [60.0, 10.0]])}
    gaze_samples = [
        SimpleNamespace(
            id=i,
            image=torch.rand(3, 64, 64),
            density=np.random.rand(64, 64),
            fixations=SimpleNamespace(scanpaths=lambda: observers),
        )
        for i in gaze_ids
    ]
    gaze_maps = {
        label: {
            i: {"attribution": np.random.rand(64, 64), "fixations_xy": np.random.rand(10, 2) * 63} for i in gaze_ids
        }
        for label in ("fovex", "centre_scanpath")
    }
    curves = {
        m: {
            f"i{k}": {"deletion_curve": np.linspace(1, 0, 9), "insertion_curve": np.linspace(0, 1, 9)} for k in range(3)
        }
        for m in METHODS
    }

    return {
        "fovex.viz.charts:interval_bars": [
            lambda: charts.interval_bars(paired, FAITHFULNESS_METRICS, title=LONG_TITLE),
            lambda: charts.interval_bars(plausibility.ok, saliency, columns=3, title=LONG_TITLE),
            lambda: charts.interval_bars(table, FAITHFULNESS_METRICS, by="variant", title=LONG_TITLE),
        ],
        "fovex.viz.charts:paired_differences_figure": [
            lambda: charts.paired_differences_figure(
                paired_differences(rivals, FAITHFULNESS_METRICS, unit="unit"),
                title=f"paired; photos per method: {counts}",
            ),
            lambda: charts.paired_differences_figure(
                reverse_differences(
                    paired_differences(table, ["deletion_auc", "insertion_auc"], candidate=reference, by="variant"),
                    "variant",
                ),
                title="variant − published map, 100 photos, paired",
                difference="variant − published",
            ),
            lambda: charts.paired_differences_figure(
                reverse_differences(
                    paired_differences(
                        study.sweep,
                        ["drop_pct", "deletion_auc", "insertion_auc"],
                        candidate=published_fovea,
                        by="variant",
                        unit="unit",
                    ),
                    "fovea s",
                ),
                title="fovea s − published s = 0.15, 100 photos, paired",
                difference="fovea s − published",
            ),
            lambda: charts.paired_differences_figure(
                paired_differences(pairs, ["ebpg_pct", "pointing_pct"], unit="unit"), title="136 (image, class) pairs"
            ),
            lambda: charts.paired_differences_figure(
                paired_differences(plausibility.ok, ["nss", "cc", "sauc", "kld"], unit="unit"), title="osie: 150 images"
            ),
        ],
        "fovex.viz.charts:spread_figure": [
            lambda: charts.spread_figure(spread, FAITHFULNESS_METRICS, title=LONG_TITLE),
        ],
        "fovex.viz.charts:photo_spread_figure": [
            lambda: charts.photo_spread_figure(spread_rows(), title=LONG_TITLE),
        ],
        "fovex.viz.charts:curves_figure": [lambda: charts.curves_figure(curves, title=LONG_TITLE)],
        "fovex.viz.charts:table_heatmap": [
            lambda: charts.table_heatmap(
                pointing_by_class(localisation.ok),
                "pointing-game hit rate, %",
                title=f"per-class pointing game\n{LONG_TITLE}",
            )
        ],
        "fovex.viz.charts:trend_figure": [
            lambda: charts.trend_figure(
                study.sweep,
                "fovea_s",
                ["deletion_auc", "insertion_auc", "drop_pct"],
                xscale="log",
                xlabel="s (fovea and heat map)",
                title=LONG_TITLE,
            )
        ],
        "fovex.viz.charts:settings_figure": [
            lambda: charts.settings_figure(panels, ["insertion_auc", "deletion_auc"], title=LONG_TITLE)
        ],
        "fovex.viz.charts:relative_differences_figure": [
            lambda: charts.relative_differences_figure(
                relative_differences(comparison, "fovex-published", ["insertion_auc", "deletion_auc"]), title=LONG_TITLE
            )
        ],
        "fovex.viz.charts:cost_figure": [lambda: charts.cost_figure(cost, title=LONG_TITLE)],
        "fovex.viz.charts:study_cost_figure": [
            lambda: charts.study_cost_figure(study_cost(prefer="export"), title=LONG_TITLE)
        ],
        "fovex.viz.figures:explanation_figure": [
            lambda: figures.explanation_figure(images[0], maps["fovex"][0], scanpaths["fovex"][0], title=LONG_TITLE),
            lambda: figures.explanation_figure(images[0], maps["fovex"][0], title=LONG_TITLE),
        ],
        "fovex.viz.figures:comparison_grid": [
            lambda: figures.comparison_grid(
                images, maps, row_titles=gaze_ids, fixations_xy=scanpaths, title=LONG_TITLE
            ),
            lambda: figures.comparison_grid(
                images[:2], {m: maps["fovex"][:2] for m in METHODS}, row_titles=["a", "b"], title=LONG_TITLE
            ),
        ],
        "fovex.viz.figures:localisation_figure": [
            lambda: figures.localisation_figure(_fake_run(loc_samples, loc_maps, loc_labels), pick, title=LONG_TITLE)
        ],
        "fovex.viz.figures:gaze_figure": [
            lambda: figures.gaze_figure(_fake_run(gaze_samples, gaze_maps, ["fovex"]), gaze_ids, title=LONG_TITLE),
            lambda: figures.gaze_figure(
                _fake_run(gaze_samples, gaze_maps, ["centre_scanpath"]),
                gaze_ids[:1],
                "centre_scanpath",
                title=LONG_TITLE,
            ),
        ],
        "fovex.widgets:replay_figure": [
            lambda: widgets.replay_figure(images[0], _scanpath_explanation(), title=EXPLORER_TITLE),
            lambda: widgets.replay_figure(images[0], _scanpath_explanation(), n_frames=10, title=EXPLORER_TITLE),
            lambda: widgets.replay_figure(images[0], _map_explanation(), title=EXPLORER_TITLE),
        ],
        "fovex.widgets:_explorer_figure": [
            lambda: widgets._explorer_figure(images[0], _scanpath_explanation(), 7, EXPLORER_TITLE),
            lambda: widgets._explorer_figure(images[0], _map_explanation(), 1, EXPLORER_TITLE),
        ],
    }


# --- what was drawn -------------------------------------------------------------------------------


def drawn_texts(figure, monkeypatch) -> list[tuple[Text, object]]:
    """(text, window extent) of every visible, non-empty text the figure's draw actually rendered."""
    drawn = []
    original = Text.draw

    def recording(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))

    with monkeypatch.context() as patch:
        patch.setattr(Text, "draw", recording)
        figure.canvas.draw()
    return drawn


def layout_problems(figure, monkeypatch) -> list[str]:
    """Texts outside the canvas and pairs of overlapping texts, described."""
    texts = drawn_texts(figure, monkeypatch)
    canvas = figure.bbox
    problems = [
        f"outside the canvas: {text.get_text()!r}"
        for text, box in texts
        if box.x0 < canvas.x0 - SLACK_PX
        or box.y0 < canvas.y0 - SLACK_PX
        or box.x1 > canvas.x1 + SLACK_PX
        or box.y1 > canvas.y1 + SLACK_PX
    ]
    # Fixation numbers mark points on the image: close fixations overlap by nature, so they are left out.
    marks = [(text, box) for text, box in texts if text.get_gid() != "fixation-number"]
    for (a, box_a), (b, box_b) in itertools.combinations(marks, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > SLACK_PX and height > SLACK_PX:
            problems.append(f"overlap: {a.get_text()!r} and {b.get_text()!r}")
    return problems


# --- the tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases(study):
    return _cases(study)


#: Functions that build on a figure without returning one to show (they hand it on, or write it out).
NOT_FIGURES = {
    "fovex.viz.panels:page_grid": "returns an empty grid the charts fill (each chart is drawn here)",
    "fovex.viz.panels:labelled_grid": "returns an empty grid the charts fill (each chart is drawn here)",
    "fovex.cli:_explain": "writes explanation_figure's PNG",
    "fovex.cli:_explain_files": "writes explanation_figure's PNG per file",
    # A chapter's figures per data set, photo or model, returned in display order: each is drawn by a
    # figure function with its own case here (interval_bars, paired_differences_figure, gaze_figure,
    # replay_figure, comparison_grid).
    "fovex.study.chapters.plausibility:saliency_parts": "returns interval_bars per data set (with its table)",
    "fovex.study.chapters.plausibility:difference_figures": "returns paired_differences_figure per data set",
    "fovex.study.chapters.plausibility:gaze_figures": "returns gaze_figure per data set",
    "fovex.study.chapters.scanpaths:replay_figures": "returns replay_figure per photo",
    "fovex.study.chapters.scanpaths:other_model_figures": "returns comparison_grid per model",
    "fovex.study.chapters.overview:comparison_figures": "returns paired_differences_figure per scope",
    "fovex.study.chapters.__init__:study_tables": "returns interval_bars per model (with its line and table)",
}


def test_every_figure_function_of_the_package_has_a_layout_case(cases):
    assert _figure_functions() - set(NOT_FIGURES) == set(cases)


@pytest.mark.parametrize("name", sorted(_figure_functions() - set(NOT_FIGURES)))
def test_figure_text_stays_on_the_canvas_and_apart(name, cases, monkeypatch):
    assert name in cases, f"{name} draws a figure but has no layout case here"
    for number, draw in enumerate(cases[name]):
        figure = draw()
        assert isinstance(figure, Figure)
        assert figure.get_size_inches()[0] <= figures.PAGE_WIDTH_IN + 1e-6, f"{name} case {number} wider than the page"
        problems = layout_problems(figure, monkeypatch)
        assert not problems, f"{name} case {number}:\n" + "\n".join(problems[:12])


def test_layout_check_sees_overlap_and_clipping(monkeypatch):
    figure, axes = figures.new_figure(2.0, 1.0)
    axes[0, 0].set_title("a title much longer than the two inches of this figure")
    axes[0, 0].text(0.5, 0.5, "one", transform=axes[0, 0].transAxes)
    axes[0, 0].text(0.5, 0.5, "two", transform=axes[0, 0].transAxes)
    problems = layout_problems(figure, monkeypatch)
    assert any(p.startswith("outside the canvas: 'a title") for p in problems)
    assert "overlap: 'one' and 'two'" in problems
