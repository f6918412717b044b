"""One standard for every comparison (issue 34): judge(), the judged table read back, claims judged on what
they claim, and words no page decides for itself."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from fovex.report.standard import (
    COMPARISON_COLUMNS,
    Comparison,
    Standard,
    comparison_table,
    judge,
    paired_comparison,
    paired_comparisons,
)
from fovex.study.findings import CLAIMS, Judged, claim_verdict, standing
from fovex.study.findings.claims import Claim
from fovex.study.findings.wording import standing_row


def _comparison(candidate, reference, difference, se, metric="insertion_auc", scope="s", **kw):
    p = math.erfc(abs(difference) / se / math.sqrt(2)) if se else 1.0
    values = dict(
        family="f",
        scope=scope,
        model="m",
        metric=metric,
        candidate=candidate,
        reference=reference,
        candidate_mean=kw.pop("candidate_mean", 0.5 + difference),
        reference_mean=kw.pop("reference_mean", 0.5),
        difference=difference,
        se=se,
        p=p,
        n=kw.pop("n", 100),
        relative=kw.pop("relative", 100 * difference / 0.5),
        relative_se=kw.pop("relative_se", 100 * se / 0.5),
    )
    values.update(kw)
    return Comparison(**values)


def _judged(comparisons, means, standard=None):
    standard = standard or Standard()
    table = judge(comparison_table(comparisons), standard)
    frame = pd.DataFrame(
        [{"family": "f", "scope": scope, "metric": metric, "method": method, "mean": mean, "n": 100}
         for (scope, metric), methods in means.items() for method, mean in methods.items()]
    )  # fmt: skip
    return Judged(table, frame, standard)


# ----------------------------------------------------------------------------- the standard


def test_bonferroni_words_and_simultaneous_intervals_by_hand():
    # m = 2, alpha 0.05: z = Phi^-1(1 - 0.05 / 4) = 2.2414. d/se = 2.5 clears it, 2.0 does not.
    table = judge(comparison_table([_comparison("a", "b", 1.0, 0.4), _comparison("a", "c", -0.5, 0.25)]), Standard())
    z = norm.isf(0.05 / 4)
    assert table["z"].tolist() == pytest.approx([z, z]) and z == pytest.approx(2.2414, abs=1e-4)
    assert table["ci_low"].tolist() == pytest.approx([1.0 - 0.4 * z, -0.5 - 0.25 * z])
    assert table["ci_high"].tolist() == pytest.approx([1.0 + 0.4 * z, -0.5 + 0.25 * z])
    assert table["p_adjusted"].tolist() == pytest.approx(
        [2 * math.erfc(2.5 / math.sqrt(2)), 2 * math.erfc(2 / math.sqrt(2))]
    )
    assert table["word"].tolist() == ["better", "tied"]  # insertion: higher is better
    # The word is exactly "the simultaneous interval excludes 0".
    assert ((table["word"] != "tied") == ((table["ci_low"] > 0) | (table["ci_high"] < 0))).all()


def test_the_word_follows_the_metrics_direction():
    table = judge(comparison_table([_comparison("a", "b", 1.0, 0.1, metric="deletion_auc")]), Standard())
    assert table["word"].tolist() == ["worse"]  # deletion AUC: lower is better


def test_holm_is_more_powerful_and_says_its_intervals_are_unadjusted():
    comparisons = comparison_table([_comparison("a", "b", 1.0, 0.4), _comparison("a", "c", -0.5, 0.25)])
    holm = judge(comparisons, Standard(correction="holm"))
    # Holm: 2 x 0.0124 = 0.0248, then max(0.0248, 0.0455) = 0.0455: both below 0.05.
    assert holm["p_adjusted"].tolist() == pytest.approx([0.024838, 0.045500], abs=1e-5)
    assert holm["word"].tolist() == ["better", "worse"]
    assert holm["z"].tolist() == pytest.approx([1.959964] * 2, abs=1e-6)
    assert "unadjusted" in Standard(correction="holm").interval_words(2)
    assert "simultaneous" in Standard().interval_words(2)


def test_families_are_adjusted_apart_only_when_the_standard_says_so():
    parts = [_comparison("a", "b", 1.0, 0.4), _comparison("a", "c", 1.0, 0.4, family="g")]
    together, apart = (
        judge(comparison_table(parts), Standard()),
        judge(comparison_table(parts), Standard(family="each")),
    )
    assert together["m"].tolist() == [2, 2] and apart["m"].tolist() == [1, 1]
    assert apart["z"].tolist() == pytest.approx([1.959964] * 2, abs=1e-6)


def test_a_standard_refuses_what_it_does_not_know():
    with pytest.raises(ValueError, match="correction"):
        Standard(correction="sidak")
    with pytest.raises(ValueError, match="alpha"):
        Standard(alpha=1.5)
    with pytest.raises(ValueError, match="missing"):
        judge(pd.DataFrame({"difference": [1.0]}), Standard())


def test_paired_comparison_matches_its_analytic_values():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 400), rng.normal(2.0, 1.0, 400)
    frame = pd.DataFrame({"image_id": list(range(400)) * 2, "explainer": ["x"] * 400 + ["y"] * 400, "nss": [*a, *b]})
    c = paired_comparison(frame, "nss", "x", "y", resamples=20_000)
    d = a - b
    assert c.difference == pytest.approx(d.mean()) and c.relative == pytest.approx(100 * d.mean() / b.mean())
    # The bootstrap standard error of a mean is sd / sqrt(n) (population sd), to about 1 % at 20,000 resamples.
    assert c.se == pytest.approx(d.std() / math.sqrt(400), rel=0.03)
    assert c.p == pytest.approx(math.erfc(abs(d.mean()) / c.se / math.sqrt(2)))
    # Every pair from one resampling equals the pair alone on the same units.
    (together,) = paired_comparisons(frame, "nss", [("x", "y")], resamples=20_000)
    assert together.se == pytest.approx(c.se, rel=1e-9) and together.difference == pytest.approx(c.difference)
    assert list(comparison_table([c]).columns) == COMPARISON_COLUMNS


def test_a_judged_comparison_reads_the_same_either_way_round():
    judged = _judged(
        [_comparison("fovex", "rise", -0.02, 0.005)], {("s", "insertion_auc"): {"rise": 0.62, "fovex": 0.6}}
    )
    straight, flipped = (
        judged.get("s", "insertion_auc", "fovex", "rise"),
        judged.get("s", "insertion_auc", "rise", "fovex"),
    )
    assert straight.word == "worse" and flipped.word == "better"
    assert (flipped.difference, flipped.ci_low, flipped.ci_high) == pytest.approx(
        (-straight.difference, -straight.ci_high, -straight.ci_low)
    )
    assert judged.handed_out == {("f", "s", "insertion_auc", ("fovex", "rise")): {"worse"}}
    with pytest.raises(KeyError):
        judged.get("s", "insertion_auc", "fovex", "gradcam")


# ----------------------------------------------------------------------------- claims on what they claim


def _size_claim(pct=203.0):
    return Claim("x", "FovEx's NSS is 203 % above Grad-CAM's", "nss", "size", ("resnet50",), "mit1003", "plausibility",
                 "abstract", reference="gradcam", published_pct=pct)  # fmt: skip


def _nss(difference, se, relative, relative_se):
    return _judged(
        [_comparison("fovex", "gradcam", difference, se, metric="nss", relative=relative, relative_se=relative_se)],
        {("s", "nss"): {"fovex": 0.5 + difference, "gradcam": 0.5}},
    )


def test_a_size_claim_is_contradicted_when_its_interval_excludes_the_size():
    # -15 % with se 5 % at z = 1.96 (m = 1): [-24.8, -5.2] excludes +203 %.
    verdict = claim_verdict(_nss(-0.075, 0.02, -15.0, 5.0), _size_claim(), "s", "resnet50")
    assert verdict.verdict == "contradicted" and "excludes the published +203 %" in verdict.why


def test_a_size_claim_is_supported_when_its_interval_holds_the_size_and_not_zero():
    verdict = claim_verdict(_nss(0.5, 0.1, 200.0, 30.0), _size_claim(), "s", "resnet50")
    assert verdict.verdict == "supported" and "includes the published +203 %" in verdict.why


def test_a_size_claim_is_inconclusive_when_its_interval_holds_both_the_size_and_zero():
    verdict = claim_verdict(_nss(0.1, 0.1, 20.0, 100.0), _size_claim(), "s", "resnet50")
    assert verdict.verdict == "inconclusive"


def _first(words: dict, metric="insertion_auc"):
    """FovEx against each rival with the given word, in the metric's own direction."""
    from fovex.metrics.registry import column_sense

    up = 1 if column_sense(metric).higher_is_better else -1
    comparisons = [
        _comparison("fovex", other, up * {"better": 0.1, "worse": -0.1, "tied": 0.0}[w], 0.01, metric=metric)
        for other, w in words.items()
    ]
    means = {("s", metric): {"fovex": 0.6, **{other: 0.6 - comparisons[i].difference for i, other in enumerate(words)}}}
    return _judged(comparisons, means)


