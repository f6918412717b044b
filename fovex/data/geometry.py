"""Map original-pixel coordinates into the frame of a loaded image.

:func:`fovex.io.load_image` resizes the shorter side to ``floor(size / crop_fraction)`` pixels and
then crops the centre ``size x size`` square (torchvision's rules: the longer side becomes
``int(new_short * long / short)``, the crop offset is ``round((resized - size) / 2)``). Annotations
(boxes, fixations, masks) are given in the original image, so they must go through the same steps.

Convention: points are ``(x, y)`` with x to the right and y down, 0-based, and integer coordinates
are pixel *centres* (pixel ``i`` covers ``[i - 0.5, i + 0.5)``). A resize by ``s`` therefore maps
``x -> (x + 0.5) * s - 0.5`` (this is what bilinear resampling with half-pixel centres does), and the
crop subtracts its offset. Boxes are ``(x0, y0, x1, y1)`` with inclusive corner pixels and are mapped
corner by corner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FrameGeometry", "frame_geometry", "to_frame", "boxes_to_frame", "mask_to_frame"]


@dataclass(frozen=True)
class FrameGeometry:
    """How an original ``W x H`` image becomes the loaded frame.

    ``original_size`` and ``resized_size`` are ``(width, height)``; ``offset`` is the crop's
    ``(left, top)`` in resized pixels; ``frame_size`` is the ``(width, height)`` of the loaded tensor.
    ``size=None`` means the original resolution is kept (identity geometry).
    """

    original_size: tuple[int, int]
    size: int | None
    crop_fraction: float
    resized_size: tuple[int, int]
    offset: tuple[int, int]
    frame_size: tuple[int, int]

    @property
    def scale(self) -> tuple[float, float]:
        """(sx, sy): resized pixels per original pixel along x and y."""
        return (self.resized_size[0] / self.original_size[0], self.resized_size[1] / self.original_size[1])

    @property
    def mean_scale(self) -> float:
        """Geometric mean of sx and sy: converts isotropic lengths (e.g. a blur sigma) into the frame."""
        sx, sy = self.scale
        return math.sqrt(sx * sy)

    def to_frame(self, points_xy: np.ndarray) -> np.ndarray:
        """(N, 2) original (x, y) -> (N, 2) float64 frame (x, y); points may land outside the frame."""
        points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
        sx, sy = self.scale
        left, top = self.offset
        out = np.empty_like(points)
        out[:, 0] = (points[:, 0] + 0.5) * sx - 0.5 - left
        out[:, 1] = (points[:, 1] + 0.5) * sy - 0.5 - top
        return out

    def from_frame(self, points_xy: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_frame`: (N, 2) frame (x, y) -> (N, 2) original (x, y)."""
        points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
        sx, sy = self.scale
        left, top = self.offset
        out = np.empty_like(points)
        out[:, 0] = (points[:, 0] + 0.5 + left) / sx - 0.5
        out[:, 1] = (points[:, 1] + 0.5 + top) / sy - 0.5
        return out

    def inside(self, points_xy: np.ndarray) -> np.ndarray:
        """(N,) bool: frame points whose nearest pixel lies in the frame (``-0.5 <= x < W - 0.5``)."""
        points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
        width, height = self.frame_size
        return (
            (points[:, 0] >= -0.5)
            & (points[:, 0] < width - 0.5)
            & (points[:, 1] >= -0.5)
            & (points[:, 1] < height - 0.5)
        )

    def boxes_to_frame(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 4) original boxes -> ((N, 4) frame boxes clipped to the frame, (N,) bool visible).

        ``visible`` is False for boxes that lie entirely in the cropped-away margin; their clipped box is
        degenerate and should not be used.
        """
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        corners = self.to_frame(boxes.reshape(-1, 2)).reshape(-1, 4)
        width, height = self.frame_size
        visible = (
            (corners[:, 2] >= -0.5)
            & (corners[:, 0] < width - 0.5)
            & (corners[:, 3] >= -0.5)
            & (corners[:, 1] < height - 0.5)
        )
        clipped = corners.copy()
        clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0.0, width - 1.0)
        clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0.0, height - 1.0)
        return clipped, visible

    def mask_to_frame(self, mask: np.ndarray) -> np.ndarray:
        """(H, W) label or bool mask in the original image -> (H', W') in the frame (nearest neighbour)."""
        from PIL import Image

        mask = np.asarray(mask)
        if mask.shape != (self.original_size[1], self.original_size[0]):
            raise ValueError(f"mask shape {mask.shape} does not match the image (H, W) = {self.original_size[::-1]}")
        if self.size is None:
            return mask.copy()
        dtype = mask.dtype
        as_uint8 = mask.astype(np.uint8) if dtype is bool else mask
        resized = np.asarray(Image.fromarray(as_uint8).resize(self.resized_size, Image.Resampling.NEAREST))
        left, top = self.offset
        width, height = self.frame_size
        cropped = resized[top : top + height, left : left + width]
        return cropped.astype(dtype)


def frame_geometry(width: int, height: int, size: int | None = 224, crop_fraction: float = 1.0) -> FrameGeometry:
    """Geometry of ``load_image(path, size, crop_fraction)`` for an original ``width x height`` image."""
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if size is None:
        return FrameGeometry((width, height), None, 1.0, (width, height), (0, 0), (width, height))
    if not 0.0 < crop_fraction <= 1.0:
        raise ValueError(f"crop_fraction must be in (0, 1], got {crop_fraction}")
    short_side = math.floor(size / crop_fraction)
    # Same integer arithmetic as torchvision's _compute_resized_output_size and center_crop.
    if width <= height:
        new_w, new_h = short_side, int(short_side * height / width)
    else:
        new_w, new_h = int(short_side * width / height), short_side
    left = int(round((new_w - size) / 2.0))
    top = int(round((new_h - size) / 2.0))
    return FrameGeometry((width, height), int(size), float(crop_fraction), (new_w, new_h), (left, top), (size, size))


def to_frame(
    points_xy: np.ndarray, width: int, height: int, size: int | None = 224, crop_fraction: float = 1.0
) -> np.ndarray:
    """(N, 2) original (x, y) of a ``width x height`` image -> (N, 2) (x, y) in the loaded frame."""
    return frame_geometry(width, height, size, crop_fraction).to_frame(points_xy)


def boxes_to_frame(boxes: np.ndarray, width: int, height: int, size: int | None = 224, crop_fraction: float = 1.0):
    """(N, 4) original boxes -> (clipped frame boxes, visible flags); see :meth:`FrameGeometry.boxes_to_frame`."""
    return frame_geometry(width, height, size, crop_fraction).boxes_to_frame(boxes)


def mask_to_frame(mask: np.ndarray, size: int | None = 224, crop_fraction: float = 1.0) -> np.ndarray:
    """(H, W) original mask -> frame mask (nearest neighbour)."""
    height, width = np.asarray(mask).shape[:2]
    return frame_geometry(width, height, size, crop_fraction).mask_to_frame(mask)
