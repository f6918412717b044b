"""Scanpath similarity: a model's fixation sequence against human scanpaths (book/spec.md §2.3).

A scanpath is a ``(T, 2)`` array (numpy, tensor or nested list) of fixations ``(x, y)`` in
pixels (x right, y down, 0-based), in temporal order. All functions return Python floats or
numpy arrays; scanpaths are short, so the work is done in numpy on the CPU.

- :func:`dtw_distance`: dynamic time warping distance (a distance: lower is better).
- :func:`string_edit_similarity`: Levenshtein similarity of grid-cell strings (higher is better).
- :func:`compare_to_humans`: one scanpath against each observer's, with the mean.
- :func:`inter_observer_ceiling`: each observer against the others (leave one out).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ._utils import to_tensor

__all__ = [
    "ScanpathComparison",
    "dtw_distance",
    "scanpath_to_string",
    "levenshtein_distance",
    "string_edit_similarity",
    "compare_to_humans",
    "inter_observer_ceiling",
]


def _as_scanpath(path: Any, name: str) -> np.ndarray:
    arr = to_tensor(path, name).detach().cpu().double().numpy()
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be a (T, 2) array of (x, y) fixations, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: a scanpath needs at least one fixation")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite coordinates")
    return arr


def dtw_distance(path_a: Any, path_b: Any, px_per_degree: float | None = None) -> float:
    """Dynamic time warping distance between two scanpaths.

    With ``d(i, j) = ||a_i - b_j||_2`` the Euclidean distance between fixations,
    ``D(i, j) = d(i, j) + min(D(i-1, j), D(i, j-1), D(i-1, j-1))``, ``D(0, 0) = d(0, 0)``, and
    ``DTW = D(T_a - 1, T_b - 1)``: the smallest total distance over monotone alignments that
    match every fixation of each path to at least one of the other, first to first and last
    to last. It is a sum, so it grows with path length; compare paths of similar lengths
    (see ``max_fixations`` in :func:`compare_to_humans`).

    Args:
        path_a, path_b: scanpaths ``(T_a, 2)``, ``(T_b, 2)`` in pixels.
        px_per_degree: if given, the result is in degrees of visual angle (pixels / px_per_degree).
    Returns:
        distance in pixels (or degrees); 0 for identical paths.
    """
    a, b = _as_scanpath(path_a, "path_a"), _as_scanpath(path_b, "path_b")
    cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    acc = np.full((a.shape[0] + 1, b.shape[0] + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, a.shape[0] + 1):
        for j in range(1, b.shape[0] + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    distance = float(acc[-1, -1])
    if px_per_degree is not None:
        if px_per_degree <= 0:
            raise ValueError(f"px_per_degree must be > 0, got {px_per_degree}")
        distance /= px_per_degree
    return distance


def scanpath_to_string(path: Any, image_shape: tuple[int, int], grid: int = 5) -> list[int]:
    """Grid-cell sequence of a scanpath: the image is cut into ``grid x grid`` equal cells.

    Fixation (x, y) falls in cell ``row * grid + col`` with ``col = floor(x * grid / W)`` and
    ``row = floor(y * grid / H)``, clipped to ``[0, grid - 1]`` (fixations just off the image
    count in the nearest border cell).
    """
    arr = _as_scanpath(path, "path")
    if grid < 1:
        raise ValueError(f"grid must be >= 1, got {grid}")
    height, width = image_shape
    cols = np.clip(np.floor(arr[:, 0] * grid / width), 0, grid - 1).astype(int)
    rows = np.clip(np.floor(arr[:, 1] * grid / height), 0, grid - 1).astype(int)
    return (rows * grid + cols).tolist()


def levenshtein_distance(seq_a: Sequence, seq_b: Sequence) -> int:
    """Minimum number of insertions, deletions and substitutions turning ``seq_a`` into ``seq_b``."""
    previous = list(range(len(seq_b) + 1))
    for i, item_a in enumerate(seq_a, start=1):
        current = [i]
        for j, item_b in enumerate(seq_b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (item_a != item_b)))
        previous = current
    return previous[-1]


def string_edit_similarity(
    path_a: Any,
    path_b: Any,
    image_shape: tuple[int, int],
    grid: int = 5,
    collapse_repeats: bool = False,
) -> float:
    """String-edit (Levenshtein) similarity of two scanpaths on a ``grid x grid`` partition.

    Each path becomes a string of cell labels (:func:`scanpath_to_string`);
    ``similarity = 1 - lev(s_a, s_b) / max(len(s_a), len(s_b))``. This is the unit-cost core of
    ScanMatch-style comparisons (no substitution matrix, no temporal binning).

    Args:
        path_a, path_b: scanpaths ``(T, 2)`` in pixels of an image of ``image_shape = (H, W)``.
        grid: cells per side (5 gives the common 5 x 5 partition).
        collapse_repeats: merge consecutive fixations in the same cell into one letter.
    Returns:
        similarity in [0, 1]; 1 for identical strings.
    """
    s_a = scanpath_to_string(path_a, image_shape, grid)
    s_b = scanpath_to_string(path_b, image_shape, grid)
    if collapse_repeats:
        s_a, s_b = _collapse(s_a), _collapse(s_b)
    return 1.0 - levenshtein_distance(s_a, s_b) / max(len(s_a), len(s_b))


def _collapse(seq: list[int]) -> list[int]:
    return [c for k, c in enumerate(seq) if k == 0 or c != seq[k - 1]]


@dataclass
class ScanpathComparison:
    """Scores of one scanpath (or observer) against a set of observers.

    Attributes:
        mean: mean of ``per_observer``.
        per_observer: ``(N,)`` one score per observer.
        higher_is_better: False for distances (DTW), True for similarities (string edit).
    """

    mean: float
    per_observer: np.ndarray
    higher_is_better: bool


_METRICS: dict[str, tuple[Callable[..., float], bool]] = {
    "dtw": (dtw_distance, False),
    "string_edit": (string_edit_similarity, True),
}


def _resolve_metric(metric: str | Callable[..., float], metric_kwargs: dict, higher_is_better: bool | None):
    if callable(metric):
        if higher_is_better is None:
            raise ValueError("a custom metric needs higher_is_better=True/False")
        return partial(metric, **metric_kwargs), higher_is_better
    if metric not in _METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {sorted(_METRICS)} or a callable")
    fn, better = _METRICS[metric]
    return partial(fn, **metric_kwargs), better


def _truncate(path: Any, name: str, max_fixations: int | None) -> np.ndarray:
    arr = _as_scanpath(path, name)
    if max_fixations is not None and max_fixations < 1:
        raise ValueError(f"max_fixations must be >= 1 or None, got {max_fixations}")
    return arr if max_fixations is None else arr[:max_fixations]


def compare_to_humans(
    model_path: Any,
    human_paths: Sequence[Any],
    metric: str | Callable[..., float] = "dtw",
    max_fixations: int | None = None,
    higher_is_better: bool | None = None,
    **metric_kwargs: Any,
) -> ScanpathComparison:
    """Score one (model) scanpath against each human observer's scanpath on the same image.

    ``per_observer[k] = metric(model_path, human_paths[k])``; ``mean`` is their average.

    Args:
        model_path: ``(T, 2)`` pixels.
        human_paths: list of ``(T_k, 2)`` scanpaths, one per observer.
        metric: ``"dtw"`` (:func:`dtw_distance`), ``"string_edit"`` (:func:`string_edit_similarity`,
            needs ``image_shape=(H, W)``), or a callable ``(path_a, path_b, **kw) -> float``.
        max_fixations: compare only the first n fixations of every path (e.g. NeVA's T = 10).
        higher_is_better: orientation of a custom callable metric.
        **metric_kwargs: passed to the metric (``px_per_degree``, ``image_shape``, ``grid``, ...).
    """
    if len(human_paths) == 0:
        raise ValueError("human_paths is empty: need at least one observer")
    fn, better = _resolve_metric(metric, metric_kwargs, higher_is_better)
    model = _truncate(model_path, "model_path", max_fixations)
    scores = np.array(
        [fn(model, _truncate(h, f"human_paths[{k}]", max_fixations)) for k, h in enumerate(human_paths)],
        dtype=np.float64,
    )
    return ScanpathComparison(mean=float(scores.mean()), per_observer=scores, higher_is_better=better)


def inter_observer_ceiling(
    human_paths: Sequence[Any],
    metric: str | Callable[..., float] = "dtw",
    max_fixations: int | None = None,
    higher_is_better: bool | None = None,
    **metric_kwargs: Any,
) -> ScanpathComparison:
    """Leave-one-out agreement among humans: how well one observer predicts the others.

    ``per_observer[k] = mean_{j != k} metric(human_paths[k], human_paths[j])``; ``mean`` is the
    average over observers. A model scored with :func:`compare_to_humans` (same metric and
    arguments) is at human level when it matches this value.

    Args: as :func:`compare_to_humans`; needs at least two observers.
    """
    if len(human_paths) < 2:
        raise ValueError(f"inter-observer agreement needs at least 2 observers, got {len(human_paths)}")
    fn, better = _resolve_metric(metric, metric_kwargs, higher_is_better)
    paths = [_truncate(h, f"human_paths[{k}]", max_fixations) for k, h in enumerate(human_paths)]
    scores = np.array(
        [np.mean([fn(paths[k], paths[j]) for j in range(len(paths)) if j != k]) for k in range(len(paths))],
        dtype=np.float64,
    )
    return ScanpathComparison(mean=float(scores.mean()), per_observer=scores, higher_is_better=better)
