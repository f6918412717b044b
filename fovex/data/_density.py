"""Fixation density fallback: used only when ``fovex.metrics.plausibility`` cannot be imported.

``Sample.density`` uses the metrics package's public ``fixation_density`` so that the ground truth the
loaders hand out is exactly the one the plausibility metrics compute. This private copy follows the
same definition, so the data loaders keep working on their own: one Gaussian of standard deviation
``sigma_px`` per fixation at its sub-pixel position, cut at the image border, normalised to sum 1
(the MIT benchmark's blurred fixation map).
"""
from __future__ import annotations

import numpy as np

__all__ = ["gaussian_fixation_density", "fixation_density_array"]


def gaussian_fixation_density(points_xy: np.ndarray, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """(N, 2) fixation (x, y) pixels -> (H, W) float64 density summing to 1.

    Points outside ``shape = (H, W)`` (beyond the pixels' extent, ``x < -0.5`` or ``x > W - 0.5``) are
    ignored; ValueError when none is inside. The 2-D Gaussian separates, so the map is ``Gy.T @ Gx``
    with one row per fixation: exact (untruncated) and fast even for multi-megapixel originals.
    """
    height, width = (int(s) for s in shape)
    if sigma_px <= 0:
        raise ValueError(f"sigma_px must be positive, got {sigma_px}")
    points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    keep = (points[:, 0] >= -0.5) & (points[:, 0] <= width - 0.5) & (points[:, 1] >= -0.5) & (points[:, 1] <= height - 0.5)
    if not keep.any():
        raise ValueError("no fixation lies inside the image: the density is undefined")
    x, y = points[keep, 0], points[keep, 1]
    gx = np.exp(-0.5 * ((np.arange(width)[None, :] - x[:, None]) / sigma_px) ** 2)  # (N, W)
    gy = np.exp(-0.5 * ((np.arange(height)[None, :] - y[:, None]) / sigma_px) ** 2)  # (N, H)
    density = gy.T @ gx  # (H, W): the sum over fixations of the outer products
    return density / density.sum()


def fixation_density_array(points_xy: np.ndarray, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """The project's ``fovex.metrics.plausibility.fixation_density`` as a float64 array, or the fallback."""
    try:
        from fovex.metrics.plausibility import fixation_density
    except ImportError:
        return gaussian_fixation_density(points_xy, shape, sigma_px)
    return fixation_density(np.asarray(points_xy, dtype=np.float64), tuple(shape), float(sigma_px)).cpu().numpy()
