import numpy as np
import pandas as pd
import pytest

from fovex.report import (
    bootstrap_ci,
    claim_verdict,
    choose_variant,
    claims_table,
    localisation_table,
    paired_difference,
    paired_differences,
    paired_relative_difference,
    published_table,
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


# ----------------------------------------------------------------------------- paired comparisons, claims


def _frame(values: dict[str, list[float]], metric: str = "drop_pct") -> pd.DataFrame:
    return pd.DataFrame([{"image_id": f"img{i}", "explainer": name, metric: value}
                         for name, column in values.items() for i, value in enumerate(column)])  # fmt: skip


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


def test_claim_verdicts_follow_the_paired_intervals():
    rng = np.random.default_rng(0)
    base = rng.random(60) * 50
    noise = rng.normal(0, 5, 60)
    clearly_lower = _frame({"fovex": list(base), "gradcam": list(base + 10), "rise": list(base + 3)})
    differences = paired_differences(clearly_lower, ["drop_pct"])
    assert claim_verdict(differences, "low") == "supported"
    assert claim_verdict(differences, "high") == "contradicted"  # claimed highest, significantly lowest
    mixed = _frame({"fovex": list(base), "gradcam": list(base + 10), "rise": list(base - 3)})
    assert claim_verdict(paired_differences(mixed, ["drop_pct"]), "low") == "contradicted"
    tie = _frame({"fovex": list(base), "gradcam": list(base + 10), "rise": list(base + noise - noise.mean())})
    assert claim_verdict(paired_differences(tie, ["drop_pct"]), "low") == "inconclusive"


def test_claims_table_verdicts_and_untested_claims():
    rng = np.random.default_rng(1)
    base = rng.random(40)
    faithfulness = pd.concat([
        _frame({"fovex": list(base * 10), "gradcam": list(base * 10 + 5), "random": list(base * 0)}, "drop_pct"),
        _frame({"fovex": list(base), "gradcam": list(base + 0.1), "random": list(base + 0.5)}, "insertion_auc"),
    ])  # fmt: skip
    plausibility = _frame({"fovex": list(base + 1), "rise": list(base + 0.5), "gradcam": list(base + 1)}, "nss")
    table = claims_table({"drop_pct": faithfulness.dropna(subset=["drop_pct"]),
                          "insertion_auc": faithfulness.dropna(subset=["insertion_auc"]), "nss": plausibility},
                         model="m", data="d", rivals=("gradcam",)).set_index("claim")  # fmt: skip
    assert table.loc["FovEx has the lowest %Drop", "verdict"] == "supported"  # random (0) is not a rival
    assert table.loc["FovEx has the lowest %Drop", "N"] == 40
    assert table.loc["FovEx has the highest insertion AUC", "verdict"] == "contradicted"
    assert "gradcam" in table.loc["FovEx has the highest insertion AUC", "why"]
    assert table.loc["FovEx has the highest %Increase", "verdict"] == "not tested here"
    assert table.loc["FovEx has the highest EBPG on ViT-B/16", "verdict"] == "not tested here"
    assert "ViT-B/16 weights" in table.loc["FovEx has the highest EBPG on ViT-B/16", "why"]
    assert table.loc["FovEx's NSS is 14 % above RISE's on MIT1003", "verdict"] == "not tested here"
    stand_in = table.loc["... the same NSS claim against RISE, on another free-viewing set"]
    assert stand_in["verdict"] == "supported" and stand_in["N"] == 40
    expected = (base + 1).mean() / (base + 0.5).mean() * 100 - 100
    assert f"{expected:+.1f} %" in stand_in["FovEx - rival"]
    same = table.loc["... the same NSS claim against Grad-CAM, on another free-viewing set"]
    assert same["verdict"] == "inconclusive" and "outside" in same["why"]  # 0 % measured, 203 % published


def test_a_claim_is_not_supported_while_a_published_rival_is_missing():
    base = np.random.default_rng(2).random(30)
    frame = _frame({"fovex": list(base), "gradcam": list(base + 1)})
    row = claims_table({"drop_pct": frame}, model="m", data="d").set_index("claim").loc["FovEx has the lowest %Drop"]
    assert row["verdict"] == "inconclusive" and "not yet compared with gradcam++, meaningful_perturbation, rise" in row["why"]
    worse = claims_table({"insertion_auc": _frame({"fovex": list(base), "gradcam": list(base + 1)}, "insertion_auc")},
                         model="m", data="d").set_index("claim").loc["FovEx has the highest insertion AUC"]
    assert worse["verdict"] == "contradicted"  # one significantly better rival is enough


def test_localisation_table_averages_hit_rates_over_classes_first():
    # cat: 3 pairs, 3 hits (100 %); dog: 1 pair, miss (0 %) -> class mean 50 %, pair hit rate 75 %.
    rows = pd.DataFrame({
        "explainer": ["fovex"] * 4, "object_class": ["cat", "cat", "cat", "dog"],
        "pointing_hit": [True, True, True, False], "ebpg_pct": [40.0, 50.0, 60.0, 10.0],
    })  # fmt: skip
    table = localisation_table(rows)
    assert table.loc["fovex", "pointing game % (class mean)"] == 50.0
    assert table.loc["fovex", "hit rate % (pairs)"] == 75.0
    assert table.loc["fovex", "EBPG %"].startswith("40.0 [")
    assert (table.loc["fovex", "pairs"], table.loc["fovex", "classes"]) == (4, 2)


def test_choose_variant_follows_the_stated_rule():
    rng = np.random.default_rng(3)
    n = 50
    base_del, base_ins = rng.random(n) * 0.3, 0.5 + rng.random(n) * 0.3
    variants = {
        "published": (base_del, base_ins),
        "narrow": (base_del - 0.05, base_ins - 0.10),  # best deletion, but loses insertion
        "wider": (base_del - 0.02, base_ins + 0.01),  # helps deletion, keeps insertion
        "max": (base_del - 0.01, base_ins + rng.normal(0, 0.01, n)),  # helps less
        "same": (base_del + rng.normal(0, 0.02, n), base_ins),  # no clear deletion gain
    }
    rows = pd.DataFrame([{"image_id": i, "variant": name, "deletion_auc": d[i], "insertion_auc": a[i]}
                         for name, (d, a) in variants.items() for i in range(n)])  # fmt: skip
    result = choose_variant(rows, "published")
    assert result["choice"] == "wider"
    by_name = {c["variant"]: c for c in result["candidates"]}
    assert not by_name["narrow"]["keeps_insertion"] and by_name["narrow"]["helps_deletion"]
    assert by_name["wider"]["deletion_difference"] == pytest.approx(-0.02)
    assert by_name["max"]["keeps_insertion"] and by_name["max"]["helps_deletion"]
    nothing = choose_variant(rows[rows["variant"].isin(["published", "narrow", "same"])], "published")
    assert nothing["choice"] is None
