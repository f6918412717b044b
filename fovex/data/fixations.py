"""Free-viewing eye-fixation sets: the shared CSV layout (OSIE, nus-scene500); MIT1003's own layout is
read by :mod:`fovex.data.mit1003` into the same :class:`FixationDataset`.

Coordinates: 0-based pixels, x right, y down, in the original image (``sample.fixations_original``)
and in the loaded frame (``sample.fixations``, only the fixations inside the crop). The density map
(``sample.density``) blurs the frame fixations with a Gaussian of one degree of visual angle; the
pixels per degree (px/deg, in original pixels) of each set:

- OSIE: 800x600 images shown at about 24 x 18 degrees -> 800 / 24 = 33.3 px/deg.
- nus-scene500: the display is not documented (SOURCE.md gives none; the images range from 256x256 to
  3888x2592 and fixations are in original pixels). Assumption: recorded in the same lab with OSIE's
  setup, each image scaled to fit the same 24 x 18 degree area, so px/deg = max(W / 24, H / 18) per
  image (33.3 for 800x600, 14.2 for the 311 images of 256x256). Override with ``pixels_per_degree=``.
- MIT1003: see :mod:`fovex.data.mit1003`.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from .base import Dataset, DatasetNotFoundError, Fixations, Sample, _Record, image_size, with_unique_ids

__all__ = [
    "FIXATIONS_CSV_LAYOUT",
    "OSIE_PIXELS_PER_DEGREE",
    "DISPLAY_DEGREES",
    "FixationDataset",
    "read_fixations_csv",
    "open_fixations_csv",
]

FIXATIONS_CSV_LAYOUT = """\
<root>/fixations.csv with columns stimulus,width,height,subject,order,x,y,onset_s,duration_s
  (one row per fixation; x, y 0-based pixels of the original image; empty onset_s/duration_s allowed)
