"""Plausibility: agreement of an attribution map with human gaze (book/spec.md §2.3).

Definitions follow pysaliency and the MIT saliency benchmark (Bylinskii et al., "What do
different evaluation metrics tell us about saliency models?", TPAMI 2019). Where the two
disagree, the choice made here is stated in the metric's docstring.

Conventions shared by every metric in this module:

- The saliency (attribution) map comes first. Maps are ``(H, W)`` for one image or
  ``(B, H, W)`` for a batch; numpy arrays, tensors and nested lists are accepted.
- One map in gives a Python ``float``; a batch in gives a float64 tensor of shape ``(B,)`` on the
  map's device (metrics are computed per image; averaging over a data set is the caller's job).
- Fixation maps are boolean ``(H, W)`` (numeric maps count every non-zero pixel as fixated);
  each fixated pixel counts once, as in the MIT benchmark.
- Densities are non-negative maps; they are normalised to sum 1 where the metric needs it.
- Degenerate input (shape mismatch, NaN/inf, no fixations, a map summing to zero where a
  distribution is needed) raises ``ValueError`` instead of returning NaN.
- Computation is in float64 (float32 on MPS) on the input's device.

Size: six metrics, the fixation maps and densities they share and the human ceiling built from
them, each a short function with its formula; one module keeps the conventions above in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ._utils import as_bool, as_float, compute_dtype, to_tensor

__all__ = [
    "nss",
    "cc",
    "kld",
    "sim",
    "auc_judd",
    "sauc",
    "fixation_density",
    "fixation_map",
    "saliency_ceiling",
    "KLD_EPS",
]

#: Regulariser of KLD, MATLAB's ``eps`` as used by the MIT benchmark.
KLD_EPS = 2.2204e-16


# ----------------------------------------------------------------------------- helpers


def _pair(saliency: Any, other: Any, other_name: str, other_is_bool: bool):
    """Return (saliency (B,H,W), other (B,H,W), batched) with matching shapes."""
    sal = as_float(saliency, "saliency map")
    oth = as_bool(other, other_name) if other_is_bool else as_float(other, other_name)
    oth = oth.to(sal.device)
    if sal.ndim not in (2, 3):
        raise ValueError(f"saliency map must be (H, W) or (B, H, W), got shape {tuple(sal.shape)}")
    if oth.shape != sal.shape:
        raise ValueError(f"{other_name} shape {tuple(oth.shape)} does not match saliency map shape {tuple(sal.shape)}")
    batched = sal.ndim == 3
    if not batched:
        sal, oth = sal.unsqueeze(0), oth.unsqueeze(0)
    return sal, oth, batched


def _finish(values: list[torch.Tensor], batched: bool, device: torch.device):
    if batched:
        return torch.stack([v.to(device=device, dtype=torch.float64) for v in values])
    return float(values[0])


def _require_fixations(fix: torch.Tensor, index: int, batched: bool) -> None:
    if not bool(fix.any()):
        where = f" (map {index})" if batched else ""
        raise ValueError(f"fixation map is empty{where}: the metric needs at least one fixation")


def _to_distribution(m: torch.Tensor, name: str, index: int, batched: bool) -> torch.Tensor:
    where = f" (map {index})" if batched else ""
    if bool((m < 0).any()):
        raise ValueError(f"{name}{where} has negative values; it must be a non-negative distribution")
    total = m.sum()
    if not bool(total > 0):
        raise ValueError(f"{name}{where} sums to zero; it cannot be normalised to a distribution")
    return m / total


def _zscore(m: torch.Tensor) -> torch.Tensor | None:
    """Map minus its mean over its population std; None for a constant map."""
    # Test constancy exactly: the computed std of a constant map can be ~1e-17 instead of 0.
    if bool(m.max() == m.min()):
        return None
    return (m - m.mean()) / m.std(correction=0)


def _trapezoid(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return ((x[1:] - x[:-1]) * (y[1:] + y[:-1])).sum() / 2


# ----------------------------------------------------------------------------- metrics


def nss(saliency: Any, fixations: Any):
    """Normalized Scanpath Saliency.

    ``NSS = mean_{i in F} (S_i - mean(S)) / std(S)``, with F the set of fixated pixels
    (each counted once) and std the population standard deviation (ddof = 0, as in pysaliency;
    the MATLAB benchmark's ``std`` uses ddof = 1, a difference of order 1/(H*W)).
    A constant map has no z-score; its NSS is defined as 0, the chance level.

    Args:
        saliency: map ``(H, W)`` or ``(B, H, W)``.
        fixations: boolean fixation map of the same shape.
    Returns:
        float, or float64 tensor ``(B,)``. Higher is better; 0 is chance.
    """
    sal, fix, batched = _pair(saliency, fixations, "fixations", other_is_bool=True)
    values = []
    for i, (s, f) in enumerate(zip(sal, fix)):
        _require_fixations(f, i, batched)
        z = _zscore(s)
        values.append(s.new_zeros(()) if z is None else z[f].mean())
    return _finish(values, batched, sal.device)


def cc(saliency: Any, density: Any):
    """Pearson linear correlation coefficient between the map and the fixation density.

    ``CC = mean(z(S) * z(D))`` with ``z(M) = (M - mean(M)) / std(M)`` (population std), i.e.
    ``cov(S, D) / (std(S) std(D))``. If either map is constant the correlation is undefined;
    it is defined here as 0.

    Args:
        saliency: map ``(H, W)`` or ``(B, H, W)``.
        density: empirical fixation density of the same shape (any scale).
    Returns:
        float in [-1, 1], or float64 tensor ``(B,)``. Higher is better.
    """
    sal, den, batched = _pair(saliency, density, "density", other_is_bool=False)
    values = []
    for s, d in zip(sal, den):
        zs, zd = _zscore(s), _zscore(d)
        values.append(s.new_zeros(()) if zs is None or zd is None else (zs * zd).mean())
    return _finish(values, batched, sal.device)


def kld(saliency: Any, density: Any):
    """Kullback-Leibler divergence of the fixation density Q from the map P (MIT benchmark).

    ``P = S / sum(S)``, ``Q = D / sum(D)``,
    ``KLD = sum_i Q_i * log(eps + Q_i / (P_i + eps))`` with ``eps = 2.2204e-16`` (natural log).

    Args:
        saliency: non-negative map ``(H, W)`` or ``(B, H, W)``; must not sum to zero.
        density: non-negative empirical density of the same shape; must not sum to zero.
    Returns:
        float >= ~0, or float64 tensor ``(B,)``. Lower is better; 0 for identical distributions.
    """
    sal, den, batched = _pair(saliency, density, "density", other_is_bool=False)
    values = []
    for i, (s, d) in enumerate(zip(sal, den)):
        p = _to_distribution(s, "saliency map", i, batched)
        q = _to_distribution(d, "density", i, batched)
        values.append((q * torch.log(KLD_EPS + q / (p + KLD_EPS))).sum())
    return _finish(values, batched, sal.device)


def sim(saliency: Any, density: Any, minmax: bool = False):
    """Similarity (histogram intersection) of the two maps as distributions.

    ``SIM = sum_i min(P_i, Q_i)`` with ``P = S / sum(S)`` and ``Q = D / sum(D)`` (pysaliency).
    ``minmax=True`` first rescales each map to [0, 1] by min-max, as the MIT benchmark's
    ``similarity.m`` does; this matters only for maps whose minimum is not 0.

    Args:
        saliency: non-negative map ``(H, W)`` or ``(B, H, W)``.
        density: non-negative empirical density of the same shape.
        minmax: apply the MIT benchmark's min-max rescaling first.
    Returns:
        float in [0, 1], or float64 tensor ``(B,)``. Higher is better; 1 for identical distributions.
    """
    sal, den, batched = _pair(saliency, density, "density", other_is_bool=False)
    values = []
    for i, (s, d) in enumerate(zip(sal, den)):
        if minmax:
            s, d = _minmax(s), _minmax(d)
        p = _to_distribution(s, "saliency map", i, batched)
        q = _to_distribution(d, "density", i, batched)
        values.append(torch.minimum(p, q).sum())
    return _finish(values, batched, sal.device)


def _minmax(m: torch.Tensor) -> torch.Tensor:
    span = m.max() - m.min()
    # A constant map stays as is (MIT leaves it unscaled too) and then becomes uniform.
    return (m - m.min()) / span if bool(span > 0) else m


def auc_judd(saliency: Any, fixations: Any):
    """Area under the ROC curve, Judd variant (MIT benchmark ``AUC_Judd``), ties in expectation.

    The benchmark breaks ties with a tiny random jitter, sorts the map values at the ``F`` fixated
    pixels (each pixel once) in decreasing order, and for the k-th of them puts the point
    ``(FPR_k, TPR_k) = (#non-fixated pixels ranked above it / N_neg, k / F)`` on the curve, which
    runs from (0, 0) through these points to (1, 1) and is integrated by the trapezoid rule.

    Here ties are handled exactly: the result is the *expectation* of the jittered benchmark
    (jitter = a uniformly random order within each block of equal values). ``TPR_k`` does not
    depend on the jitter, and the area is linear in the ``FPR_k``, so the expected area is the
    area through the expected points: for the j-th of the ``f`` fixated pixels of a block of equal
    value that also holds ``n`` non-fixated pixels, with ``N_above`` non-fixated pixels of larger
    value, ``E[FPR] = (N_above + j n / (f + 1)) / N_neg``. The block's non-fixated pixels ranked
    after its last fixated one are only counted at the next threshold, as in the benchmark, so a
    constant map scores ``(F + 2) / (2 (F + 1))`` (> 0.5), not 0.5.

    Args:
        saliency: map ``(H, W)`` or ``(B, H, W)``.
        fixations: boolean fixation map of the same shape; needs at least one fixated and
            one non-fixated pixel.
    Returns:
        float in [0, 1], or float64 tensor ``(B,)``. Higher is better.
    """
    sal, fix, batched = _pair(saliency, fixations, "fixations", other_is_bool=True)
    values = []
    for i, (s, f) in enumerate(zip(sal, fix)):
        _require_fixations(f, i, batched)
        positives, negatives = s[f], s[~f]
        if negatives.numel() == 0:
            raise ValueError("AUC-Judd needs at least one non-fixated pixel; every pixel is fixated")
        pos_sorted, neg_sorted = positives.sort().values, negatives.sort().values
        blocks = torch.unique(positives).flip(0)  # distinct fixated values, decreasing
        fixated = torch.searchsorted(pos_sorted, blocks, right=True) - torch.searchsorted(pos_sorted, blocks)
        fixated_above = pos_sorted.numel() - torch.searchsorted(pos_sorted, blocks, right=True)
        tied = torch.searchsorted(neg_sorted, blocks, right=True) - torch.searchsorted(neg_sorted, blocks)
        above = neg_sorted.numel() - torch.searchsorted(neg_sorted, blocks, right=True)
        block = torch.repeat_interleave(torch.arange(blocks.numel(), device=s.device), fixated)
        j = torch.arange(block.numel(), device=s.device) - (torch.cumsum(fixated, 0) - fixated)[block] + 1
        tpr = (fixated_above[block] + j).to(s.dtype) / pos_sorted.numel()
        fpr = (above[block] + j * tied[block].to(s.dtype) / (fixated[block] + 1)).to(s.dtype) / neg_sorted.numel()
        zero, one = s.new_zeros(1), s.new_ones(1)
        values.append(_trapezoid(torch.cat([zero, tpr, one]), torch.cat([zero, fpr, one])))
    return _finish(values, batched, sal.device)


def sauc(saliency: Any, fixations: Any, other_fixations: Any):
    """Shuffled AUC: fixated pixels of this image against fixations of other images.

    Positives are the map values at this image's fixated pixels (each pixel once); negatives are
    the map values at the other images' fixation locations. The score is the exact area under
    the ROC curve of positives against negatives (the Mann-Whitney statistic, ties counting
    one half)::

        sAUC = (1 / (n_pos n_neg)) * sum_{p, n} ( [S_p > S_n] + 0.5 [S_p = S_n] )

    This is the quantity the MIT benchmark's ``AUC_shuffled`` estimates by sampling 100 random
    subsets of negatives with a threshold step of 0.1; here it is computed exactly, so it is
    deterministic. Negatives are not removed where they coincide with this image's fixations
    (neither the benchmark nor pysaliency removes them).

    Args:
        saliency: map ``(H, W)`` or ``(B, H, W)``.
        fixations: boolean fixation map of the same shape.
        other_fixations: the negatives, one of
            - a boolean map ``(H, W)`` (each marked pixel is one negative), or ``(B, H, W)``;
            - an array ``(N, 2)`` of (x, y) pixel coordinates (x right, y down, 0-based), rounded
              to the nearest pixel; every point is one negative, duplicates included;
            - for a batch, a list of B such maps or point arrays (one per image); a single
              ``(H, W)`` map or ``(N, 2)`` array is shared by all images.
            Only boolean input is read as a map: convert 0/1 numeric maps with ``m > 0``.
    Returns:
        float in [0, 1], or float64 tensor ``(B,)``. Higher is better; 0.5 is chance.
    """
    sal, fix, batched = _pair(saliency, fixations, "fixations", other_is_bool=True)
    per_image = _split_other_fixations(other_fixations, sal.shape[0], sal.shape[1:], batched)
    values = []
    for i, (s, f, other) in enumerate(zip(sal, fix, per_image)):
        _require_fixations(f, i, batched)
        negatives = _values_at(s, other, i, batched)
        positives = s[f]
        neg_sorted = negatives.sort().values
        below = torch.searchsorted(neg_sorted, positives, side="left")
        below_or_equal = torch.searchsorted(neg_sorted, positives, side="right")
        wins = (below + below_or_equal).to(s.dtype) / 2
        values.append(wins.sum() / (positives.numel() * neg_sorted.numel()))
    return _finish(values, batched, sal.device)


def _split_other_fixations(other: Any, batch: int, shape, batched: bool) -> list[Any]:
    if isinstance(other, (list, tuple)) and batched and len(other) == batch and not _is_point_list(other):
        return list(other)
    t = to_tensor(other, "other_fixations")
    if t.dtype == torch.bool and t.ndim == 3:
        if not batched or t.shape[0] != batch:
            raise ValueError(f"other_fixations map of shape {tuple(t.shape)} does not match the batch of {batch} maps")
        return list(t)
    return [t] * batch


def _is_point_list(x: Sequence) -> bool:
    """True for a nested list of numbers like [[x, y], ...] (one point array, not B items)."""
    return all(isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(c, (int, float)) for c in p) for p in x)


def _values_at(s: torch.Tensor, other: Any, index: int, batched: bool) -> torch.Tensor:
    where = f" (map {index})" if batched else ""
    t = to_tensor(other, "other_fixations").to(s.device)
    if t.dtype == torch.bool:
        if t.shape != s.shape:
            raise ValueError(
                f"other_fixations map{where} shape {tuple(t.shape)} does not match saliency map {tuple(s.shape)}"
            )
        values = s[t]
    else:
        rows, cols = _points_to_pixels(t, tuple(s.shape), "other_fixations")
        values = s[rows, cols]
    if values.numel() == 0:
        raise ValueError(f"other_fixations{where} is empty: sAUC needs at least one negative")
    return values


def _points_to_pixels(points: Any, shape: tuple[int, int], name: str):
    """(N, 2) (x, y) points -> (row, col) index tensors of the nearest pixels, bounds-checked."""
    t = as_float(points, name)
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"{name} must be an (N, 2) array of (x, y) points, got shape {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one point is needed")
    height, width = shape
    x, y = t[:, 0], t[:, 1]
    # A point belongs to the image while it lies on some pixel's extent [i - 0.5, i + 0.5].
    if bool(((x < -0.5) | (x > width - 0.5) | (y < -0.5) | (y > height - 0.5)).any()):
        raise ValueError(f"{name} has points outside the image of size (H, W) = {shape}")
    cols = torch.round(x).long().clamp(0, width - 1)
    rows = torch.round(y).long().clamp(0, height - 1)
    return rows, cols


# ----------------------------------------------------------------------------- ground truth


def fixation_map(points_xy: Any, shape: tuple[int, int]) -> torch.Tensor:
    """Boolean fixation map ``(H, W)`` marking the nearest pixel of each (x, y) point.

    Points are (x right, y down) in 0-based pixels; a point must lie on the image
    (``-0.5 <= x <= W - 0.5``, same for y). Repeated fixations on one pixel mark it once.
    """
    rows, cols = _points_to_pixels(points_xy, tuple(shape), "points_xy")
    out = torch.zeros(tuple(shape), dtype=torch.bool, device=rows.device)
    out[rows, cols] = True
    return out


def fixation_density(points_xy: Any, shape: tuple[int, int], sigma_px: float) -> torch.Tensor:
    """Empirical fixation density: a Gaussian of std ``sigma_px`` at each point, summed, normalised.

    ``D(r, c) = sum_n exp(-((c - x_n)^2 + (r - y_n)^2) / (2 sigma^2))``, then ``D / sum(D)``.
    Points are (x right, y down) in 0-based pixels, evaluated exactly (sub-pixel positions
    are kept); Gaussians are truncated at the image border and the result renormalised.
    ``sigma_px = 0`` gives the normalised histogram of the nearest pixels. book/spec.md §2.3 suggests
    about one degree of visual angle for sigma.

    Returns:
        float64 tensor ``(H, W)`` summing to 1, on the points' device.
    """
    if sigma_px < 0:
        raise ValueError(f"sigma_px must be >= 0, got {sigma_px}")
    pts = as_float(points_xy, "points_xy")
    rows, cols = _points_to_pixels(pts, tuple(shape), "points_xy")  # validates shape and bounds
    height, width = shape
    dtype, device = compute_dtype(pts.device), pts.device
    if sigma_px == 0:
        density = torch.zeros(height * width, dtype=dtype, device=device)
        density.index_add_(0, rows * width + cols, torch.ones_like(rows, dtype=dtype))
        density = density.view(height, width)
    else:
        pts = pts.to(dtype)
        # The 2-D Gaussian separates: D = G_y^T @ G_x, with one row per fixation.
        gx = torch.exp(-((torch.arange(width, dtype=dtype, device=device) - pts[:, :1]) ** 2) / (2 * sigma_px**2))
        gy = torch.exp(-((torch.arange(height, dtype=dtype, device=device) - pts[:, 1:]) ** 2) / (2 * sigma_px**2))
        density = gy.T @ gx
    return density / density.sum()


def saliency_ceiling(
    fixations_by_observer: Sequence[Any],
    shape: tuple[int, int],
    sigma_px: float,
    other_fixations: Any = None,
) -> dict[str, float]:
    """Leave-one-observer-out agreement of people with people: the ceiling of NSS, AUC-Judd and sAUC.

    For each observer ``k`` with fixations, the other observers' fixations make a density
    ``S_k = fixation_density(union_{j != k} F_j, sigma_px)``, scored against ``k``'s fixation map
    with the metric a method's map gets: ``NSS_k = nss(S_k, F_k)``, ``AUC_k = auc_judd(S_k, F_k)``,
    ``sAUC_k = sauc(S_k, F_k, other_fixations)``. The result is each metric's mean over observers
    (Kümmerer et al.'s leave-one-subject-out gold standard, with a fixed ``sigma_px`` instead of a
    fitted one). No map sees the fixations it is scored on, as no method's map does.

    CC, KLD and SIM compare two densities and have no such leave-one-out form here: their target, all
    observers' density, contains the held-out observer, so they are left out.

    Args:
        fixations_by_observer: per observer an ``(n, 2)`` array of (x, y) pixels in the frame; at
            least two observers with fixations.
        shape: ``(H, W)`` of the frame.
        sigma_px: the density's Gaussian std, as for the methods' scoring (one degree of visual angle).
        other_fixations: sAUC's negatives (other images' fixations, see :func:`sauc`); None leaves
            sAUC out.
    Returns:
        ``{"nss": ..., "auc_judd": ...[, "sauc": ...]}`` as floats.
    """
    observers = [as_float(points, "fixations").reshape(-1, 2) for points in fixations_by_observer]
    observers = [points for points in observers if len(points)]
    if len(observers) < 2:
        raise ValueError(f"the human ceiling needs at least 2 observers with fixations, got {len(observers)}")
    scores: dict[str, list[float]] = {"nss": [], "auc_judd": []}
    if other_fixations is not None:
        scores["sauc"] = []
    for k, held_out in enumerate(observers):
        others = torch.cat([points for j, points in enumerate(observers) if j != k])
        density = fixation_density(others, shape, sigma_px)
        fixated = fixation_map(held_out, shape)
        scores["nss"].append(float(nss(density, fixated)))
        scores["auc_judd"].append(float(auc_judd(density, fixated)))
        if other_fixations is not None:
            scores["sauc"].append(float(sauc(density, fixated, other_fixations)))
    return {name: sum(values) / len(values) for name, values in scores.items()}