RIVALS = ("gradcam", "gradcam++", "meaningful_perturbation", "rise")
FIRST = next(claim for claim in CLAIMS if claim.id == "insertion")
LAST = next(claim for claim in CLAIMS if claim.id == "deletion")


def test_a_first_claim_is_supported_contradicted_or_inconclusive_from_the_words():
    assert claim_verdict(_first(dict.fromkeys(RIVALS, "better")), FIRST, "s", "m").verdict == "supported"
    worse_once = {**dict.fromkeys(RIVALS, "better"), "rise": "worse"}
    assert claim_verdict(_first(worse_once), FIRST, "s", "m").verdict == "contradicted"
    tied_once = {**dict.fromkeys(RIVALS, "better"), "rise": "tied"}
    assert claim_verdict(_first(tied_once), FIRST, "s", "m").verdict == "inconclusive"
    missing = dict.fromkeys(RIVALS[:3], "better")  # RISE not measured: not supported
    result = claim_verdict(_first(missing), FIRST, "s", "m")
    assert result.verdict == "inconclusive" and "RISE not measured" in result.why


def test_a_published_weakness_holds_when_fovex_is_worse_than_every_rival():
    judged = _first(dict.fromkeys(RIVALS, "worse"), metric="deletion_auc")  # +0.1 deletion AUC: worse
    assert judged.get("s", "deletion_auc", "fovex", "rise").word == "worse"
    result = claim_verdict(judged, LAST, "s", "m")
    assert result.verdict == "supported" and "worse than each of the 4" in result.why


