import numpy as np
import pandas as pd
import pytest

from fovex.report import bootstrap_ci, paired_relative_difference, published_table, summary_table


def test_bootstrap_ci_brackets_the_mean_and_degenerates_sensibly():
    values = np.arange(100, dtype=float)
    low, high = bootstrap_ci(values)
    assert low < 49.5 < high
    # Standard error of the mean is 2.9; a 95 % interval is about +-5.7 wide.
    assert 4.5 < (high - low) / 2 < 7.0
    assert bootstrap_ci([3.0]) == (3.0, 3.0)
    assert all(np.isnan(bootstrap_ci([np.nan])))


def test_summary_table_formats_mean_and_interval():
    frame = pd.DataFrame({"explainer": ["a", "a", "b", "b"], "x": [1.0, 3.0, 5.0, 5.0]})
    table = summary_table(frame, ["x"], digits=1)
    assert table.loc["a", "x"].startswith("2.0 [") and table.loc["b", "x"] == "5.0 [5.0, 5.0]"
    assert table["n"].tolist() == [2, 2]


def test_paired_relative_difference_hand_case():
    frame = pd.DataFrame({
        "image_id": ["i1", "i2", "i1", "i2"],
        "explainer": ["fast", "fast", "ref", "ref"],
        "insertion_auc": [0.5, 0.7, 0.5, 0.5],
    })
    result = paired_relative_difference(frame, "insertion_auc", "fast", "ref")
    assert result["difference_pct"] == pytest.approx((0.6 - 0.5) / 0.5 * 100)
    assert result["n"] == 2 and result["ci_low_pct"] <= result["difference_pct"] <= result["ci_high_pct"]
    with pytest.raises(ValueError, match="no images"):
        paired_relative_difference(frame, "insertion_auc", "fast", "missing")


def test_published_table_has_the_spec_numbers():
    table = published_table("resnet50")
    assert table.loc["%Drop", "fovex"] == 11.780 and table.loc["EBPG", "gradcam"] == 48.658
    assert published_table("vit_base_patch16_224").loc["Insertion", "fovex"] == 0.840
    with pytest.raises(ValueError, match="available"):
        published_table("alexnet")
