"""Ranking words from paired intervals (fovex.study.findings.wording): an ordinal only where the intervals separate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fovex.report import paired_difference
from fovex.study.findings.wording import compare, standing


def _rows(values: dict[str, np.ndarray], column: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"explainer": name, "unit": f"u{i}", "photo": f"p{i}", column: float(value)}
            for name, series in values.items()
            for i, value in enumerate(series)
        ]
    )


BASE = np.linspace(0.4, 0.8, 40)
WOBBLE = np.tile([0.01, -0.01], 20)  # mean 0: a method that differs from FovEx photo by photo, not on average


def test_compare_reads_the_interval_and_the_direction():
    assert compare({"ci_low": 0.1, "ci_high": 0.2}, higher_is_better=True) == "better"
    assert compare({"ci_low": 0.1, "ci_high": 0.2}, higher_is_better=False) == "worse"
    assert compare({"ci_low": -0.2, "ci_high": 0.0}, higher_is_better=True) == "tied"  # an end at 0 is not clear of 0


def test_second_of_5_only_when_every_interval_separates():
    # Issue 26: "second of 5" on insertion while FovEx vs MP was +0.0014 [-0.010, +0.012].
    values = {
        "fovex": BASE,
        "rise": BASE + 0.02,  # every photo +0.02: interval [+0.020, +0.020]
        "meaningful_perturbation": BASE + WOBBLE,
        "gradcam": BASE - 0.05,
        "gradcam++": BASE - 0.06,
        "random": BASE - 0.2,
    }
    sentence = standing(_rows(values, "insertion_auc"), "insertion_auc")
    assert sentence.startswith(
        "insertion AUC: best RISE (0.620); FovEx 0.600, behind RISE (-0.020 [-0.020, -0.020]), "
        "tied with Meaningful Perturbation (+0.000 ["
    )
    assert "second" not in sentence and "ahead of Grad-CAM and Grad-CAM++" in sentence
    assert sentence.endswith("against the floors: better than the random map (+0.200 [+0.200, +0.200])")
    # The same rows with MP clearly behind: now every interval separates and the ordinal is earned.
    values["meaningful_perturbation"] = BASE - 0.01
    assert "FovEx 0.600, second of 5, behind RISE" in standing(_rows(values, "insertion_auc"), "insertion_auc")


def test_sixth_of_6_on_the_pointing_game_becomes_tied_when_intervals_end_at_0():
    # 17 pairs; each rival hits where FovEx misses on 2-3 pairs: paired intervals end at 0, so no rank.
    fovex = np.array([100.0] * 13 + [0.0] * 4)
    values = {"fovex": fovex}
    for name, extra in (("gradcam++", 3), ("gradcam", 2), ("rise", 2), ("scorecam", 2), ("meaningful_perturbation", 1)):
        hits = fovex.copy()
        hits[13 : 13 + extra] = 100.0
        values[name] = hits
    values["centre"] = fovex.copy()
    sentence = standing(_rows(values, "pointing_pct"), "pointing_pct")
    assert "sixth" not in sentence and " of 6" not in sentence
    assert sentence.startswith("pointing-game hit rate: highest mean Grad-CAM++ (94 %), tied with ")
    assert "FovEx 76 %, tied with Grad-CAM++ (-18 [-35, +0] %)" in sentence
    assert sentence.endswith("against the floors: tied with the centre map (+0 [+0, +0] %)")


def test_third_of_4_on_plausibility_names_the_tie():
    values = {
        "fovex": BASE,
        "gradcam++": BASE + 0.2,
        "gradcam": BASE + 0.1,
        "rise": BASE + 3 * WOBBLE - 0.004,  # rise's mean is below FovEx's, but not clear of it
        "centre": BASE + 0.25,
        "centre_scanpath": BASE + WOBBLE,
    }
    sentence = standing(_rows(values, "nss"), "nss")
    assert "third" not in sentence
    assert sentence.startswith(
        "NSS: best Grad-CAM++ (0.80); FovEx 0.60, behind Grad-CAM++ and Grad-CAM (Grad-CAM++: -0.20 [-0.20, -0.20]), "
        "tied with RISE (+0.00 [-0.0"
    )
    assert "; against the floors: worse than the centre map (-0.25 [-0.25, -0.25]), tied with the centre scanpath" in (
        sentence
    )


def test_a_ranked_candidate_and_the_best_when_all_separate():
    values = {"fovex": BASE, "gradcam": BASE + 1.0, "rise": BASE + 2.0}
    assert standing(_rows(values, "drop_pct"), "drop_pct") == (
        "%Drop: FovEx 0.6, best of 3, ahead of Grad-CAM and RISE"
    )
    assert standing(_rows(values, "drop_pct"), "nss") is None
    assert standing(_rows({"gradcam": BASE}, "drop_pct"), "drop_pct") is None  # no FovEx: nothing to say


def test_units_of_one_photo_are_resampled_together():
    # Each photo counted twice (two classes of one VOC photo, same values): a unit bootstrap sees 80
    # independent units, the photo bootstrap 40 photos, as if each were counted once: sqrt(2) wider.
    difference = np.r_[WOBBLE, WOBBLE] * 5
    rows = pd.DataFrame(
        {
            "explainer": ["fovex"] * 80 + ["gradcam"] * 80,
            "unit": [f"u{i}" for i in range(80)] * 2,
            "photo": [f"p{i % 40}" for i in range(80)] * 2,
            "ebpg_pct": np.r_[difference + 50, np.full(80, 50.0)],
        }
    )
    width = {}
    for cluster in (None, "photo"):
        d = paired_difference(rows, "ebpg_pct", "fovex", "gradcam", unit="unit", cluster=cluster)
        width[cluster] = d["ci_high"] - d["ci_low"]
    once = paired_difference(
        rows[rows["unit"].isin([f"u{i}" for i in range(40)])], "ebpg_pct", "fovex", "gradcam", unit="unit"
    )
    assert 1.3 < width["photo"] / width[None] < 1.55
    assert abs(width["photo"] / (once["ci_high"] - once["ci_low"]) - 1) < 0.06
