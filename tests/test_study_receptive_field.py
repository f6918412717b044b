"""The receptive-field chapter's tables (fovex.study.chapters.receptive_field), on small hand-made rows."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from fovex.foveation import fovea_sigma_px
from fovex.study.chapters.receptive_field import (
    CANDIDATE_COLUMNS,
    PUBLISHED_MAP,
    ablation_means,
    ablation_panels,
    against_reference,
    apply_variant_rule,
    count,
    development_status,
    fovea_sigmas,
    heatmap_widths,
    published_fovea,
    spread_means,
    spread_scored,
    spread_shown,
    sweep_explainers,
    sweep_rows,
    variant_table,
    variants_line,
)
from fovex.study.paths import DEVELOPMENT_PHOTOS


def _sweep() -> pd.DataFrame:
    """Three photos at two fovea sizes; s=0.05 is worse by 3 %Drop, 0.1 deletion and 0.2 insertion."""
    published = pd.DataFrame(
        {
            "unit": ["d/a", "d/b", "d/c"],
            "fovea_s": 0.15,
            "variant": "s=0.15 (published)",
            "drop_pct": [10.0, 20.0, 30.0],
            "deletion_auc": [0.1, 0.2, 0.3],
            "insertion_auc": [0.5, 0.6, 0.7],
        }
    )
    small = published.assign(
        fovea_s=0.05,
        variant="s=0.05",
        drop_pct=published["drop_pct"] + 3,
        deletion_auc=published["deletion_auc"] + 0.1,
        insertion_auc=published["insertion_auc"] - 0.2,
    )
    return pd.concat([small, published], ignore_index=True)


def test_count_is_the_number_of_distinct_values():
    assert count(_sweep()) == 3
    assert count(pd.DataFrame({"image_id": ["a", "a", "b"]}), "image_id") == 2


def _judged(rows, reference, metrics, by="variant", unit="unit", family="receptive field"):
    from fovex.study.judged import Scope, judge_scopes

    return judge_scopes([Scope(family, "sweep", rows, tuple(metrics), reference, by=by, unit=unit)])


def test_the_fovea_sweep_is_read_against_the_published_size():
    sweep = _sweep()
    assert published_fovea(sweep) == "s=0.15 (published)"
    metrics = ["drop_pct", "deletion_auc", "insertion_auc"]
    judged = _judged(sweep, published_fovea(sweep), metrics)
    differences = against_reference(judged, "sweep", published_fovea(sweep), metrics).set_index("metric")
    assert set(differences["candidate"]) == {"s=0.15 (published)"} and set(differences["reference"]) == {"s=0.05"}
    # each fovea size minus the published one: constant per photo, so the interval is the point
    assert differences.loc["drop_pct", "difference"] == pytest.approx(3.0)
    assert differences.loc["deletion_auc", "difference"] == pytest.approx(0.1)
    assert differences.loc["insertion_auc", "difference"] == pytest.approx(-0.2)
    assert differences.loc["insertion_auc", ["ci_low", "ci_high"]].tolist() == pytest.approx([-0.2, -0.2])
    # no spread: every difference is exact, so each is a difference in its metric's direction
    assert differences["word"].to_dict() == {"drop_pct": "worse", "deletion_auc": "worse", "insertion_auc": "worse"}


def _faithfulness() -> SimpleNamespace:
    ok = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "a", "b", "c"],
            "unit": ["d/a", "d/b", "d/c"] * 2,
            "explainer": ["fovex"] * 3 + ["gradcam"] * 3,
            "drop_pct": [10.0, 20.0, 30.0, 5.0, 6.0, 7.0],
            "deletion_auc": [0.2, 0.3, 0.4, 0.1, 0.1, 0.1],
            "insertion_auc": [0.6, 0.6, 0.6, 0.7, 0.7, 0.7],
            "increase_pct": [0.0, 100.0, 0.0, 100.0, 100.0, 100.0],
        }
    )
    return SimpleNamespace(ok=ok)


def _variants() -> pd.DataFrame:
    """Two heat-map s variants and one first-n variant on photos a and b."""
    return pd.DataFrame(
        {
            "image_id": ["a", "b"] * 3,
            "variant": ["s=0.05"] * 2 + ["s=0.3"] * 2 + ["first 2"] * 2,
            "heatmap_s": [0.05, 0.05, 0.3, 0.3, 0.15, 0.15],
            "upto": [np.nan, np.nan, np.nan, np.nan, 2.0, 2.0],
            "aggregation": ["sum"] * 6,
            "drop_pct": [11.0, 21.0, 9.0, 19.0, 30.0, 40.0],
            "deletion_auc": [0.1, 0.2, 0.3, 0.4, 0.2, 0.3],
            "insertion_auc": [0.6, 0.6, 0.5, 0.5, 0.6, 0.6],
            "increase": [False, True, False, False, True, True],
            "increase_pct": [0.0, 100.0, 0.0, 0.0, 100.0, 100.0],
        }
    )


def test_the_variant_table_puts_the_published_map_first_on_the_variants_photos():
    table = variant_table(_faithfulness(), _variants())
    published = table[table["variant"] == PUBLISHED_MAP]
    assert published["image_id"].tolist() == ["a", "b"]  # photo c has no variant, gradcam is no map variant
    assert published["deletion_auc"].tolist() == [0.2, 0.3]
    assert table["variant"].drop_duplicates().tolist() == [PUBLISHED_MAP, "s=0.05", "s=0.3", "first 2"]
    assert variant_table(None, _variants()) is None
    assert variant_table(_faithfulness(), pd.DataFrame()) is None


def test_variant_differences_are_each_variant_minus_the_published_map():
    table = variant_table(_faithfulness(), _variants())
    judged = _judged(table, PUBLISHED_MAP, ["deletion_auc", "insertion_auc"], unit="image_id", family="map variants")
    differences = against_reference(judged, "sweep", PUBLISHED_MAP, ["deletion_auc"], "map variants")
    deletion = differences.set_index("reference")["difference"]
    # published deletion on a, b: 0.2, 0.3
    assert deletion.to_dict() == pytest.approx({"s=0.05": -0.1, "s=0.3": 0.1, "first 2": 0.0})


def test_the_variant_rule_picks_the_variant_that_helps_deletion_and_keeps_insertion():
    table = variant_table(_faithfulness(), _variants())
    judged = _judged(table, PUBLISHED_MAP, ["deletion_auc", "insertion_auc"], unit="image_id", family="map variants")
    candidates, choice = apply_variant_rule(judged, "sweep", PUBLISHED_MAP)
    assert candidates.columns.tolist() == CANDIDATE_COLUMNS
    assert sorted(candidates.index) == ["first 2", "s=0.05", "s=0.3"]
    assert candidates.loc["s=0.05", "deletion_interval"] == "−0.100 [−0.100, −0.100]"
    assert candidates.loc["s=0.05", "helps_deletion"] and candidates.loc["s=0.05", "keeps_insertion"]
    assert not candidates.loc["s=0.3", "keeps_insertion"]  # insertion 0.1 lower on both photos
    assert candidates.loc["first 2", "deletion"] == "tied" and not candidates.loc["first 2", "helps_deletion"]
    assert candidates.loc["s=0.3", "n"] == 2
    assert choice == "s=0.05"


def test_the_development_status_says_how_far_the_variants_are():
    rows = _variants()
    assert development_status(rows) == f"provisional: 2 of {DEVELOPMENT_PHOTOS} development photos so far"
    everything = pd.DataFrame({"image_id": [str(i) for i in range(DEVELOPMENT_PHOTOS)]})
    assert development_status(everything) == "final"
    assert variants_line(rows, {"exported_at": "2026-01-02"}) == (
        f"2 of the {DEVELOPMENT_PHOTOS} development photos re-scored (2026-01-02)"
    )
    assert variants_line(rows, {}).endswith("(not exported)")


def test_the_spread_rows_join_each_map_and_add_the_heatmap_width_variants():
    spreads = pd.DataFrame(
        {"image_id": ["a", "b", "a"], "explainer": ["fovex", "fovex", "gradcam"], "map_mean": [0.4, 0.6, 0.2]}
    )
    scored = spread_scored(_faithfulness(), spreads)
    assert len(scored) == 3 and scored["map_mean"].tolist() == [0.4, 0.6, 0.2]
    assert spread_scored(None, spreads) is None and spread_scored(_faithfulness(), pd.DataFrame()) is None

    widths = heatmap_widths(_variants())  # the first-n variant is not a width
    assert widths["explainer"].drop_duplicates().tolist() == ["fovex s=0.05", "fovex s=0.3"]
    shown, title = spread_shown(scored, _variants())
    assert len(shown) == 3 + 4
    assert title == "2 photos (methods), 2 photos (FovEx heat-map s variants)"
    alone, title = spread_shown(scored, pd.DataFrame())
    assert alone is scored and title == "2 photos (methods)"

    means = spread_means(scored)
    assert means.index.tolist() == ["FovEx", "Grad-CAM"] and means.index.name == "method"
    assert means.iloc[0].tolist() == pytest.approx([0.5, 15.0])  # mean map value, %Drop of photos a, b
    assert means.iloc[1].tolist() == pytest.approx([0.2, 5.0])


def test_the_sweep_ties_the_fovea_and_the_heat_map():
    entries = sweep_explainers([0.05, 0.15], fixations=2, steps=3)
    assert entries[0] == {
        "name": "fovex",
        "label": "fovex s=0.05",
        "settings": {"fovea_s": 0.05, "heatmap_s": 0.05, "fixations": 2, "steps": 3},
    }
    assert [entry["label"] for entry in entries] == ["fovex s=0.05", "fovex s=0.15"]
    ok = pd.DataFrame({"explainer": ["fovex s=0.15", "fovex s=0.05"], "drop_pct": [1.0, 2.0]})
    assert sweep_rows(SimpleNamespace(ok=ok), [0.05, 0.15])["s"].tolist() == [0.15, 0.05]
    sigmas = fovea_sigmas([0.15], 224)
    assert sigmas == {"s=0.15": f"σ ≈ {fovea_sigma_px(0.15, 224):.0f} px at 224 px"}


def test_the_ablation_tables_vary_one_setting_each():
    ablation = pd.DataFrame(
        {
            "image_id": ["a", "b"] * 5,
            "variant": ["s=0.05"] * 2 + ["s=0.15"] * 2 + ["first 1"] * 2 + ["max"] * 2 + ["s=0.3"] * 2,
            "heatmap_s": [0.05, 0.05, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.3, 0.3],
            "upto": [np.nan] * 4 + [1.0, 1.0] + [np.nan] * 4,
            "aggregation": ["sum"] * 6 + ["max"] * 2 + ["sum"] * 2,
            "deletion_auc": [0.1, 0.3, 0.2, 0.2, 0.4, 0.6, 0.3, 0.3, 0.0, 0.2],
            "insertion_auc": [0.5] * 10,
        }
    )
    means = ablation_means(ablation)
    assert means.index.tolist() == ["s=0.05", "s=0.15", "first 1", "max", "s=0.3"]
    assert means.loc["s=0.05", ("deletion_auc", "mean")] == pytest.approx(0.2)
    assert means.loc["s=0.05", ("deletion_auc", "sem")] == pytest.approx(0.1)
    panels = ablation_panels(ablation, [0.05, 0.15], fixations=10)
    widths, column = panels["heat-map s"]
    assert column == "heatmap_s" and widths["variant"].drop_duplicates().tolist() == ["s=0.05", "s=0.15"]
    used, column = panels["fixations used"]
    assert column == "upto" and used["upto"].tolist() == [10.0, 10.0, 1.0, 1.0]  # all fixations: 10
    aggregated, column = panels["aggregation"]
    assert aggregated["aggregation"].tolist() == ["sum", "sum", "max", "max"]
