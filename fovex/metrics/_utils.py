"""Input handling shared by the metric modules (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_tensor(x: Any, name: str) -> torch.Tensor:
    """Return ``x`` as a tensor (numpy arrays and nested lists are converted, tensors kept)."""
    if isinstance(x, torch.Tensor):
        return x
    try:
        return torch.as_tensor(np.asarray(x))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: cannot convert {type(x).__name__} to an array ({err})") from err


def compute_dtype(device: torch.device) -> torch.dtype:
    """float64 where the device supports it: metric sums over ~10^5 pixels lose digits in float32."""
    return torch.float32 if device.type == "mps" else torch.float64


def as_float(x: Any, name: str) -> torch.Tensor:
    """Tensor in the compute dtype, with NaN/inf rejected."""
    t = to_tensor(x, name)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    t = t.to(compute_dtype(t.device))
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return t


def as_bool(x: Any, name: str) -> torch.Tensor:
    """Boolean tensor; numeric input counts every non-zero entry as True."""
    t = to_tensor(x, name)
    if t.dtype != torch.bool:
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        t = t != 0
    return t


def check_finite(t: torch.Tensor, name: str) -> None:
    if t.is_floating_point() and not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values")
