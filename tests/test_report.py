import numpy as np
import pandas as pd
import pytest

from fovex.study.findings import (
    adjusted_difference,
    agreement_table,
    bootstrap_ci,
    bootstrap_p,
    ceiling_table,
    for_reader,
    holm,
    localisation_table,
    paired_difference,
    paired_differences,
    paired_differences_table,
    paired_relative_difference,
    pointing_by_class,
    published_table,
    relative_differences,
    resampled_means,
    reverse_differences,
    summary_table,
)


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


def test_summary_table_prints_percentages_with_fewer_decimals():
    frame = pd.DataFrame({"explainer": ["a", "a"], "drop_pct": [10.0, 12.5], "insertion_auc": [0.25, 0.5]})
    table = summary_table(frame, ["drop_pct", "insertion_auc"])
    assert table.loc["a", "drop_pct"].startswith("11.2 [") and table.loc["a", "insertion_auc"].startswith("0.375 [")
    low, high = table.loc["a", "drop_pct"][len("11.2 [") : -1].split(", ")
    assert len(low.split(".")[1]) == len(high.split(".")[1]) == 1


def test_paired_relative_difference_hand_case():
    frame = pd.DataFrame(
        {
            "image_id": ["i1", "i2", "i1", "i2"],
            "explainer": ["fast", "fast", "ref", "ref"],
            "insertion_auc": [0.5, 0.7, 0.5, 0.5],
        }
    )
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


# ----------------------------------------------------------------------------- paired comparisons, claims


def _frame(values: dict[str, list[float]], metric: str = "drop_pct") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"image_id": f"img{i}", "explainer": name, metric: value}
            for name, column in values.items()
            for i, value in enumerate(column)
        ]
    )


def test_paired_difference_is_the_mean_of_per_image_differences():
    frame = _frame({"fovex": [1.0, 2.0, 6.0], "gradcam": [0.0, 1.0, 2.0]})
    result = paired_difference(frame, "drop_pct", "fovex", "gradcam")
    assert result["difference"] == pytest.approx(2.0) and result["n"] == 3
    assert (result["candidate_mean"], result["reference_mean"]) == (pytest.approx(3.0), pytest.approx(1.0))
    # Differences 1, 1, 4: the bootstrap interval of their mean lies within [1, 4] and contains 2.
    assert 1.0 <= result["ci_low"] < 2.0 < result["ci_high"] <= 4.0
    constant = paired_difference(_frame({"fovex": [5.0, 7.0], "rise": [4.0, 6.0]}), "drop_pct", "fovex", "rise")
    assert (constant["ci_low"], constant["ci_high"]) == (pytest.approx(1.0), pytest.approx(1.0))


def test_paired_difference_uses_only_images_both_scored():
    frame = _frame({"fovex": [1.0, 2.0, 3.0], "gradcam": [0.0, 0.0, 0.0]})
    frame = frame[~((frame["explainer"] == "gradcam") & (frame["image_id"] == "img2"))]
    result = paired_difference(frame, "drop_pct", "fovex", "gradcam")
    assert result["n"] == 2 and result["difference"] == pytest.approx(1.5)
    with pytest.raises(ValueError, match="no images scored by both"):
        paired_difference(frame, "drop_pct", "fovex", "rise")


def test_holm_adjusts_by_the_rank_of_each_p_value():
    # Sorted 0.01, 0.03, 0.04 (m = 3): 3 x 0.01 = 0.03; 2 x 0.03 = 0.06; 1 x 0.04 = 0.04 -> max(0.06, 0.04).
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.5, np.nan, 0.02])  # NaN: not part of the family (m = 2)
    assert adjusted[0] == pytest.approx(0.5) and np.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.04)
    assert holm([0.4, 0.6]) == pytest.approx([0.8, 0.8])  # capped at 1 and never below an earlier one


