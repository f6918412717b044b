"""Validation of settings: types, finiteness and ranges, with messages that name the setting.

Every explainer checks its settings when it is constructed, so a bad value fails at once with
its name, never deep inside a run (``fovea_s=nan``, ``steps=2.5``, ``restarts="no"``, ...).
"""

from __future__ import annotations

import math
import numbers

__all__ = [
    "PIXEL_TOLERANCE",
    "SettingError",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_odd_int",
    "check_seed",
    "pixel_range_problem",
]

#: The seeds a ``torch.Generator`` takes (``manual_seed``): -2**63 .. 2**64 - 1.
SEED_RANGE = (-(2**63), 2**64 - 1)

#: How far outside [0, 1] a pixel may be (resampling overshoot) before an image is refused.
PIXEL_TOLERANCE = 1e-3


def pixel_range_problem(low: float, high: float) -> str | None:
    """None when pixels in ``[low, high]`` are in [0, 1] (within :data:`PIXEL_TOLERANCE`), else the
    reason, with a hint for 0..255 values: one wording for tensors and image files alike."""
    if low >= -PIXEL_TOLERANCE and high <= 1 + PIXEL_TOLERANCE:
        return None
    hint = " (0..255 pixels? divide by 255)" if high > 1.5 else ""
    return f"must lie in [0, 1] (pixel space; the model normalises), got [{low:.4g}, {high:.4g}]{hint}"


class SettingError(ValueError):
    """A setting with a wrong type, a non-finite value or a value out of range (the message names it)."""


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not a bool, not a float such as 2.5 or 2.0) ``>= minimum`` and ``<= maximum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SettingError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise SettingError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def check_seed(name: str, value) -> int:
    """An integer a ``torch.Generator`` can be seeded with (:data:`SEED_RANGE`), so a seed of 2**64 is refused
    when the settings are checked, not by an overflow in the middle of a run."""
    return check_int(name, value, minimum=SEED_RANGE[0], maximum=SEED_RANGE[1])


def check_odd_int(name: str, value, minimum: int = 1) -> int:
    value = check_int(name, value, minimum)
    if value % 2 == 0:
        raise SettingError(f"{name} must be odd, got {value}")
    return value


def check_float(
    name: str, value, minimum: float | None = None, maximum: float | None = None, above: float | None = None
) -> float:
    """A finite real number (not a bool) within ``[minimum, maximum]`` and ``> above`` where given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise SettingError(f"{name} must be a finite number, got {value!r}")
    if above is not None and not value > above:
        raise SettingError(f"{name} must be > {above}, got {value}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "-inf" if minimum is None else minimum
        high = "inf" if maximum is None else maximum
        raise SettingError(f"{name} must be in [{low}, {high}], got {value}")
    return float(value)


def check_bool(name: str, value) -> bool:
    """A real bool: the string "no" or the number 0 are refused, not read as truth values."""
    if not isinstance(value, bool):
        raise SettingError(f"{name} must be true or false, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> object:
    """One of ``choices``."""
    if value not in tuple(choices):
        raise SettingError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value
