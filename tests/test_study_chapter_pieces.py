"""The pieces the book's chapters call (fovex.study.chapters, .localisation, .overview, .cost,
.scanpaths), on small hand-made rows: each chapter only calls them, so their numbers are checked here."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from fovex.study.chapters import count, pair_counts, scored_maps
from fovex.study.chapters.cost import (
    COST_COLUMNS,
    agreement_view,
    cost_table,
    device_lines,
    full_benchmark,
    preset_differences,
    preset_passes,
    study_cost_line,
)
from fovex.study.chapters.localisation import examples, pairs_per_method, skipped_pairs, voc_mapping, with_pointing_pct
from fovex.study.chapters.overview import describe_axes, faithfulness_comparisons, paragraphs, verdicts, without
from fovex.study.chapters.scanpaths import class_names, class_titles, first_samples, map_difference


def test_chapter_helpers_count_pairs_and_scored_maps():
    rows = pd.DataFrame({"unit": ["a", "a", "b"], "image_id": ["1", "2", "2"]})
    assert count(rows) == 2 and count(rows, "image_id") == 2
    table = pd.DataFrame({"N": [200, 150]}, index=["gradcam", "rise"])
    assert pair_counts(table) == "Grad-CAM 200, RISE 150"
    run = SimpleNamespace(
        explainers=["fovex", "rise", "gradcam"],
        ok=pd.DataFrame({"explainer": ["gradcam", "fovex"]}),
        maps=lambda label: {"key": label},
    )
    assert scored_maps(run) == {"fovex": {"key": "fovex"}, "gradcam": {"key": "gradcam"}}  # rise has no rows


def _localisation() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": ["1", "1", "2", "1", "1", "2"],
            "explainer": ["fovex"] * 3 + ["gradcam"] * 3,
            "object_class": ["dog", "sofa", "tvmonitor"] * 2,
            "status": ["ok", "skipped", "skipped", "ok", "skipped", "skipped"],
            "pointing_hit": [True, None, None, False, None, None],
        }
    )


def test_localisation_pieces():
    rows = _localisation()
    assert skipped_pairs(rows) == (2, ["sofa", "tvmonitor"])
    assert skipped_pairs(rows[rows["explainer"] == "gradcam"], "gradcam") == (2, ["sofa", "tvmonitor"])
    ok = rows[rows["status"] == "ok"]
    assert with_pointing_pct(ok)["pointing_pct"].tolist() == [100.0, 0.0]
    assert pairs_per_method(ok) == 1 and pairs_per_method(rows) == 3 and pairs_per_method(ok.iloc[:0]) == 0
    assert examples(rows, "gradcam", 2)["object_class"].tolist() == ["dog", "sofa"]
    mapping = voc_mapping()
    assert mapping["person"] == "none" and isinstance(mapping["dog"], int) and mapping["dog"] > 100


def _judged_faithfulness():
    from fovex.study.judged import Scope, judge_scopes

    rows = pd.DataFrame(
        {
            "unit": ["a", "b", "c"] * 3,
            "explainer": ["fovex"] * 3 + ["gradcam"] * 3 + ["random"] * 3,
            "drop_pct": [10.0, 20.0, 30.0, 15.0, 25.0, 32.0, 60.0, 70.0, 80.0],
            "insertion_auc": [0.6, 0.5, 0.7, 0.5, 0.5, 0.6, 0.3, 0.2, 0.3],
        }
    )
    return judge_scopes([Scope("faithfulness", "d", rows, ("drop_pct", "insertion_auc"), "fovex")])


def test_overview_pieces():
    study = SimpleNamespace(describe=lambda: "faithfulness: 200 of 1000 images")
    assert describe_axes({"faithfulness": study, "localisation": None}) == (
        "faithfulness: 200 of 1000 images\nlocalisation: no study run yet (compute it with `fovex study run`)"
    )
    from fovex.study.chapters.overview import VERDICT_COLUMNS

    claims = pd.DataFrame(
        [{**dict.fromkeys(VERDICT_COLUMNS, "-"), "claim": c, "verdict": v} for c, v in [("a", "x"), ("b", "y")]]
    )
    assert verdicts(claims).loc["b", "verdict"] == "y" and verdicts(claims).columns.tolist() == VERDICT_COLUMNS
    judged = _judged_faithfulness()
    (picked,) = faithfulness_comparisons(judged).values()  # one scope: data set "d"
    assert set(picked["metric"]) == {"drop_pct", "insertion_auc"} and set(picked["candidate"]) == {"fovex"}
    assert set(picked["reference"]) == {"gradcam", "random"}  # every other method, floors included
    rows = pd.DataFrame({"explainer": ["fovex", "random", "centre", "rise"]})
    assert without(rows)["explainer"].tolist() == ["fovex", "rise"]
    assert without(rows, ["fovex"])["explainer"].tolist() == ["random", "centre", "rise"]
    assert paragraphs("one", None, "", "two") == "one\n\ntwo" and paragraphs(None, "") == ""


def test_cost_pieces(tmp_path):
    cost = pd.DataFrame([{**{column: 1.23456 for column in COST_COLUMNS}, "explainer": "fovex", "extra": 9}])
    assert cost_table(cost).columns.tolist() == COST_COLUMNS and cost_table(cost)["ratio_to_floor"].iloc[0] == 1.235

    assert full_benchmark(tmp_path / "absent.csv") is None
    path = tmp_path / "cpu.csv"
    pd.DataFrame(
        {"machine": ["x86, 2 threads"], "model": ["m"], "explainer": ["gradcam"], "seconds_per_image": [0.12345]}
    ).to_csv(path, index=False)
    table, machine = full_benchmark(path)
    assert machine == "x86, 2 threads"
    assert table.columns.tolist() == ["model", "explainer", "seconds_per_image"]  # the shown columns it has
    assert table.iloc[0].tolist() == ["m", "Grad-CAM", 0.123]

    costs = pd.DataFrame({"hours": [1.04, 2.0], "hours_left": [0.5, 0.0]})
    assert study_cost_line(costs).startswith("3.0 core-hours spent, 0.5 left")

    rows = pd.DataFrame(
        {
            "explainer": ["fast", "fast", "published"],
            "source": ["s"] * 3,
            "forward_passes": [48, 48, 200],
            "backward_passes": [48, 48, 200],
            "explain_seconds": [1.0, 2.0, 4.0],
        }
    )
    passes = preset_passes(rows)
    assert passes.loc[("fast", "s"), "seconds per image"] == pytest.approx(1.5)
    from fovex.report.standard import Comparison
    from fovex.study.chapters.cost import preset_finding, preset_judged
    from fovex.study.presets import PresetComparison

    comparison = Comparison("cost", "step 1", "m", "insertion_auc", "fast", "published", 0.58, 0.6, -0.02, 0.004,
                            5.7e-7, 188, -3.3333, 0.6667)  # fmt: skip
    presets = PresetComparison(rows, [], [], [comparison], {("step 1", "fast"): 190, ("step 1", "published"): 196})
    judged = preset_judged(presets)
    shown = preset_differences(judged)  # one line per candidate and setting, in % of the published mean
    assert shown["candidate"].tolist() == ["fast, step 1"] and shown["difference_pct"].tolist() == [-3.3333]
    assert shown["word"].tolist() == ["worse"]
    finding = preset_finding(judged, presets)
    assert "published reached 196, fast reached 190), on the 188 photos both reached: insertion AUC" in finding
    assert "(worse)" in finding

    assert device_lines({"faithfulness": "cuda:0", "localisation": "cpu"}).splitlines() == [
        "faithfulness: recomputed on cuda:0",
        "localisation: recomputed on cpu (not a GPU: these rows test the plumbing only)",
    ]
    agreement = pd.DataFrame({"run": ["r"], "explainer": ["e"], "metric": ["m"], "pearson_r": [0.999996]})
    assert agreement_view(agreement).loc[("r", "e", "m"), "pearson_r"] == 1.0


def test_scanpath_pieces():
    assert first_samples(["a", "b", "c"], 2) == ["a", "b"] and first_samples(["a"], 3) == ["a"]
    model = SimpleNamespace(class_names=["cat", "dog", "fox"])
    assert class_names(model, torch.tensor([2, 0])) == ["fox", "cat"]
    assert class_titles(model, torch.tensor([1, 2])) == ["dog (1)", "fox (2)"]
    maps = torch.zeros(2, 4, 4)
    maps[1, :2] = 1.0  # half the pixels differ by 1
    assert map_difference(SimpleNamespace(attribution=maps)) == pytest.approx(0.5)