# ----------------------------------------------------------------------------- words


def _standing_case(words: dict, means: dict, metric="nss", leader_words=None):
    """FovEx against each method (``words``), and the leader against the others (``leader_words``)."""
    step = {"better": 0.1, "worse": -0.1, "tied": 0.0}
    comparisons = [_comparison("fovex", o, step[w], 0.01, metric=metric) for o, w in words.items()]
    comparisons += [
        _comparison(leader, o, step[w], 0.01, metric=metric) for (leader, o), w in (leader_words or {}).items()
    ]
    return _judged(comparisons, {("s", metric): means})


def test_best_is_said_among_all_methods_floors_included():
    judged = _standing_case(
        {"centre": "worse", "gradcam": "tied", "random": "better"},
        {"centre": 0.74, "gradcam": 0.57, "fovex": 0.48, "random": 0.0},
        leader_words={("centre", "gradcam"): "better", ("centre", "random"): "better"},
    )
    sentence = standing(judged, "s", "nss")
    assert sentence.startswith("NSS: best the centre map (0.740); no method beats the centre map; FovEx 0.480")
    assert "tied with Grad-CAM" in sentence and "worse than the centre map" in sentence
    row = standing_row(judged, "s", "nss")
    assert row["best mean"] == "the centre map (0.740)" and row["FovEx vs best"] == "worse than"


def test_an_ordinal_only_when_every_comparison_is_a_difference():
    separated = _standing_case(
        {"rise": "worse", "gradcam": "better"},
        {"rise": 0.7, "fovex": 0.6, "gradcam": 0.5},
        metric="insertion_auc",
        leader_words={("rise", "gradcam"): "better"},
    )
    assert "FovEx 0.600, second of 3, behind RISE" in standing(separated, "s", "insertion_auc")
    tied = _standing_case(
        {"rise": "tied", "gradcam": "better"},
        {"rise": 0.7, "fovex": 0.6, "gradcam": 0.5},
        metric="insertion_auc",
        leader_words={("rise", "gradcam"): "better"},
    )
    sentence = standing(tied, "s", "insertion_auc")
    assert " of 3" not in sentence and "highest mean RISE (0.700), tied with FovEx" in sentence


def test_no_method_better_than_the_centre_map_is_said_when_the_leader_ties_it():
    judged = _standing_case(
        {"gradcam++": "worse", "centre": "tied"},
        {"gradcam++": 0.68, "centre": 0.67, "fovex": 0.62},
        metric="auc_judd",
        leader_words={("gradcam++", "centre"): "tied"},
    )
    assert "no method is better than the centre map" in standing(judged, "s", "auc_judd")