<root>/stimuli/<stimulus>   (the images, e.g. stimuli/1001.jpg)"""

#: OSIE: 800 px over about 24 degrees.
OSIE_PIXELS_PER_DEGREE = 800 / 24
#: Display area (width, height) in degrees assumed for nus-scene500 (OSIE's, see the module docstring).
DISPLAY_DEGREES = (24.0, 18.0)


class FixationDataset(Dataset):
    """Images with ``sample.fixations`` (frame), ``sample.fixations_original`` and ``sample.density``.

    ``records[i].extra`` is a callable ``(width, height) -> (original Fixations, meta dict)``, called
    when the sample is made (so a set opens without decoding any map).

    ``has_observers``: whether fixations carry their observer and order (``Fixations.scanpaths()``),
    which the human ceiling and the scanpath comparison need; when False, ``no_observers_reason``
    says why in a sentence a report can print (e.g. MIT1003 without its ``DATA/`` folder).
    """

    #: Observer names, where the set has them (MIT1003: its ``DATA/`` folders, ``subject`` i is ``observers[i]``).
    observers: tuple[str, ...] = ()

    def __init__(
        self,
        name,
        root,
        records,
        image_size=224,
        crop_fraction=1.0,
        info=None,
        pixels_per_degree=None,
        no_observers_reason: str | None = None,
    ):
        super().__init__(root, records, image_size, crop_fraction, info)
        self.name = name
        # float (constant px/deg) or callable (width, height) -> px/deg, or None (no density)
        self.pixels_per_degree = pixels_per_degree
        self.no_observers_reason = no_observers_reason
        self.info["has_observers"] = self.has_observers
        if no_observers_reason:
            self.info["no_observers_reason"] = no_observers_reason

    @property
    def has_observers(self) -> bool:
        """Whether the fixations name their observers and order (see the class docstring)."""
        return self.no_observers_reason is None

    def _ppd(self, width: int, height: int) -> float | None:
        rule = self.pixels_per_degree
        return float(rule(width, height)) if callable(rule) else (float(rule) if rule is not None else None)

    def _make_sample(self, record: _Record) -> Sample:
        width, height = image_size(record.path)
        fixations, meta = record.extra(width, height)
        geometry = self.geometry_for(width, height)
        frame_xy = geometry.to_frame(fixations.xy)
        inside = geometry.inside(frame_xy)
        return Sample(
            id=record.id,
            path=record.path,
            geometry=geometry,
            fixations=fixations.with_xy(frame_xy).select(inside),
            fixations_original=fixations,
            pixels_per_degree=self._ppd(width, height),
            meta={**meta, "fixations_outside_frame": int((~inside).sum())},
        )


def _float_or_nan(value: str) -> float:
    return float(value) if value.strip() else math.nan


def _cell(row: dict, column: str, kind, where: str):
    """``row[column]`` read as ``kind``; a ValueError naming the file, line and column when it is not one
    (a whole number for ``int``, a finite number for x and y)."""
    value = row.get(column)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        wanted = "a whole number" if kind is int else "a number"
        raise ValueError(f"{where}: {column} is {value!r}, not {wanted}\n{FIXATIONS_CSV_LAYOUT}") from None
    if column in ("x", "y") and not math.isfinite(number):
        raise ValueError(f"{where}: {column} is {value!r}, not a finite number")
    return number


def read_fixations_csv(path: Path) -> dict[str, tuple[tuple[int, int], Fixations]]:
    """``fixations.csv`` -> stimulus file name -> ((width, height), original-pixel :class:`Fixations`).

    Rows keep the file's order; each stimulus' rows are sorted by (subject, order).
    """
    columns = defaultdict(lambda: defaultdict(list))
    sizes: dict[str, tuple[int, int]] = {}
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        required = {"stimulus", "width", "height", "subject", "order", "x", "y", "onset_s", "duration_s"}
        missing = required - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}\n{FIXATIONS_CSV_LAYOUT}")
        for row in reader:
            where = f"{path}, line {reader.line_num}"  # errors name the file and the row
            stimulus = row["stimulus"]
            if not stimulus:
                raise ValueError(f"{where}: no stimulus")
            size = (_cell(row, "width", int, where), _cell(row, "height", int, where))
            if sizes.setdefault(stimulus, size) != size:
                raise ValueError(f"{where}: {stimulus} has two sizes, {sizes[stimulus]} and {size}")
            table = columns[stimulus]
            table["x"].append(_cell(row, "x", float, where))
            table["y"].append(_cell(row, "y", float, where))
            table["subject"].append(_cell(row, "subject", int, where))
            table["order"].append(_cell(row, "order", int, where))
            table["onset_s"].append(_cell(row, "onset_s", _float_or_nan, where))
            table["duration_s"].append(_cell(row, "duration_s", _float_or_nan, where))
    result = {}
    for stimulus, table in columns.items():
        subject, order = np.asarray(table["subject"]), np.asarray(table["order"])
        rank = np.lexsort((order, subject))
        fixations = Fixations(
            xy=np.stack([table["x"], table["y"]], axis=1)[rank],
            subject=subject[rank],
            order=order[rank],
            onset_s=np.asarray(table["onset_s"])[rank],
            duration_s=np.asarray(table["duration_s"])[rank],
        )
        result[stimulus] = (sizes[stimulus], fixations)
    return result


def detect_fixations_csv(root: Path) -> bool:
    return (root / "fixations.csv").is_file() and (root / "stimuli").is_dir()


def _natural_key(name: str):
    stem = Path(name).stem
    return (0, int(stem), name) if stem.isdigit() else (1, 0, name)


def open_fixations_csv(
    root: Path,
    split: str | None = None,
    image_size: int | None = 224,
    crop_fraction: float = 1.0,
    pixels_per_degree=None,
    display_degrees: tuple[float, float] | None = None,
    name: str = "fixations-csv",
) -> FixationDataset:
    """A folder in the shared CSV layout (:data:`FIXATIONS_CSV_LAYOUT`), ordered by stimulus name.

    ``pixels_per_degree``: constant px/deg of the original images; or ``display_degrees=(w, h)``: the
    area each image was scaled to fit, giving px/deg = max(W / w, H / h) per image. With neither,
    ``sample.density`` is None (its blur needs px/deg).
    """
    if split not in (None, "all"):
        raise ValueError(f"{name} has no splits (got {split!r}); use split=None")
    if not detect_fixations_csv(root):
        raise DatasetNotFoundError(f"{root} is not a fixation folder\n{FIXATIONS_CSV_LAYOUT}")
    if pixels_per_degree is not None and display_degrees is not None:
        raise ValueError("give pixels_per_degree or display_degrees, not both")
    if display_degrees is not None:
        degrees_w, degrees_h = display_degrees
        pixels_per_degree = lambda width, height: max(width / degrees_w, height / degrees_h)  # noqa: E731
    table = read_fixations_csv(root / "fixations.csv")
    stimuli = (root / "stimuli").resolve()
    records, names = [], []
    for stimulus in sorted(table, key=_natural_key):
        (width, height), fixations = table[stimulus]
        path = root / "stimuli" / stimulus
        # The CSV is data, not a path to trust: its stimuli must stay inside the set's stimuli/ folder.
        if Path(stimulus).is_absolute() or not path.resolve().is_relative_to(stimuli):
            raise ValueError(f"{name}: fixations.csv names {stimulus!r}, which lies outside {root / 'stimuli'}")
        if not path.is_file():
            raise DatasetNotFoundError(f"{name}: fixations.csv lists {stimulus} but {path} is missing")
        extra = _CsvFixations(path, (width, height), fixations)
        records.append(_Record(id=Path(stimulus).stem, path=path, extra=extra))
        names.append(stimulus)
    # Ids are file stems, unless stems collide (dog.jpg, dog.png, a/dog.jpg; foo.jpg.png): then their names.
    records = with_unique_ids(records, names)
    if display_degrees is not None:
        ppd_text = f"max(W / {display_degrees[0]}, H / {display_degrees[1]}) per image"
    else:
        ppd_text = pixels_per_degree  # a number, or None: no density
    info = {"layout": FIXATIONS_CSV_LAYOUT, "pixels_per_degree": ppd_text}
    return FixationDataset(name, root, records, image_size, crop_fraction, info, pixels_per_degree)


class _CsvFixations:
    """Deferred check that the image is the size the CSV says (a mismatch would misplace every fixation)."""

    def __init__(self, path: Path, size: tuple[int, int], fixations: Fixations):
        self.path, self.size, self.fixations = path, size, fixations

    def __call__(self, width: int, height: int):
        if (width, height) != self.size:
            raise ValueError(f"{self.path} is {width}x{height} but fixations.csv says {self.size[0]}x{self.size[1]}")
        return self.fixations, {}