def test_localisation_table_reports_the_hit_rate_over_pairs_with_its_interval():
    # cat: 3 pairs, 3 hits; dog: 1 pair, a miss -> hit rate over pairs 75 % (the book's one definition).
    rows = pd.DataFrame(
        {
            "explainer": ["fovex"] * 4,
            "image_id": ["p1", "p2", "p3", "p1"],
            "object_class": ["cat", "cat", "cat", "dog"],
            "pointing_hit": [True, True, True, False],
            "ebpg_pct": [40.0, 50.0, 60.0, 10.0],
        }
    )
    table = localisation_table(rows)
    assert table.loc["fovex", "pointing-game hit rate %"].startswith("75.0 [")
    assert table.loc["fovex", "EBPG %"].startswith("40.0 [")
    assert (table.loc["fovex", "pairs"], table.loc["fovex", "photos"], table.loc["fovex", "classes"]) == (4, 3, 2)
    # Photo p1 holds the cat at 40 and the dog at 10: resampling photos, the lowest mean is 25 (p1 alone);
    # resampling pairs, three dogs out of four draws (mean 17.5 or less) are 5 % likely, below the 2.5 % end.
    low = float(table.loc["fovex", "EBPG %"].split("[")[1].split(",")[0])
    pairs_low = float(localisation_table(rows, cluster=None).loc["fovex", "EBPG %"].split("[")[1].split(",")[0])
    assert low >= 25.0 > pairs_low
    # The hit rate's interval resamples photos too: p1 alone hits half of its pairs, p2 and p3 all.
    hit_low = float(table.loc["fovex", "pointing-game hit rate %"].split("[")[1].split(",")[0])
    assert hit_low == pytest.approx(50.0)


def test_pointing_by_class_is_the_hit_rate_of_each_class_and_group():
    # fovex: cat 2 of 3 hits (66.7 %), dog 0 of 1; gradcam: cat 1 of 1, no dog pair; NaN hits are left out.
    rows = pd.DataFrame(
        {
            "explainer": ["fovex"] * 5 + ["gradcam"],
            "object_class": ["cat", "cat", "cat", "dog", "dog", "cat"],
            "pointing_hit": [True, True, False, False, np.nan, True],
        }
    )
    table = pointing_by_class(rows)
    assert list(table.columns) == ["fovex", "gradcam"] and list(table.index) == ["cat", "dog"]
    assert table.loc["cat", "fovex"] == pytest.approx(200 / 3)
    assert table.loc["dog", "fovex"] == 0.0 and table.loc["cat", "gradcam"] == 100.0
    assert np.isnan(table.loc["dog", "gradcam"])


def _pairs():
    # Per image: fovex = rival - 1 on "a" (exactly), fovex = rival + 2 on "b".
    rows = []
    for i in range(10):
        rows += [
            {"image_id": i, "explainer": "fovex", "a": float(i), "b": 2.0 + i},
            {"image_id": i, "explainer": "rise", "a": i + 1.0, "b": float(i)},
        ]
    rows += [{"image_id": i, "explainer": "gradcam", "a": i + 0.5, "b": float(i)} for i in range(4)]
    return pd.DataFrame(rows)


def test_paired_differences_table_reads_difference_interval_and_pairs():
    table = paired_differences_table(paired_differences(_pairs(), ["a", "b"]))
    assert list(table.index) == ["rise", "gradcam"] and table.index.name == "method"
    assert list(table.columns) == ["a", "b", "N"]
    assert table.loc["rise", "a"] == "-1.000 [-1.000, -1.000]"  # a constant difference: a point interval
    assert table.loc["gradcam", "b"] == "+2.000 [+2.000, +2.000]"
    assert table["N"].tolist() == [10, 4]


def test_reverse_differences_is_each_rival_minus_the_candidate():
    frame = _pairs().assign(a=lambda f: f["a"] + np.random.default_rng(0).random(len(f)))
    reversed_ = reverse_differences(paired_differences(frame, ["a"]), "rival")
    direct = paired_difference(frame, "a", "rise", "fovex")  # computed the other way round
    row = reversed_[reversed_["reference"] == "rise"].iloc[0]
    assert row["candidate"] == "rival"
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (direct["difference"], direct["ci_low"], direct["ci_high"])
    )
    assert (row["candidate_mean"], row["reference_mean"]) == pytest.approx(
        (direct["candidate_mean"], direct["reference_mean"])
    )


def test_relative_differences_against_a_reference_skip_unshared_candidates():
    frame = pd.concat(
        [
            pd.DataFrame({"image_id": range(5), "explainer": "published", "auc": [1.0, 2.0, 3.0, 4.0, 5.0]}),
            pd.DataFrame({"image_id": range(5), "explainer": "fast", "auc": [1.1, 2.2, 3.3, 4.4, 5.5]}),
            pd.DataFrame({"image_id": [9], "explainer": "elsewhere", "auc": [1.0]}),  # no shared image
        ]
    )
    table = relative_differences(frame, "published", ["auc"])
    assert table["candidate"].tolist() == ["fast"]
    row = table.iloc[0]
    assert (row["candidate_mean"], row["reference_mean"], row["difference"]) == pytest.approx((3.3, 3.0, 0.3))
    assert row["difference_pct"] == pytest.approx(10.0) and row["n"] == 5
    assert row["ci_low_pct"] == pytest.approx(10.0) and row["ci_high_pct"] == pytest.approx(10.0)  # exact 10 % each


