"""Pointing game and energy-based pointing game on hand-made maps and boxes."""

import numpy as np
import pytest
import torch

from fovex.metrics.localization import (
    argmax_point,
    energy_pointing_game,
    pointing_game,
    pointing_game_accuracy,
    region_mask,
)


def _peak_map(x, y, shape=(50, 50)):
    m = np.zeros(shape)
    m[y, x] = 1.0
    return m


PEAK = _peak_map(30, 20)  # maximum at (x, y) = (30, 20)


def test_argmax_point_is_x_y_and_ties_go_to_first_pixel():
    assert argmax_point(PEAK) == (30, 20)
    assert argmax_point(np.ones((4, 5))) == (0, 0)
    tied = np.zeros((4, 5))
    tied[2, 1] = tied[1, 3] = 1.0  # row-major: (x=3, y=1) comes first
    assert argmax_point(tied) == (3, 1)


def test_pointing_game_tolerance_is_strict_euclidean():
    # Box starting 15 px right of the peak: distance exactly 15 is a miss (TorchRay's strict <).
    box_at_15 = np.array([[45, 20, 49, 25]])
    assert pointing_game(PEAK, box_at_15, tolerance_px=15) is False
    assert pointing_game(PEAK, box_at_15, tolerance_px=15.5) is True
    assert pointing_game(PEAK, np.array([[44, 20, 49, 25]]), tolerance_px=15) is True
    # Nearest box pixel (10, 10): distance sqrt(20^2 + 10^2) ~ 22.4.
    assert pointing_game(PEAK, [0, 0, 10, 10], tolerance_px=15) is False
    assert pointing_game(PEAK, [0, 0, 10, 10], tolerance_px=23) is True


def test_pointing_game_diagonal_distance_uses_the_nearest_pixel():
    # Mask pixel at (x, y) = (42, 29): dx 12, dy 9, distance exactly 15 -> miss; (41, 29): sqrt(202) -> hit.
    mask = np.zeros((50, 50), dtype=bool)
    mask[29, 42] = True
    assert pointing_game(PEAK, mask) is False
    mask[29, 41] = True
    assert pointing_game(PEAK, mask) is True


def test_pointing_game_inside_region_and_zero_tolerance():
    assert pointing_game(PEAK, [[30, 20, 30, 20]], tolerance_px=0) is True  # inclusive coordinates
    assert pointing_game(PEAK, [[31, 20, 35, 25]], tolerance_px=0) is False
    assert pointing_game(PEAK, [[31, 20, 35, 25]], tolerance_px=1.5) is True


def test_pointing_game_union_of_boxes_and_batches_of_different_sizes():
    far, near = [0, 0, 5, 5], [35, 25, 40, 30]  # near: dx 5, dy 5
    maps = [PEAK, _peak_map(2, 2, shape=(10, 12))]
    hits = pointing_game(maps, [np.array([far, near]), [[8, 8, 11, 9]]], tolerance_px=8)
    # Map 1: (2, 2) to (8, 8) is sqrt(72) ~ 8.49 > 8, a miss; at tolerance 9 a hit.
    assert hits.dtype == torch.bool and hits.tolist() == [True, False]
    assert pointing_game(maps[1], [[8, 8, 11, 9]], tolerance_px=9) is True
    batch = np.stack([PEAK, _peak_map(0, 0)])
    assert pointing_game(batch, [[far], [far]]).tolist() == [False, True]


def test_region_mask_boxes_are_inclusive_and_clipped():
    m = region_mask([[1, 0, 2, 1], [3, 2, 10, 10]], (3, 4))
    expected = np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    assert np.array_equal(m.numpy(), expected)
    masks = np.zeros((2, 3, 4), dtype=bool)
    masks[0, 0, 0] = masks[1, 2, 3] = True
    assert region_mask(masks, (3, 4)).sum().item() == 2
    assert region_mask([masks[0], [1, 1, 1, 1]], (3, 4)).sum().item() == 2


def test_pointing_game_accuracy_is_mean_of_per_class_rates():
    hits = [True, False, True, True]
    classes = [0, 0, 1, 2]
    acc = pointing_game_accuracy(hits, classes)
    # Per class 50, 100, 100 -> 83.3 (the pooled rate would be 75).
    assert acc.accuracy_pct == pytest.approx(250 / 3)
    assert acc.per_class_pct == {0: 50.0, 1: 100.0, 2: 100.0}
    assert acc.count_per_class == {0: 2, 1: 1, 2: 1}
    excluded = pointing_game_accuracy(hits, classes, difficult=[False, True, False, False], exclude_difficult=True)
    assert excluded.accuracy_pct == pytest.approx(100.0)
    assert excluded.count_per_class[0] == 1
    kept = pointing_game_accuracy(hits, classes, difficult=[False, True, False, False])
    assert kept.accuracy_pct == pytest.approx(250 / 3)


def test_energy_pointing_game_hand_case():
    m = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]])  # total 10
    assert energy_pointing_game(m, [[0, 0, 1, 0]]) == pytest.approx(30.0)
    # Overlapping boxes count their shared pixel (value 3) once: 2 + 3 + 4 = 9.
    assert energy_pointing_game(m, [[1, 0, 1, 1], [1, 1, 2, 1]]) == pytest.approx(90.0)
    out = energy_pointing_game(np.stack([m, m]), [[[0, 0, 2, 1]], [[2, 0, 2, 0]]])
    assert out.tolist() == pytest.approx([100.0, 0.0])


def test_energy_pointing_game_zero_map():
    with pytest.raises(ValueError, match="all zero"):
        energy_pointing_game(np.zeros((3, 3)), [[0, 0, 1, 1]])
    assert energy_pointing_game(np.zeros((3, 3)), [[0, 0, 1, 1]], on_zero_energy="zero") == 0.0


def test_localization_bad_input():
    with pytest.raises(ValueError, match="negative"):
        energy_pointing_game(np.array([[-1.0, 2.0]]), [[0, 0, 0, 0]])
    with pytest.raises(ValueError, match="NaN"):
        pointing_game(np.array([[np.nan, 1.0]]), [[0, 0, 0, 0]])
    with pytest.raises(ValueError, match="x1 < x0"):
        pointing_game(PEAK, [[10, 0, 5, 5]])
    with pytest.raises(ValueError, match="empty"):
        pointing_game(PEAK, [[60, 60, 70, 70]])  # entirely outside the map
    with pytest.raises(ValueError, match="shape"):
        pointing_game(PEAK, np.zeros((10, 10), dtype=bool))
    with pytest.raises(ValueError, match="list of 2 regions"):
        pointing_game(np.stack([PEAK, PEAK]), [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="differ in length"):
        pointing_game_accuracy([True, False], [0])
    with pytest.raises(ValueError, match="difficult"):
        pointing_game_accuracy([True], [0], exclude_difficult=True)
