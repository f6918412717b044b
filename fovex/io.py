"""Image loading: any file Pillow reads -> float tensor (3, H, W) in [0, 1].

Resize policy (the torchvision/timm evaluation convention): the shorter side is resized to
``size / crop_fraction`` pixels (bilinear, antialiased), then the centre ``size x size`` square is
cropped. ``crop_fraction=1.0`` (the default) keeps the whole shorter side, so nothing but the
longer side's margins is lost; ``0.875`` reproduces the classic 256 -> 224 ImageNet crop.
``size=None`` keeps the original resolution.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .checks import pixel_range_problem

__all__ = ["ImageLoadError", "load_image", "pil_to_tensor", "resize_center_crop"]


class ImageLoadError(ValueError):
    """A file could not be read as an image; the message names the file."""


def pil_to_tensor(image: Image.Image) -> torch.Tensor:
    """Pillow image of any mode -> float32 (3, H, W) in [0, 1].

    Handles grayscale (L, 1), 16/32-bit integer (I;16, I) and float (F) modes, palettes, CMYK and
    alpha (composited on white, as a viewer shows it). Float pixels are not rescaled: outside [0, 1]
    (e.g. a float TIFF holding 0..255) or not finite, they are refused (:class:`ImageLoadError`) with the hint
    :func:`fovex.checks.pixel_range_problem` gives for tensors.
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16"):
            array = array / 65535.0
        elif image.mode == "I":
            array = array / (65535.0 if array.max(initial=0) > 255 else 255.0)
        else:  # float pixels are taken as they are, so they must already be in [0, 1]
            finite = np.isfinite(array)
            if not finite.all():
                raise ImageLoadError(f"a float image with {int((~finite).sum())} NaN or infinite pixels")
            problem = pixel_range_problem(float(array.min(initial=0)), float(array.max(initial=0)))
            if problem:
                raise ImageLoadError(f"a float image's pixels {problem}")
        array = np.clip(array, 0.0, 1.0)
        return torch.from_numpy(array.astype(np.float32)).expand(3, *array.shape).clone()
    if image.mode == "P":
        image = image.convert("RGBA") if "transparency" in image.info else image.convert("RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("RGB")
    array = np.asarray(image, dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div_(255.0)


def resize_center_crop(image: torch.Tensor, size: int, crop_fraction: float = 1.0) -> torch.Tensor:
    """(C, H, W) or (B, C, H, W) -> same with spatial size ``size x size`` (see module docstring)."""
    import torchvision.transforms.v2.functional as TF

    if not 0.0 < crop_fraction <= 1.0:
        raise ValueError(f"crop_fraction must be in (0, 1], got {crop_fraction}")
    short_side = math.floor(size / crop_fraction)
    resized = TF.resize(image, [short_side], antialias=True)
    return TF.center_crop(resized, [size, size]).clamp_(0.0, 1.0)


def load_image(path: str | os.PathLike, size: int | None = 224, crop_fraction: float = 1.0) -> torch.Tensor:
    """Read an image file -> float32 tensor (3, size, size) in [0, 1].

    EXIF orientation is applied first, so the tensor shows the photo the way a viewer does.
    Raises :class:`ImageLoadError` naming the file when it is missing, not an image, or corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageLoadError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            tensor = pil_to_tensor(image)
    except ImageLoadError as error:
        raise ImageLoadError(f"{path}: refused, {error}") from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(f"{path}: refused, too many pixels to decode safely ({error})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageLoadError(f"{path}: cannot be read as an image ({error})") from error
    if size is not None:
        tensor = resize_center_crop(tensor, size, crop_fraction)
    return tensor