def test_ceiling_table_puts_the_human_ceiling_next_to_the_explainers_on_its_images():
    rows = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "a", "a"],
            "explainer": ["fovex", "fovex", "fovex", "centre_scanpath", "gradcam"],
            "scanpath_dtw_px": [10.0, 20.0, 99.0, 40.0, 0.0],
            "scanpath_string_edit": [0.5, 0.3, 0.0, 0.1, 1.0],
        }
    )
    ceiling = pd.DataFrame({"image_id": ["a", "b"], "scanpath_dtw_px": [5.0, 7.0], "scanpath_string_edit": [0.6, 0.8]})
    scanpaths = ["scanpath_dtw_px", "scanpath_string_edit"]
    table = ceiling_table(rows, ceiling, scanpaths, explainers=["fovex", "centre_scanpath"])
    assert sorted(table.index) == ["centre_scanpath", "fovex", "humans (leave one out)"]  # no gradcam
    assert table.loc["fovex", "scanpath_dtw_px"].startswith("15.000 [")  # image c is not in the ceiling
    assert table.loc["fovex", "n"] == 2
    assert table.loc["humans (leave one out)", "scanpath_string_edit"].startswith("0.700 [")
    # Every explainer by default; a metric the ceiling lacks shows "-" in its row, not "nan".
    wider = ceiling_table(rows.assign(nss=[1.0, 2.0, 3.0, 4.0, 5.0]), ceiling, ["nss", *scanpaths])
    assert sorted(wider.index) == ["centre_scanpath", "fovex", "gradcam", "humans (leave one out)"]
    assert wider.loc["humans (leave one out)", "nss"] == "-"
    assert wider.loc["fovex", "nss"].startswith("1.500 [")


def test_for_reader_names_methods_and_metrics_as_the_book_does():
    from fovex.evaluation import METRICS, metric_label, metric_name

    table = pd.DataFrame(
        {"insertion_auc": [0.5, 0.4, 0.3], "kld": [1.0, 2.0, 3.0], "n": [3, 3, 3]},
        index=pd.Index(["gradcam++", "fovex-fast", "s=0.15, sum"], name="explainer"),
    )
    shown = for_reader(table)
    assert list(shown.index) == ["Grad-CAM++", "FovEx-fast", "s=0.15, sum"]  # other labels stay as they are
    assert list(shown.columns) == ["insertion AUC ↑", "KLD ↓", "n"] and shown.index.name == "method"
    assert shown.to_numpy().tolist() == table.to_numpy().tolist()
    # Every column a metric fills is named, its arrow following the metric's direction.
    for spec in METRICS.values():
        for column in spec.columns:
            if column in ("increase", "score_masked"):  # shown as increase_pct; the masked score is not a metric
                continue
            assert metric_name(column) != column
            assert metric_label(column).endswith("↑" if spec.higher_is_better else "↓")
    assert metric_label("increase_pct") == "%Increase ↑" and metric_label("drop_pct") == "%Drop ↓"


def test_adjusted_difference_removes_the_part_of_a_gap_its_covariate_accounts_for():
    # Per photo FovEx minus Grad-CAM: dx from -0.1 to +0.2 (mean 0.05) and dy = 2 - 30 dx exactly: the
    # gap is mean(dy) = 2 - 30 * 0.05 = 0.5, at dx = 0 it is 2, and the covariate accounts for
    # -30 * 0.05 / 0.5 = -300 % of the gap. Every resample lies on the same line: its interval is [2, 2].
    dx = np.linspace(-0.1, 0.2, 40)
    frame = pd.DataFrame(
        {
            "image_id": [f"img{i}" for i in range(40)] * 2,
            "explainer": ["fovex"] * 40 + ["gradcam"] * 40,
            "map_mean": np.r_[0.3 + dx, np.full(40, 0.3)],
            "drop_pct": np.r_[20 + 2 - 30 * dx, np.full(40, 20.0)],
        }
    )
    result = adjusted_difference(frame, "drop_pct", "map_mean", "fovex", "gradcam", resamples=500)
    assert result["gap"] == pytest.approx(0.5) and result["slope"] == pytest.approx(-30.0)
    assert result["adjusted"] == pytest.approx(2.0) and result["explained"] == pytest.approx(-3.0)
    assert (result["adjusted_low"], result["adjusted_high"]) == (pytest.approx(2.0), pytest.approx(2.0))
    assert result["explained_low"] < -3.0 < result["explained_high"] and result["n"] == 40


