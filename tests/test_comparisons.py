"""Paired comparisons compare like with like: rows scored under different metric settings are refused
(issue 26, item 6), and the cost chapter's seed yardstick pairs matched rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fovex.evaluation.store import export_results, load_first_available
from fovex.evaluation.store.exports import metric_settings_key
from fovex.report import paired_difference, paired_differences, relative_differences
from fovex.report.statistics import MixedSettingsError
from fovex.study.presets import compare_presets

OLD = metric_settings_key({"faithfulness": {"insertion_substrate": "blur", "batch_size": 8, "step": None}})
NEW = metric_settings_key({"faithfulness": {"insertion_substrate": "rise-blur", "batch_size": 64, "step": None}})


def _rows(settings: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "a", "b", "c"],
            "explainer": ["fovex"] * 3 + ["gradcam"] * 3,
            "insertion_auc": [0.5, 0.6, 0.7, 0.4, 0.6, 0.5],
            "metric_settings": settings,
        }
    )


def test_rows_of_different_metric_settings_are_refused_by_every_paired_comparison():
    mixed = _rows([NEW] * 3 + [OLD] * 3)  # FovEx on the RISE substrate, Grad-CAM on the older one
    for compare in (
        lambda: paired_difference(mixed, "insertion_auc", "fovex", "gradcam"),
        lambda: paired_differences(mixed, ["insertion_auc"]),
        lambda: relative_differences(mixed, "gradcam", ["insertion_auc"]),  # not skipped as "nothing shared"
    ):
        with pytest.raises(MixedSettingsError, match="insertion_substrate: 'blur' vs 'rise-blur'"):
            compare()


def test_rows_of_one_metric_setting_are_compared_and_batch_size_is_not_a_setting():
    assert OLD != NEW and metric_settings_key({"a": {"batch_size": 8}}) == metric_settings_key(
        {"a": {"batch_size": 64}}
    )
    same = _rows([NEW] * 6)
    d = paired_difference(same, "insertion_auc", "fovex", "gradcam")
    assert d["difference"] == pytest.approx((0.1 + 0.0 + 0.2) / 3) and d["n"] == 3


def test_loaded_rows_carry_their_runs_metric_settings(tmp_path):
    from test_evaluation_store import _manifest, _write  # a hand-made run directory

    run = tmp_path / "run"
    config = {"models": [{"label": "m"}], "explainers": [{"label": "e1"}], "metric_settings": {"f": {"s": "blur"}}}
    _manifest(run, config=config)
    _write(run, 0, ["a", "b"])
    export_results(run, tmp_path / "run.csv")
    for source in (run, tmp_path / "run.csv"):
        rows, _, _ = load_first_available([source])
        assert rows["metric_settings"].tolist() == ['{"f": {"s": "blur"}}'] * 2


def test_the_seed_yardstick_pairs_rows_of_its_own_substrate_and_photos():
    """seed 43 (100 photos, older insertion substrate) against the published seed's rows of that substrate on
    the same photos, not against the study's RISE-substrate rows on another photo order (19 shared)."""
    sources = [
        ["book/measurements/study-fast-vs-published.csv"],
        ["book/measurements/fast-vs-published.csv"],
        ["book/measurements/published-seed-reference.csv"],
    ]
    found = compare_presets(sources)
    table = pd.DataFrame([vars(c) for c in found.comparisons]).set_index(["candidate", "scope", "metric"])
    seed = table.loc[("fovex-published-seed43", "faithfulness.insertion_substrate='blur'", "insertion_auc")]
    assert (
        seed["n"] == 100 and found.reached[("faithfulness.insertion_substrate='blur'", "fovex-published-seed43")] == 100
    )
    # Recomputed by hand from the two files: the same 100 photos, the mean over them of each side.
    old = pd.read_csv("book/measurements/fast-vs-published.csv", dtype={"image_id": str})
    ref = pd.read_csv("book/measurements/published-seed-reference.csv", dtype={"image_id": str})
    published = old[old["explainer"] == "fovex-published"].drop_duplicates("image_id").set_index("image_id")
    shared = published.loc[ref["image_id"], "insertion_auc"]
    expected = (ref["insertion_auc"].mean() - shared.mean()) / shared.mean() * 100
    assert seed["relative"] == pytest.approx(expected, rel=1e-12)
    assert seed["relative"] == pytest.approx(1.008, abs=5e-4)
    fast = table.loc[("fovex-fast", "faithfulness.insertion_substrate='rise-blur'", "insertion_auc")]
    assert fast["n"] == 188 and np.isclose(fast["relative"], -3.314, atol=5e-4)
    assert found.unmatched == []
    # In the book's judged table: the seed alone moves insertion by ~1 %, a tie; the fast preset loses it.
    from fovex.study.judged import judged_study

    judged = judged_study()
    scope = "faithfulness.insertion_substrate="
    assert judged.get(scope + "'blur'", "insertion_auc", "fovex-published-seed43", "fovex-published").word == "tied"
    assert judged.get(scope + "'rise-blur'", "insertion_auc", "fovex-fast", "fovex-published").word == "worse"


def test_the_fovea_sweep_says_exactly_which_s_varied():
    """The study's receptive-field run varies the fovea's s only; its heat maps keep s = 0.15 (issue 26, item 8)."""
    from fovex.study import fovea_sweep
    from fovex.study.openings import chapter_opening, what_varied

    sweep = fovea_sweep()
    assert set(sweep["heatmap_s"]) == {0.15} and sweep["fovea_s"].nunique() == 5
    assert what_varied(sweep) == "The fovea's s alone (the heat map's s stays 0.15)"
    assert "**The fovea's s alone (the heat map's s stays 0.15)** (100 photos" in chapter_opening("receptive-field")
    tied = pd.DataFrame({"fovea_s": [0.05, 0.6], "heatmap_s": [0.05, 0.6]})
    assert what_varied(tied) == "The fovea's s and the heat map's s together"
    assert what_varied(tied.assign(heatmap_s=[0.1, 0.2])) == "The fovea's s and the heat map's s, not in step"


def test_map_variants_carry_the_settings_of_the_run_whose_scanpaths_they_rescore():
    """The receptive-field chapter pairs FovEx's own rows with its map variants: same settings, not refused."""
    from fovex.study import load_axis, load_map_variants
    from fovex.study.variants import _with_source_settings

    loaded, faithfulness = load_map_variants(), load_axis("faithfulness")
    if loaded is None or faithfulness is None:
        pytest.skip("no committed map variants")
    rows, _, provenance = loaded
    own = faithfulness.ok[faithfulness.ok["explainer"] == "fovex"]
    assert set(rows["metric_settings"]) == set(own["metric_settings"])  # one setting on both sides
    reference = "s=0.15, sum, all fixations (published)"
    table = pd.concat([own.assign(variant=reference), rows])
    differences = paired_differences(table, ["deletion_auc"], candidate=reference, by="variant")
    assert len(differences) == rows["variant"].nunique()
    # Variants re-scored from another run's scanpaths get no settings, and pairing them is refused.
    other = _with_source_settings(rows.drop(columns="metric_settings"), {**provenance, "source_config_hash": "x"})
    assert "metric_settings" not in other
    with pytest.raises(MixedSettingsError):
        table = pd.concat([own.assign(variant=reference), other])
        paired_differences(table, ["deletion_auc"], candidate=reference, by="variant")
