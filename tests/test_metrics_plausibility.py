"""Plausibility metrics on tiny maps whose values are worked out by hand."""

import math

import numpy as np
import pytest
import torch

from fovex.explain.floors import centre_bias_map, random_map
from fovex.metrics.plausibility import (
    KLD_EPS,
    auc_judd,
    cc,
    fixation_density,
    fixation_map,
    kld,
    nss,
    saliency_ceiling,
    sauc,
    sim,
)

# ----------------------------------------------------------------------------- NSS


def test_nss_of_the_fixation_indicator():
    # Map [1, 0, 0, 0]: mean 1/4, population std sqrt(1/4 * 3/4) = sqrt(3)/4,
    # so the fixated pixel's z-score is (3/4) / (sqrt(3)/4) = sqrt(3).
    saliency = np.array([[1.0, 0.0], [0.0, 0.0]])
    fixations = saliency.astype(bool)
    assert nss(saliency, fixations) == pytest.approx(math.sqrt(3), abs=1e-12)


def test_nss_uses_population_std_and_averages_fixated_pixels():
    # Map [0, 1, 2, 3]: mean 1.5, population std sqrt(1.25); fixations at 2 and 3 give
    # z = 0.5 / sqrt(1.25) and 1.5 / sqrt(1.25), mean 1 / sqrt(1.25).
    saliency = np.array([[0.0, 1.0, 2.0, 3.0]])
    fixations = np.array([[False, False, True, True]])
    assert nss(saliency, fixations) == pytest.approx(1 / math.sqrt(1.25), abs=1e-12)


def test_nss_constant_map_is_chance_level():
    assert nss(np.full((3, 3), 0.7), np.eye(3, dtype=bool)) == 0.0


def test_nss_accepts_numeric_fixation_map_and_tensors():
    saliency = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    assert nss(saliency, torch.tensor([[0, 0, 1, 1]])) == pytest.approx(1 / math.sqrt(1.25))


def test_batch_returns_tensor_of_per_map_values():
    saliency = np.stack([np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 3.0]])])
    fixations = np.stack([saliency[0] > 0, np.array([[False, False], [True, True]])])
    out = nss(saliency, fixations)
    assert isinstance(out, torch.Tensor) and out.shape == (2,) and out.dtype == torch.float64
    assert out[0].item() == pytest.approx(math.sqrt(3))
    assert out[1].item() == pytest.approx(1 / math.sqrt(1.25))
    assert isinstance(nss(saliency[0], fixations[0]), float)


# ----------------------------------------------------------------------------- CC


def test_cc_of_a_map_with_itself_and_its_negative():
    rng = np.random.default_rng(0)
    m = rng.random((6, 7))
    assert cc(m, m) == pytest.approx(1.0, abs=1e-12)
    assert cc(m, -m) == pytest.approx(-1.0, abs=1e-12)
    assert cc(m, 3 * m + 2) == pytest.approx(1.0, abs=1e-12)  # scale-free


def test_cc_hand_case():
    # Deviations (-1, 0, 1) and (-1, 1, 0): covariance sum 1, norms sqrt(2) each -> 1/2.
    assert cc(np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 3.0, 2.0]])) == pytest.approx(0.5, abs=1e-12)


def test_cc_constant_map_is_zero():
    assert cc(np.ones((2, 2)), np.array([[0.0, 1.0], [2.0, 3.0]])) == 0.0


# ----------------------------------------------------------------------------- KLD


def test_kld_identical_distributions_is_zero():
    m = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert kld(m, 5 * m) == pytest.approx(0.0, abs=1e-12)  # both normalised first


def test_kld_two_pixel_hand_case_and_argument_order():
    # P = map / sum = (1/4, 3/4), Q = density = (1/2, 1/2):
    # sum Q log(Q / P) = 1/2 log 2 + 1/2 log(2/3) = 1/2 log(4/3).
    saliency = np.array([[1.0, 3.0]])
    density = np.array([[0.5, 0.5]])
    assert kld(saliency, density) == pytest.approx(0.5 * math.log(4 / 3), abs=1e-12)
    # Swapping roles gives 1/4 log(1/2) + 3/4 log(3/2), a different number.
    assert kld(density, saliency) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5), abs=1e-12)