def test_a_cluster_bootstrap_draws_whole_clusters():
    # Values 1 and 3 in cluster A, 10 in cluster B. Two clusters drawn with replacement: AA -> mean 2,
    # BB -> 10, AB or BA -> (1 + 3 + 10) / 3 = 14/3, with chances 1/4, 1/4, 1/2. A unit bootstrap would
    # also give, e.g., 1 (unit 1 drawn three times), which no cluster draw can.
    means = resampled_means([1.0, 3.0, 10.0], clusters=["A", "A", "B"], resamples=20_000)
    values, counts = np.unique(np.round(means, 9), return_counts=True)
    assert values == pytest.approx([2.0, 14 / 3, 10.0])
    assert counts / counts.sum() == pytest.approx([0.25, 0.5, 0.25], abs=0.01)
    assert resampled_means([1.0, 3.0, 10.0], resamples=20_000).min() == pytest.approx(1.0)
    # Paired columns share the draws: the resampled difference of means is the mean of the differences.
    both = resampled_means(np.array([[1.0, 0.0], [3.0, 1.0], [10.0, 4.0]]), ["A", "A", "B"], resamples=100)
    diff = resampled_means([1.0, 2.0, 6.0], ["A", "A", "B"], resamples=100)
    assert both[:, 0] - both[:, 1] == pytest.approx(diff)


def test_bootstrap_p_is_the_normal_tail_of_the_estimate_over_its_standard_error():
    resampled = np.array([1.0, 3.0] * 50)  # sd (ddof 1) = 1.00504: z = 1.96 / 1.00504 = 1.9502
    assert bootstrap_p(1.96, resampled) == pytest.approx(0.05115, abs=1e-4)
    assert bootstrap_p(0.0, np.zeros(10)) == 1.0 and bootstrap_p(2.0, np.full(10, 2.0)) == 0.0


def test_agreement_table_sets_the_same_rows_from_two_devices_side_by_side():
    cpu = pd.DataFrame(
        {
            "explainer": ["fovex"] * 4 + ["centre"] * 2 + ["gradcam"],
            "image_id": ["a", "b", "c", "d", "a", "b", "a"],
            "insertion_auc": [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.7],
            "deletion_auc": [0.1, 0.1, 0.2, np.nan, 0.3, 0.3, 0.2],
        }
    )
    gpu = pd.DataFrame(
        {
            "explainer": ["fovex"] * 5 + ["centre"] * 2,  # no gradcam on the GPU: no row for it
            "image_id": ["d", "c", "b", "a", "e", "a", "b"],  # another order, and a photo the CPU did not score
            "insertion_auc": [0.5, 0.3, 0.25, 0.1, 0.9, 0.5, 0.5],
            "deletion_auc": [0.2, 0.2, 0.1, 0.1, 0.0, 0.3, 0.3],
        }
    )
    table = agreement_table(cpu, gpu, ["insertion_auc", "deletion_auc"]).set_index(["explainer", "metric"])
    assert list(table.index) == [
        ("fovex", "insertion_auc"),
        ("fovex", "deletion_auc"),
        ("centre", "insertion_auc"),
        ("centre", "deletion_auc"),
    ]
    row = table.loc[("fovex", "insertion_auc")]
    # Photos a-d: d = gpu - cpu = (0, 0.05, 0, 0.1); e is scored on the GPU only.
    assert row["n"] == 4
    assert row["cpu_mean"] == pytest.approx(0.25) and row["gpu_mean"] == pytest.approx(0.2875)
    assert row["difference"] == pytest.approx(0.0375)
    assert 0.0 <= row["ci_low"] <= 0.0375 <= row["ci_high"] <= 0.1
    # Pearson r by hand: sum dx dy = 0.0625, sum dx^2 = 0.05, sum dy^2 = 0.081875.
    assert row["pearson_r"] == pytest.approx(0.0625 / np.sqrt(0.05 * 0.081875))
    assert row["max_abs_difference"] == pytest.approx(0.1) and row["max_unit"] == "d"
    deletion = table.loc[("fovex", "deletion_auc")]  # photo d has no CPU value: 3 pairs, all equal
    assert deletion["n"] == 3 and deletion["difference"] == 0 and deletion["max_abs_difference"] == 0
    assert deletion["pearson_r"] == pytest.approx(1.0)
    centre = table.loc[("centre", "insertion_auc")]  # constant on both devices: r is undefined, not 1
    assert centre["difference"] == 0 and (centre["ci_low"], centre["ci_high"]) == (0, 0)
    assert np.isnan(centre["pearson_r"])
    named = agreement_table(cpu, gpu, ["insertion_auc"], names=("h200", "a100"))
    assert {"h200_mean", "a100_mean"} <= set(named.columns)
    assert agreement_table(cpu, gpu.assign(explainer="other"), ["insertion_auc"]).empty
