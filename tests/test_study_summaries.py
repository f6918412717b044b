"""Chapter openings (fovex.study.summaries): sentences computed from the rows, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from fovex.study.summaries import chapter_opening, ranking_sentence


def _rows(values: dict[str, list[float]], column: str) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": name, column: value} for name, series in values.items() for value in series])


def test_a_higher_is_better_metric_ranks_by_the_largest_mean():
    rows = _rows(
        {"fovex": [0.5, 0.7], "gradcam": [0.8, 0.8], "rise": [0.1, 0.3], "random": [0.99, 0.99]}, "insertion_auc"
    )
    # Means: fovex 0.6, gradcam 0.8, rise 0.2; random is a floor and is not ranked.
    assert ranking_sentence(rows, "insertion_auc") == "insertion AUC: best gradcam (0.800); fovex 0.600, second of 3"


def test_a_lower_is_better_metric_ranks_by_the_smallest_mean_and_the_winner_is_named_once():
    rows = _rows({"fovex": [10.0, 20.0], "gradcam": [30.0, 50.0], "centre": [0.0, 0.0]}, "drop_pct")
    assert ranking_sentence(rows, "drop_pct") == "%Drop: best fovex (15.0), of 2 methods"


def test_missing_values_and_columns_are_left_out():
    rows = _rows({"fovex": [1.0, float("nan")], "gradcam": [float("nan"), float("nan")]}, "nss")
    assert ranking_sentence(rows, "nss") == "NSS: best fovex (1.00), of 1 method"
    assert ranking_sentence(rows, "cc") is None


def test_an_axis_without_rows_has_no_opening(tmp_path):
    (tmp_path / "configs" / "study").mkdir(parents=True)
    assert chapter_opening("faithfulness", root=tmp_path) == ""
    with pytest.raises(ValueError, match="axes with one: faithfulness"):
        chapter_opening("cost", root=tmp_path)


def test_the_committed_faithfulness_rows_open_their_chapter():
    opening = chapter_opening("faithfulness")
    if not opening:
        pytest.skip("no committed faithfulness measurements")
    assert opening.startswith("**The study so far** (efficientnet_lite0; ")
    assert "insertion AUC: best " in opening and "deletion AUC: best " in opening


def test_the_committed_map_spreads_open_the_receptive_field_chapter():
    opening = chapter_opening("receptive-field")
    if not opening:
        pytest.skip("no committed map spreads")
    assert "fovex 0." in opening and "%Drop" in opening
    listed = opening.split("brackets: ")[1].split(". ")[0].split(", ")
    spreads = [float(entry.split(" ")[1]) for entry in listed]
    assert spreads == sorted(spreads) and all(0 < value < 1 for value in spreads)  # narrowest map first