def test_kld_epsilon_where_the_map_is_zero():
    # P = (0, 1), Q = (1/2, 1/2): the first term is 1/2 log(eps + 0.5 / eps).
    expected = 0.5 * math.log(KLD_EPS + 0.5 / KLD_EPS) + 0.5 * math.log(KLD_EPS + 0.5 / (1 + KLD_EPS))
    assert kld(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])) == pytest.approx(expected, rel=1e-12)
    assert KLD_EPS == 2.2204e-16


# ----------------------------------------------------------------------------- SIM


def test_sim_bounds_and_hand_case():
    m = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert sim(m, m) == pytest.approx(1.0, abs=1e-12)
    assert sim(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])) == 0.0
    # P = (1/4, 3/4), Q = (1/2, 1/2): min sums to 1/4 + 1/2.
    assert sim(np.array([[1.0, 3.0]]), np.array([[0.5, 0.5]])) == pytest.approx(0.75, abs=1e-12)
    rng = np.random.default_rng(1)
    a, b = rng.random((5, 5)), rng.random((5, 5))
    assert 0.0 <= sim(a, b) <= 1.0


def test_sim_minmax_variant():
    # Plain: P = (1/3, 2/3) vs (1/2, 1/2) -> 1/3 + 1/2. MIT min-max: (0, 1) -> 0 + 1/2.
    assert sim(np.array([[1.0, 2.0]]), np.array([[0.5, 0.5]])) == pytest.approx(5 / 6, abs=1e-12)
    assert sim(np.array([[1.0, 2.0]]), np.array([[0.5, 0.5]]), minmax=True) == pytest.approx(0.5, abs=1e-12)


# ----------------------------------------------------------------------------- AUC-Judd


def test_auc_judd_perfect_and_constant_maps():
    fixations = np.zeros((4, 4), dtype=bool)
    fixations[1, 2] = fixations[3, 0] = True
    assert auc_judd(fixations.astype(float), fixations) == pytest.approx(1.0)
    # Constant map, F = 2 fixated of 16: the jittered benchmark puts the fixated pixels at random
    # ranks; expected points (j / 3, j / 2), then (1, 1): area (F + 2) / (2 (F + 1)) = 2 / 3.
    assert auc_judd(np.full((4, 4), 0.3), fixations) == pytest.approx(2 / 3)
    # Inverted map: both fixated pixels rank below all 14 others: points (1, 1/2), (1, 1); area 1/4.
    assert auc_judd(1.0 - fixations.astype(float), fixations) == pytest.approx(0.25)
    # Fixated pixels ranked below all others but distinct: thresholds 0.2 and 0.1 have TPR 1/2
    # and 1 at FPR 1: the curve is (0,0)-(1,1/2)-(1,1), area 1/4.
    ranked_low = np.full((4, 4), 0.9)
    ranked_low[1, 2], ranked_low[3, 0] = 0.2, 0.1
    assert auc_judd(ranked_low, fixations) == pytest.approx(0.25)


def test_auc_judd_hand_case_thresholds_at_fixated_values_only():
    # Map (0.9, 0.1, 0.5, 0.3), fixations at 0.9 and 0.1. Threshold 0.9: TPR 1/2, FPR 0/2;
    # threshold 0.1: TPR 1, FPR 2/2. Curve (0,0)-(0,1/2)-(1,1)-(1,1): area 3/4.
    # (The full ROC / Mann-Whitney value would be 1/2: the Judd variant differs.)
    saliency = np.array([[0.9, 0.1, 0.5, 0.3]])
    fixations = np.array([[True, True, False, False]])
    assert auc_judd(saliency, fixations) == pytest.approx(0.75, abs=1e-12)


# ----------------------------------------------------------------------------- sAUC


