"""Fixation density: Gaussian-blurred fixation histogram summing to 1.

Private to the data loaders so they do not depend on the metrics package; the metrics code has its
own public ``fixation_density``. Both follow the MIT saliency benchmark's recipe: count fixations per
pixel, blur with a Gaussian of about one degree of visual angle (zero padding, so mass blurred past
the border is lost), normalise to sum 1.
"""
from __future__ import annotations

import numpy as np

__all__ = ["gaussian_fixation_density"]


def gaussian_fixation_density(points_xy: np.ndarray, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """(N, 2) fixation (x, y) pixels -> (H, W) float64 density summing to 1.

    Points are rounded to their pixel; points outside ``shape = (H, W)`` are ignored. The blur is the
    exact (untruncated) Gaussian of standard deviation ``sigma_px`` pixels. It is separable and the
    histogram is sparse, so the map is ``Gy.T @ Gx`` with one row per fixation: cost O(N (H + W) + N H W)
    in one matrix product, fast even for multi-megapixel originals where a dense convolution is not.
    Raises ValueError when no point lies inside.
    """
    height, width = (int(s) for s in shape)
    if sigma_px <= 0:
        raise ValueError(f"sigma_px must be positive, got {sigma_px}")
    points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    cols = np.floor(points[:, 0] + 0.5)
    rows = np.floor(points[:, 1] + 0.5)
    keep = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    if not keep.any():
        raise ValueError("no fixation lies inside the image: the density is undefined")
    cols, rows = cols[keep], rows[keep]
    gx = np.exp(-0.5 * ((np.arange(width)[None, :] - cols[:, None]) / sigma_px) ** 2)  # (N, W)
    gy = np.exp(-0.5 * ((np.arange(height)[None, :] - rows[:, None]) / sigma_px) ** 2)  # (N, H)
    density = gy.T @ gx  # (H, W): sum over fixations of the outer products
    return density / density.sum()
