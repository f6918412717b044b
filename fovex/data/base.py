"""The common sample/data-set types every loader returns."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from .geometry import FrameGeometry, frame_geometry

if TYPE_CHECKING:  # torch is imported only when an image is loaded, so fetching data does not need it
    import torch

__all__ = ["DatasetNotFoundError", "Fixations", "VocObject", "Sample", "Dataset", "image_size"]


class DatasetNotFoundError(FileNotFoundError):
    """A data set is not where it was looked for; the message names the layout and how to fetch it."""


@dataclass(frozen=True)
class Fixations:
    """Eye fixations of one image, all observers pooled.

    ``xy``: (N, 2) float64 (x, y) pixels, x right, y down, 0-based (frame or original, see the
    attribute holding it). ``subject``: (N,) int observer id, -1 where unknown. ``order``: (N,) int rank
    within that observer's scanpath, -1 where unknown. ``onset_s`` and ``duration_s``: (N,) float
    seconds, NaN where unknown.
    """

    xy: np.ndarray
    subject: np.ndarray
    order: np.ndarray
    onset_s: np.ndarray
    duration_s: np.ndarray

    def __len__(self) -> int:
        return len(self.xy)

    @classmethod
    def from_points(cls, xy: np.ndarray) -> Fixations:
        """Pooled points without observer, order or timing (e.g. MIT1003's fixPts map)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        n = len(xy)
        return cls(xy, np.full(n, -1), np.full(n, -1), np.full(n, np.nan), np.full(n, np.nan))

    def select(self, keep: np.ndarray) -> Fixations:
        """The fixations where the (N,) bool or index array ``keep`` selects them."""
        return Fixations(self.xy[keep], self.subject[keep], self.order[keep], self.onset_s[keep], self.duration_s[keep])

    def with_xy(self, xy: np.ndarray) -> Fixations:
        """Same fixations at new coordinates (e.g. mapped into the frame)."""
        return Fixations(
            np.asarray(xy, dtype=np.float64).reshape(-1, 2), self.subject, self.order, self.onset_s, self.duration_s
        )

    def scanpaths(self) -> dict[int, np.ndarray]:
        """Observer id -> (n, 2) (x, y) in fixation order. Empty when observers are unknown."""
        paths = {}
        for subject in np.unique(self.subject):
            if subject < 0:
                continue
            rows = np.flatnonzero(self.subject == subject)
            rows = rows[np.argsort(self.order[rows], kind="stable")]
            paths[int(subject)] = self.xy[rows]
        return paths


@dataclass(eq=False)
class VocObject:
    """One annotated object.

    ``box``: (4,) float64 (x0, y0, x1, y1) in the sample's frame, inclusive corner pixels, clipped to
    the frame. ``box_original``: the same in original 0-based pixels (VOC's 1-based ``xmin`` becomes
    ``xmin - 1``). ``visible``: False when the crop removed the whole box. ``mask``: (H, W) bool instance
    mask in the frame, or None when the set has none for this object. ``index``: 1-based rank in the
    annotation file (the instance id in VOC's SegmentationObject PNGs).
    """

    name: str
    box: np.ndarray
    box_original: np.ndarray
    difficult: bool = False
    truncated: bool = False
    visible: bool = True
    mask: np.ndarray | None = None
    index: int = 0


@dataclass(eq=False)
class Sample:
    """One image of a data set with what the set knows about it.

    ``image`` is loaded on first access with :func:`fovex.io.load_image` (float32 (3, S, S) in
    [0, 1]). Every coordinate attribute (``objects[i].box``, ``fixations.xy``, ``density``) is in that
    image's frame; ``geometry`` maps original pixels to it and ``fixations_original`` keeps the
    original coordinates. Attributes a set does not have are None.
    """

    id: str
    path: Path
    geometry: FrameGeometry
    label: int | None = None
    label_name: str | None = None
    objects: list[VocObject] | None = None
    fixations: Fixations | None = None
    fixations_original: Fixations | None = None
    pixels_per_degree: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    _image: torch.Tensor | None = field(default=None, repr=False)
    _density: np.ndarray | None = field(default=None, repr=False)

    @property
    def image(self) -> torch.Tensor:
        """float32 (3, S, S) in [0, 1], loaded lazily (and kept) on first access."""
        if self._image is None:
            from fovex.io import load_image

            self._image = load_image(self.path, size=self.geometry.size, crop_fraction=self.geometry.crop_fraction)
        return self._image

    @property
    def original_size(self) -> tuple[int, int]:
        """(width, height) of the original image (after EXIF orientation)."""
        return self.geometry.original_size

    @property
    def sigma_px(self) -> float | None:
        """Density blur in frame pixels: one degree of visual angle (``pixels_per_degree`` x scale)."""
        if self.pixels_per_degree is None:
            return None
        return self.pixels_per_degree * self.geometry.mean_scale

    @property
    def density(self) -> np.ndarray | None:
        """(H, W) float64 fixation density in the frame, sums to 1; None without fixations in the frame.

        The fixations of all observers, each a Gaussian of ``sigma_px`` (one degree of visual angle),
        summed and normalised: :func:`fovex.metrics.plausibility.fixation_density`, so it is the same
        ground truth the plausibility metrics use.
        """
        if self._density is None and self.fixations is not None and len(self.fixations) and self.sigma_px:
            from fovex.metrics.plausibility import fixation_density

            width, height = self.geometry.frame_size
            points = np.asarray(self.fixations.xy, dtype=np.float64)  # NumPy in: a CPU tensor, computed in float64
            self._density = fixation_density(points, (height, width), float(self.sigma_px)).numpy()
        return self._density


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of an image file as :func:`fovex.io.load_image` sees it (EXIF orientation applied).

    Reads the header only. Raises :class:`fovex.io.ImageLoadError` naming the file.
    """
    from PIL import Image, UnidentifiedImageError

    from fovex.io import ImageLoadError

    try:
        with Image.open(path) as image:
            width, height = image.size
            # Orientations 5-8 rotate by 90 degrees, so load_image's exif_transpose swaps the sides.
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                width, height = height, width
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageLoadError(f"{path}: cannot be read as an image ({error})") from error
    return width, height


@dataclass(frozen=True)
class _Record:
    """What a data set knows about one image before it is opened (kept small: sets hold thousands)."""

    id: str
    path: Path
    label: int | None = None
    extra: Any = None


def with_unique_ids(records: list[_Record], names: list[str]) -> list[_Record]:
    """``records`` with every id that is not unique replaced by that record's entry in ``names``.

    Loaders give each image its file stem as id (``n01440764_x``, ``1001``): results, maps and the
    study's committed rows name images by it. When two files share a stem (``x.JPEG`` and ``x.png``)
    each gets its file name (relative to the set) instead, and so does a stem that equals another
    file's name (``foo.jpg.png``'s stem is ``foo.jpg``), until every id is unique; an id that was
    unique stays as it was. ``names`` must be unique (file names in one set are).
    """
    ids = [record.id for record in records]
    while True:
        counts: dict[str, int] = {}
        for sample_id in ids:
            counts[sample_id] = counts.get(sample_id, 0) + 1
        clashing = [i for i, sample_id in enumerate(ids) if counts[sample_id] > 1 and sample_id != names[i]]
        if not clashing:
            break
        for i in clashing:  # each pass fixes at least one id to its (unique) name: this ends
            ids[i] = names[i]
    return [replace(record, id=new) if record.id != new else record for record, new in zip(records, ids)]


def _check_unique_ids(name: str, records: list[_Record]) -> None:
    seen: dict[str, Path] = {}
    for record in records:
        if record.id in seen:
            raise ValueError(
                f"{name}: {seen[record.id]} and {record.path} have the same image id {record.id!r}; "
                "rename one of them (rows and maps are keyed by id)"
            )
        seen[record.id] = record.path


class Dataset(Sequence):
    """A sequence of :class:`Sample`; images are read only when ``sample.image`` is accessed.

    Subclasses fill ``records`` and implement :meth:`_make_sample`. ``info`` documents the set
    (layout, pixels per degree, conventions).
    """

    name: str = "dataset"

    def __init__(
        self,
        root: Path,
        records: list[_Record],
        image_size: int | None = 224,
        crop_fraction: float = 1.0,
        info: dict[str, Any] | None = None,
    ):
        _check_unique_ids(self.name, records)
        self.root = Path(root)
        self.records = records
        self.image_size = image_size
        self.crop_fraction = crop_fraction
        self.info = dict(info or {})

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> list[Sample]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an int or a slice, got {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {self.name} with {len(self)} samples")
        return self._make_sample(self.records[int(index)])

    @property
    def ids(self) -> list[str]:
        """Sample ids in order."""
        return [record.id for record in self.records]

    def index_of(self, sample_id: str) -> int:
        """Position of the sample with id ``sample_id``; KeyError when absent."""
        for i, record in enumerate(self.records):
            if record.id == sample_id:
                return i
        raise KeyError(f"{self.name}: no sample with id {sample_id!r}")

    def geometry_for(self, width: int, height: int) -> FrameGeometry:
        return frame_geometry(width, height, self.image_size, self.crop_fraction)

    def _make_sample(self, record: _Record) -> Sample:
        raise NotImplementedError

    def __repr__(self) -> str:
        name, root = type(self).__name__, str(self.root)
        return f"{name}(name={self.name!r}, root={root!r}, n={len(self)}, image_size={self.image_size})"
