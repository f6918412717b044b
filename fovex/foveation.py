"""Differentiable foveation (book/spec.md §1.1).

Coordinates. A fixation ``p = (p_row, p_col)`` lives in ``[-1, 1]^2``: the image's rows and columns
are sampled at ``linspace(-1, 1, H)`` and ``linspace(-1, 1, W)``, so ``(-1, -1)`` is the centre of
the top-left pixel and ``(1, 1)`` that of the bottom-right one. One pixel is ``2 / (S - 1)``
normalised units along an axis of ``S`` pixels.

Fovea. ``G(p)[i, j] = a * exp(-((r_i - p_row)^2 + (c_j - p_col)^2) / s)``: note the divisor is
``s`` itself, not ``2 sigma^2``; so ``fovea_s = 0.15`` is a Gaussian of ``sigma = sqrt(s / 2) ~= 0.274``
normalised units, ``sigma_px = sqrt(s / 2) * (S - 1) / 2 ~= 30.5 px`` at 224 px
(:func:`fovea_sigma_px`).

Periphery. A separable Gaussian blur of the image (``blur_kernel_px = 41``, ``blur_sigma_px = 10``
at 224 px; reflection padding, per channel), computed once per image.

Foveated image. With memory ``M`` (one channel, image sized) the blur mask is
``m = clip(1 - (M + G(p)), 0, 1)`` and ``x_fov = x + m * (B(x) - x) = m * B(x) + (1 - m) * x``.
"""

from __future__ import annotations

import math

import torch
import torchvision.transforms.v2.functional as TF

__all__ = [
    "blur",
    "blur_mask",
    "fovea_sigma_px",
    "foveate",
    "foveate_detail",
    "fovea_grid",
    "gaussian_fovea",
    "normalized_to_pixels",
    "pixels_to_normalized",
]


def fovea_sigma_px(fovea_s: float, size_px: int) -> float:
    """Standard deviation in pixels of the fovea ``exp(-d^2 / s)`` along an axis of ``size_px`` pixels."""
    return math.sqrt(fovea_s / 2.0) * (size_px - 1) / 2.0


def fovea_grid(height: int, width: int, device=None, dtype=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The normalised coordinates of the pixels' rows (H,) and columns (W,): ``linspace(-1, 1, S)``."""
    rows = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype)
    return rows, torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype)


def gaussian_fovea(
    fixations: torch.Tensor,
    height: int,
    width: int,
    fovea_s: float = 0.15,
    amplitude: float = 1.0,
    grid: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Fovea maps ``G(p)`` for a batch of fixations.

    Args:
        fixations: (B, 2) normalised ``(row, col)`` in [-1, 1].
        height, width: map size in pixels.
        fovea_s: the divisor ``s`` of the exponent (not ``2 sigma^2``).
        grid: :func:`fovea_grid` of that size, device and dtype, made once by a caller that calls
            this many times (the values are the same).
    Returns:
        (B, height, width), same device and dtype as ``fixations``.
    """
    if fixations.ndim != 2 or fixations.shape[-1] != 2:
        raise ValueError(f"fixations must have shape (B, 2), got {tuple(fixations.shape)}")
    if fovea_s <= 0:
        raise ValueError(f"fovea_s must be positive, got {fovea_s}")
    rows, cols = grid if grid is not None else fovea_grid(height, width, fixations.device, fixations.dtype)
    # The Gaussian factorises over rows and columns: two 1-D profiles and an outer product
    # instead of an H x W exponential per fixation.
    row_profile = torch.exp(-((rows[None, :] - fixations[:, :1]) ** 2) / fovea_s)  # (B, H)
    col_profile = torch.exp(-((cols[None, :] - fixations[:, 1:]) ** 2) / fovea_s)  # (B, W)
    return amplitude * row_profile[:, :, None] * col_profile[:, None, :]


def blur(images: torch.Tensor, kernel_size_px: int = 41, sigma_px: float = 10.0) -> torch.Tensor:
    """Separable Gaussian blur with reflection padding, per channel: (B, C, H, W) -> same.

    The kernel is normalised to sum 1 (torchvision's ``gaussian_blur``).
    """
    if kernel_size_px % 2 != 1 or kernel_size_px < 1:
        raise ValueError(f"blur kernel size must be a positive odd number of pixels, got {kernel_size_px}")
    if sigma_px <= 0:
        raise ValueError(f"blur sigma must be positive, got {sigma_px}")
    height, width = images.shape[-2:]
    if kernel_size_px // 2 >= min(height, width):
        raise ValueError(
            f"blur kernel of {kernel_size_px} px needs images larger than {kernel_size_px // 2} px "
            f"(reflection padding); got {height}x{width}"
        )
    return TF.gaussian_blur(images, [kernel_size_px, kernel_size_px], [sigma_px, sigma_px])


def blur_mask(memory: torch.Tensor, fovea: torch.Tensor) -> torch.Tensor:
    """``m = clip(1 - (M + G), 0, 1)``: 1 where the image stays blurred, 0 where it is seen sharply."""
    return (1.0 - (memory + fovea)).clamp(0.0, 1.0)


def foveate(images: torch.Tensor, blurred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x + m * (B(x) - x)``: images and blurred (B, C, H, W), mask (B, H, W) -> (B, C, H, W)."""
    return foveate_detail(images, blurred - images, mask)


def foveate_detail(images: torch.Tensor, blur_detail: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """:func:`foveate` with ``blur_detail = B(x) - x`` computed once (it does not change between steps)."""
    return torch.addcmul(images, mask.unsqueeze(1), blur_detail)


def normalized_to_pixels(fixations: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(..., 2) normalised ``(row, col)`` -> (..., 2) pixel ``(x, y)``, x right and y down, 0-based."""
    rows, cols = fixations.unbind(-1)
    x = (cols + 1.0) * (width - 1) / 2.0
    y = (rows + 1.0) * (height - 1) / 2.0
    return torch.stack((x, y), dim=-1)


def pixels_to_normalized(points_xy: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Inverse of :func:`normalized_to_pixels`: (..., 2) pixel ``(x, y)`` -> normalised ``(row, col)``."""
    x, y = points_xy.unbind(-1)
    rows = y * 2.0 / (height - 1) - 1.0
    cols = x * 2.0 / (width - 1) - 1.0
    return torch.stack((rows, cols), dim=-1)