def test_sauc_hand_case_with_points_and_map():
    # Positives at fixated pixels 1 and 2: (0.1, 0.5). Negatives at other images' fixations on
    # pixels 2 and 3: (0.5, 0.3). Pairs: 0.5 vs 0.5 tie (1/2), 0.5 > 0.3 (1), 0.1 loses twice.
    saliency = np.array([[0.9, 0.1, 0.5, 0.3]])
    fixations = np.array([[False, True, True, False]])
    points = np.array([[2, 0], [3, 0]])  # (x, y)
    assert sauc(saliency, fixations, points) == pytest.approx(1.5 / 4, abs=1e-12)
    other_map = np.array([[False, False, True, True]])
    assert sauc(saliency, fixations, other_map) == pytest.approx(1.5 / 4, abs=1e-12)


def test_sauc_counts_duplicate_points():
    # Negatives (0.5, 0.5, 0.3): positive 0.5 scores 1/2 + 1/2 + 1, positive 0.1 scores 0 -> 2/6.
    saliency = np.array([[0.9, 0.1, 0.5, 0.3]])
    fixations = np.array([[False, True, True, False]])
    points = [[2.2, 0.0], [1.6, -0.3], [3.0, 0.0]]  # rounded to pixels 2, 2, 3
    assert sauc(saliency, fixations, points) == pytest.approx(2 / 6, abs=1e-12)


def test_sauc_batch_with_per_image_negatives():
    saliency = np.array([[[0.9, 0.1, 0.5, 0.3]], [[0.0, 1.0, 0.0, 0.0]]])
    fixations = np.array([[[False, True, True, False]], [[False, True, False, False]]])
    out = sauc(saliency, fixations, [np.array([[2, 0], [3, 0]]), np.array([[0, 0]])])
    assert out.shape == (2,)
    assert out.tolist() == pytest.approx([0.375, 1.0])


# ----------------------------------------------------------------------------- ground truth and baselines


def test_fixation_density_sums_to_one_and_peaks_at_the_fixation():
    density = fixation_density(np.array([[5.0, 3.0]]), (8, 10), sigma_px=2.0)
    assert density.shape == (8, 10)
    assert density.sum().item() == pytest.approx(1.0, abs=1e-12)
    row, col = divmod(int(density.argmax()), 10)
    assert (row, col) == (3, 5)
    # One pixel to the right the Gaussian has fallen by exp(-1 / (2 sigma^2)).
    assert (density[3, 6] / density[3, 5]).item() == pytest.approx(math.exp(-1 / 8), rel=1e-12)


def test_fixation_density_several_points_and_zero_sigma():
    pts = np.array([[0.0, 0.0], [2.0, 1.0], [2.0, 1.0]])
    d = fixation_density(pts, (3, 4), sigma_px=0)
    expected = np.zeros((3, 4))
    expected[0, 0], expected[1, 2] = 1 / 3, 2 / 3
    np.testing.assert_allclose(d.numpy(), expected, atol=1e-15)
    assert fixation_density(pts, (3, 4), sigma_px=1.5).sum().item() == pytest.approx(1.0)


def test_fixation_density_is_a_blurred_histogram():
    # The MIT benchmark's ground truth: the fixation histogram blurred by a Gaussian, cut at the border.
    from scipy.ndimage import gaussian_filter

    points = np.array([[10.0, 21.0], [10.0, 21.0], [40.0, 5.0]])
    density = fixation_density(points, (32, 48), sigma_px=3.0)
    assert density.dtype == torch.float64 and density.shape == (32, 48)
    histogram = np.zeros((32, 48))
    histogram[21, 10] += 2
    histogram[5, 40] += 1
    reference = gaussian_filter(histogram, 3.0, mode="constant", truncate=20)
    np.testing.assert_allclose(density.numpy(), reference / reference.sum(), atol=1e-9)


def test_fixation_map_rounds_to_nearest_pixel():
    m = fixation_map(np.array([[1.4, 2.6], [1.4, 2.6], [0.0, 0.0]]), (4, 3))
    assert m.dtype == torch.bool and m.sum().item() == 2
    assert bool(m[3, 1]) and bool(m[0, 0])


