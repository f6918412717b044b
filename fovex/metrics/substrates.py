"""Substrates of the insertion and deletion curves: what a pixel shows before it is inserted or after it is
deleted (book/spec.md §2.1).

Deletion replaces pixels with the substrate (RISE: the dataset mean, i.e. zero in normalised space);
insertion starts from it (RISE: the image blurred with an 11 x 11 kernel, :func:`rise_blur`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..foveation import blur
from ._utils import check_finite, to_tensor

__all__ = [
    "RISE_BLUR_KERNEL",
    "RISE_BLUR_SIGMA",
    "SUBSTRATE_NAMES",
    "Substrate",
    "resolve_substrate",
    "rise_blur",
    "rise_blur_kernel",
]

#: Insertion substrate of RISE: an 11 x 11 kernel from a unit impulse smoothed at sigma 5 px.
RISE_BLUR_KERNEL = 11
RISE_BLUR_SIGMA = 5.0

#: Named substrates of :func:`resolve_substrate`.
SUBSTRATE_NAMES = ("mean", "zeros", "rise-blur", "gaussian-reflect")

#: Substrate specification: a name, a constant, a tensor broadcastable to the images, or a callable.
Substrate = str | float | torch.Tensor | Callable[[torch.Tensor], torch.Tensor]


def rise_blur_kernel(kernel_size: int = RISE_BLUR_KERNEL, sigma: float = RISE_BLUR_SIGMA) -> torch.Tensor:
    """1-D factor ``k`` of the RISE reference's insertion kernel, float64 ``(kernel_size,)``, sum 1.

    The reference builds its ``K x K`` kernel as ``scipy.ndimage.gaussian_filter(impulse, sigma)``
    with the impulse at the centre of a ``K x K`` array. scipy filters with the sampled Gaussian
    ``w_j ~ exp(-j^2 / (2 sigma^2))``, ``|j| <= round(4 sigma)``, and mode ``'reflect'``
    (half-sample symmetric: ``d c b a | a b c d``), so every tap that falls outside the window
    is folded back into it::

        k[i] = sum_j w_j [reflect(i + j) == K // 2]

    The 2-D kernel is the outer product ``k k^T`` (a Gaussian filter is separable). At K = 11,
    sigma = 5 the folded tails make it nearly uniform: ``k`` is 0.0880 at the border vs 0.0940 at the
    centre (ratio 0.936; a sampled 11-tap Gaussian's is 0.607).
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    radius = int(4.0 * sigma + 0.5)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    taps = torch.exp(-(offsets**2) / (2.0 * sigma**2))
    taps = taps / taps.sum()
    kernel = torch.zeros(kernel_size, dtype=torch.float64)
    centre, period = kernel_size // 2, 2 * kernel_size
    for i in range(kernel_size):
        source = torch.remainder(i + offsets.long(), period)
        source = torch.where(source >= kernel_size, period - 1 - source, source)
        kernel[i] = taps[source == centre].sum()
    return kernel


def rise_blur(
    images: torch.Tensor,
    fill: torch.Tensor | float,
    kernel_size: int = RISE_BLUR_KERNEL,
    sigma: float = RISE_BLUR_SIGMA,
) -> torch.Tensor:
    """The RISE reference's insertion start: ``(B, C, H, W)`` -> same, in pixel space.

    The reference convolves the model-normalised image ``(x - mean) / std`` per channel with
    :func:`rise_blur_kernel` ``k k^T`` and zero padding of ``K // 2``. Because the kernel sums
    to 1 this equals, in pixel space, padding with the mean colour::

        B(x) = conv2d(pad(x - fill, K // 2, value 0), k k^T) + fill

    Args:
        images: ``(B, C, H, W)`` pixel-space images.
        fill: the padding colour, a number or ``(C,)``/``(1, C, 1, 1)`` tensor: the model's mean.
    """
    channels = images.shape[1]
    half = kernel_size // 2
    k = rise_blur_kernel(kernel_size, sigma).to(device=images.device, dtype=images.dtype)
    fill = torch.as_tensor(fill, dtype=images.dtype, device=images.device)
    fill = fill.view(1, channels, 1, 1) if fill.numel() == channels else fill.reshape(())
    padded = F.pad(images - fill, (half, half, half, half))
    out = F.conv2d(padded, k.view(1, 1, 1, -1).expand(channels, 1, 1, kernel_size), groups=channels)
    out = F.conv2d(out, k.view(1, 1, -1, 1).expand(channels, 1, kernel_size, 1), groups=channels)
    return out + fill


def _model_mean(model: Any, channels: int, like: torch.Tensor) -> torch.Tensor:
    mean = getattr(model, "mean", None)
    if mean is None:
        warnings.warn(
            "model has no `mean` attribute; the 'mean' substrate falls back to 0.5 per channel "
            "(pass deletion_substrate explicitly to silence this)",
            UserWarning,
            stacklevel=3,
        )
        mean = [0.5] * channels
    mean = torch.as_tensor(mean, dtype=like.dtype, device=like.device).flatten()
    if mean.numel() != channels:
        raise ValueError(f"model.mean has {mean.numel()} entries but the images have {channels} channels")
    return mean.view(1, channels, 1, 1)


def resolve_substrate(substrate: Substrate, model: Any, images: torch.Tensor) -> torch.Tensor:
    """Turn a substrate specification into pixel values, expanded to the images' shape.

    - ``"mean"``: the model's mean colour ``model.mean`` (zeros in its normalised space);
      0.5 per channel with a warning if the model has no ``mean`` attribute.
    - ``"zeros"``: black (zeros in pixel space).
    - ``"rise-blur"``: the RISE reference's blurred image, :func:`rise_blur` with the model's mean
      colour as padding (its zero padding in normalised space); the insertion default.
    - ``"gaussian-reflect"``: a sampled Gaussian (kernel 11, sigma 5 px) with reflection padding,
      :func:`fovex.foveation.blur`. It differs from ``"rise-blur"`` everywhere, not only at the
      border (the reference's kernel is nearly uniform), by up to ~0.06 in pixel value.
    - a number: that constant in every channel.
    - a tensor broadcastable to ``(B, C, H, W)``; a ``(C,)`` tensor is a per-channel colour.
    - a callable ``images -> substrate`` returning a tensor broadcastable to the images.
    """
    batch, channels, height, width = images.shape
    if isinstance(substrate, str):
        if substrate == "mean":
            value = _model_mean(model, channels, images)
        elif substrate == "zeros":
            value = torch.zeros((), dtype=images.dtype, device=images.device)
        elif substrate == "rise-blur":
            value = rise_blur(images, _model_mean(model, channels, images))
        elif substrate == "gaussian-reflect":
            value = blur(images, RISE_BLUR_KERNEL, RISE_BLUR_SIGMA)
        elif substrate == "blur":
            raise ValueError(
                "substrate 'blur' is ambiguous: use 'rise-blur' (the RISE reference, the default) "
                "or 'gaussian-reflect' (a sampled Gaussian with reflection padding)"
            )
        else:
            raise ValueError(
                f"unknown substrate {substrate!r}; use {', '.join(map(repr, SUBSTRATE_NAMES))}, "
                "a number, a tensor or a callable"
            )
    elif callable(substrate):
        value = to_tensor(substrate(images), "substrate(images)")
    elif isinstance(substrate, (int, float)):
        value = torch.tensor(float(substrate))
    else:
        value = to_tensor(substrate, "substrate")
        if value.ndim == 1:
            if value.numel() != channels:
                raise ValueError(f"a 1-D substrate needs {channels} entries (one per channel), got {value.numel()}")
            value = value.view(1, channels, 1, 1)
    value = value.to(device=images.device, dtype=images.dtype)
    try:
        value = value.expand(batch, channels, height, width)
    except RuntimeError as err:
        raise ValueError(
            f"substrate of shape {tuple(value.shape)} does not broadcast to images {tuple(images.shape)}"
        ) from err
    check_finite(value, "substrate")
    return value
