"""Scanpath comparisons on short hand-made paths."""

import numpy as np
import pytest
import torch

from fovex.metrics.scanpath import (
    compare_to_humans,
    dtw_distance,
    inter_observer_ceiling,
    levenshtein_distance,
    scanpath_to_string,
    string_edit_similarity,
)


def test_dtw_identical_paths_is_zero():
    path = np.array([[10.0, 20.0], [30.0, 5.0], [7.0, 7.0]])
    assert dtw_distance(path, path) == 0.0
    assert dtw_distance(torch.tensor(path), path.tolist()) == 0.0


def test_dtw_hand_case():
    # a = (0,0) (1,0) (2,0), b = (0,0) (2,0). Best alignment: a0-b0 (0), a1-b0 or a1-b1 (1), a2-b1 (0).
    a = [[0, 0], [1, 0], [2, 0]]
    b = [[0, 0], [2, 0]]
    assert dtw_distance(a, b) == pytest.approx(1.0)
    assert dtw_distance(b, a) == pytest.approx(1.0)
    # A single fixation is matched to every fixation of the other path: 0 + 5.
    assert dtw_distance([[0, 0], [3, 4]], [[0, 0]]) == pytest.approx(5.0)
    # Shifting one path by (3, 4) px costs 5 px per aligned pair.
    assert dtw_distance(a, np.array(a) + [3, 4]) == pytest.approx(15.0)


def test_dtw_in_degrees():
    assert dtw_distance([[0, 0], [3, 4]], [[0, 0]], px_per_degree=2.5) == pytest.approx(2.0)


def test_scanpath_to_string_grid_cells():
    # 100 x 200 (H x W) image, 2 x 2 grid: cells are 50 rows by 100 columns.
    path = [[10, 10], [150, 10], [150, 60], [-5, 120], [199.9, 99.9]]
    assert scanpath_to_string(path, (100, 200), grid=2) == [0, 1, 3, 2, 3]


def test_levenshtein_distance():
    assert levenshtein_distance("kitten", "sitting") == 3
    assert levenshtein_distance([], [1, 2]) == 2
    assert levenshtein_distance([1, 2, 3], [1, 2, 3]) == 0


def test_string_edit_similarity():
    shape = (100, 100)
    a = [[10, 10], [60, 10], [60, 60]]  # cells 0, 1, 3 on a 2 x 2 grid
    b = [[20, 20], [70, 70]]  # cells 0, 3: one deletion away
    assert string_edit_similarity(a, a, shape, grid=2) == 1.0
    assert string_edit_similarity(a, b, shape, grid=2) == pytest.approx(1 - 1 / 3)
    c = [[10, 10], [20, 20], [60, 60]]  # cells 0, 0, 3
    assert string_edit_similarity(c, b, shape, grid=2) == pytest.approx(1 - 1 / 3)
    assert string_edit_similarity(c, b, shape, grid=2, collapse_repeats=True) == 1.0
    far = [[90, 90], [90, 90], [90, 90]]
    assert string_edit_similarity(a, far, shape, grid=2) == pytest.approx(1 / 3)


def test_compare_to_humans_per_observer_and_mean():
    model = [[0, 0], [3, 4]]
    humans = [[[0, 0], [3, 4]], [[0, 0]], [[3, 4], [3, 4], [3, 4]]]
    # DTW: 0; 5 (single fixation); 5 (first model fixation 5 px from each human one).
    res = compare_to_humans(model, humans, metric="dtw")
    assert res.per_observer.tolist() == pytest.approx([0.0, 5.0, 5.0])
    assert res.mean == pytest.approx(10 / 3)
    assert res.higher_is_better is False
    truncated = compare_to_humans(model, humans, metric="dtw", max_fixations=1)
    assert truncated.per_observer.tolist() == pytest.approx([0.0, 0.0, 5.0])
    sim = compare_to_humans(model, humans, metric="string_edit", image_shape=(10, 10), grid=2)
    assert sim.higher_is_better is True and sim.per_observer[0] == 1.0


def test_compare_to_humans_with_a_custom_metric():
    first_distance = lambda a, b: float(np.abs(np.asarray(a)[0] - np.asarray(b)[0]).sum())  # noqa: E731
    res = compare_to_humans([[1, 1]], [[[1, 2]], [[4, 1]]], metric=first_distance, higher_is_better=False)
    assert res.per_observer.tolist() == [1.0, 3.0]


def test_inter_observer_ceiling_leave_one_out():
    humans = [[[0, 0]], [[3, 4]], [[6, 8]]]
    # Pairwise DTW of single fixations: d01 = 5, d02 = 10, d12 = 5.
    res = inter_observer_ceiling(humans, metric="dtw")
    assert res.per_observer.tolist() == pytest.approx([7.5, 5.0, 7.5])
    assert res.mean == pytest.approx(20 / 3)


def test_scanpath_bad_input():
    with pytest.raises(ValueError, match="empty"):
        dtw_distance(np.zeros((0, 2)), [[0, 0]])
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        dtw_distance([[0, 0, 0]], [[0, 0]])
    with pytest.raises(ValueError, match="NaN"):
        dtw_distance([[np.nan, 0]], [[0, 0]])
    with pytest.raises(ValueError, match="unknown metric"):
        compare_to_humans([[0, 0]], [[[0, 0]]], metric="multimatch")
    with pytest.raises(ValueError, match="at least 2"):
        inter_observer_ceiling([[[0, 0]]])
    with pytest.raises(ValueError, match="empty"):
        compare_to_humans([[0, 0]], [])
    with pytest.raises(ValueError, match="higher_is_better"):
        compare_to_humans([[0, 0]], [[[0, 0]]], metric=lambda a, b: 0.0)