def test_centre_bias_map():
    m = centre_bias_map((5, 9), sigma_frac=0.25)
    assert m.shape == (5, 9) and m[2, 4].item() == pytest.approx(1.0)
    # Column 0 is 4 px from the centre column; sigma_x = 0.25 * 9.
    assert m[2, 0].item() == pytest.approx(math.exp(-0.5 * (4 / 2.25) ** 2), rel=1e-6)
    assert m[0, 4].item() == pytest.approx(math.exp(-0.5 * (2 / 1.25) ** 2), rel=1e-6)
    assert torch.equal(m, m.flip(0)) and torch.equal(m, m.flip(1))


def test_random_map_is_reproducible():
    a, b, c = random_map((4, 5), seed=3), random_map((4, 5), seed=3), random_map((4, 5), seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() < 1
    assert random_map((2, 4, 5), seed=0).shape == (2, 4, 5)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("metric", [nss, auc_judd])
def test_fixation_metrics_reject_bad_input(metric):
    m = np.random.default_rng(0).random((3, 3))
    with pytest.raises(ValueError, match="shape"):
        metric(m, np.ones((3, 4), dtype=bool))
    with pytest.raises(ValueError, match="empty"):
        metric(m, np.zeros((3, 3), dtype=bool))
    bad = m.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metric(bad, np.eye(3, dtype=bool))


@pytest.mark.parametrize("metric", [cc, kld, sim])
def test_density_metrics_reject_bad_input(metric):
    m = np.random.default_rng(0).random((3, 3))
    with pytest.raises(ValueError, match="shape"):
        metric(m, m[:2])
    with pytest.raises(ValueError, match="NaN"):
        metric(m, np.full((3, 3), np.nan))


@pytest.mark.parametrize("metric", [kld, sim])
def test_distribution_metrics_reject_zero_and_negative_maps(metric):
    d = np.full((2, 2), 0.25)
    with pytest.raises(ValueError, match="sums to zero"):
        metric(np.zeros((2, 2)), d)
    with pytest.raises(ValueError, match="negative"):
        metric(np.array([[-1.0, 1.0], [1.0, 1.0]]), d)


def test_auc_judd_all_pixels_fixated_is_an_error():
    with pytest.raises(ValueError, match="non-fixated"):
        auc_judd(np.random.default_rng(0).random((2, 2)), np.ones((2, 2), dtype=bool))


def test_sauc_and_density_reject_bad_points():
    m = np.random.default_rng(0).random((3, 3))
    fix = np.eye(3, dtype=bool)
    with pytest.raises(ValueError, match="outside"):
        sauc(m, fix, np.array([[5.0, 0.0]]))
    with pytest.raises(ValueError, match="empty"):
        sauc(m, fix, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="empty"):
        fixation_density(np.zeros((0, 2)), (3, 3), 1.0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        fixation_density(np.zeros((4, 3)), (3, 3), 1.0)


def _jittered_mit_auc_judd(saliency, fixations, rng):
    """The MIT benchmark's AUC_Judd as its code runs it: jitter, thresholds at fixated values."""
    s = saliency + rng.random(saliency.shape) / 1e7
    s = (s - s.min()) / (s.max() - s.min())
    thresholds = np.sort(s[fixations])[::-1]
    n_fix, n_pix = thresholds.size, s.size
    tp, fp = [0.0], [0.0]
    for k, t in enumerate(thresholds, start=1):
        above = (s >= t).sum()
        tp.append(k / n_fix)
        fp.append((above - k) / (n_pix - n_fix))
    tp.append(1.0)
    fp.append(1.0)
    return np.trapezoid(tp, fp)


def test_auc_judd_is_the_expectation_of_the_jittered_benchmark_on_tied_maps():
    """Issue 15, item 14: on maps of large constant blocks the exact value is the jittered mean."""
    rng = np.random.default_rng(0)
    saliency = np.kron(rng.integers(0, 4, (4, 4)).astype(float), np.ones((6, 6)))  # 24 x 24, 16 tied blocks
    fixations = rng.random((24, 24)) < 0.06
    runs = np.array([_jittered_mit_auc_judd(saliency, fixations, rng) for _ in range(400)])
    standard_error = runs.std() / np.sqrt(runs.size)
    assert auc_judd(saliency, fixations) == pytest.approx(runs.mean(), abs=4 * standard_error + 1e-9)
    # The straight segment through each tie block (the previous rule) is further off.
    straight = _straight_segment_auc(saliency, fixations)
    assert abs(straight - runs.mean()) > 10 * standard_error


def _straight_segment_auc(saliency, fixations):
    values = np.unique(saliency[fixations])[::-1]
    pos, neg = saliency[fixations], saliency[~fixations]
    tpr = [0.0] + [(pos >= v).mean() for v in values] + [1.0]
    fpr = [0.0] + [(neg >= v).mean() for v in values] + [1.0]
    return np.trapezoid(tpr, fpr)


def test_saliency_ceiling_scores_each_observer_with_the_others_density_by_hand():
    # 2 x 2 frame, sigma 0 (the density is the others' normalised histogram). Observers A and B look
    # at pixel (row 0, col 0), C at (1, 1).
    a, b, c = [[0.0, 0.0]], [[0.0, 0.0]], [[1.0, 1.0]]
    ceiling = saliency_ceiling([a, b, c], (2, 2), sigma_px=0.0, other_fixations=np.array([[1.0, 0.0]]))
    # A (and B): others' density [[.5, 0], [0, .5]], mean .25, population std .25 -> z = 1 at (0, 0).
    # C: others' density [[1, 0], [0, 0]], mean .25, std sqrt(.1875) -> z = -.25 / sqrt(.1875) at (1, 1).
    assert ceiling["nss"] == pytest.approx((1 + 1 - 0.25 / np.sqrt(0.1875)) / 3, abs=1e-12)
    # AUC-Judd (ties in expectation): A's fixation at .5 ties the one other .5 pixel: E[FPR] = (1/2) / 3,
    # area 1/12 + 5/6 = 11/12. C's at 0 has one pixel above and two tied: E[FPR] = (1 + 1) / 3, area 2/3.
    assert ceiling["auc_judd"] == pytest.approx((11 / 12 + 11 / 12 + 2 / 3) / 3, abs=1e-12)
    # sAUC: the one negative, pixel (0, 1), is 0 in every map: A, B win (1), C ties (1/2).
    assert ceiling["sauc"] == pytest.approx(2.5 / 3, abs=1e-12)


def test_saliency_ceiling_ignores_observers_without_fixations_and_needs_two():
    empty = np.zeros((0, 2))
    with_empty = saliency_ceiling([[[0.0, 0.0]], empty, [[1.0, 1.0]]], (2, 2), sigma_px=0.0)
    assert set(with_empty) == {"nss", "auc_judd"}  # no negatives: no sAUC
    # Each of the two observers is scored by the other's one-pixel histogram at another pixel: z = -1/sqrt(3).
    assert with_empty["nss"] == pytest.approx(-1 / np.sqrt(3), abs=1e-12)
    with pytest.raises(ValueError, match="at least 2 observers"):
        saliency_ceiling([[[0.0, 0.0]], empty], (2, 2), sigma_px=1.0)


def test_saliency_ceiling_of_agreeing_observers_beats_that_of_disagreeing_ones():
    rng = np.random.default_rng(0)
    together = [rng.normal([20, 20], 2, size=(5, 2)) for _ in range(6)]
    apart = [rng.uniform(0, 39, size=(5, 2)) for _ in range(6)]
    close, scattered = (saliency_ceiling(paths, (40, 40), sigma_px=3.0) for paths in (together, apart))
    assert close["nss"] > 2 > scattered["nss"] and close["auc_judd"] > scattered["auc_judd"]
