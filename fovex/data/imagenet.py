"""ImageNet-1k: class indices from WordNet ids, the official validation set and the one-per-class sample.

Class index convention (timm, torchvision, every ImageNet classifier): the rank of the wnid among the
sorted 1000 wnids, ``n01440764 -> 0`` ... ``n15075141 -> 999``. The wnid list comes from
``timm.data.ImageNetInfo`` so the project ships none; class names are the classifiers' own,
:func:`fovex.models.imagenet_class_names`.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from .base import Dataset, Sample, _Record, image_size, with_unique_ids

__all__ = [
    "imagenet_wnids",
    "imagenet_class_index",
    "imagenet_class_name",
    "ImageNetDataset",
    "open_imagenet_val",
    "open_imagenet_sample",
    "IMAGENET_VAL_LAYOUT",
    "IMAGENET_SAMPLE_LAYOUT",
]

IMAGENET_VAL_LAYOUT = """\
ImageNet-1k validation set (50,000 images), one of:
  <root>/val/<wnid>/*.JPEG                          (class folders, e.g. torchvision's layout)
  <root>/val/ILSVRC2012_val_00000001.JPEG ...
      (flat official folder; also <root>/ILSVRC2012_img_val/ or <root> itself)
    with labels from one of:
    <root>/ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt + meta.mat  (official devkit)
    <root>/val_labels.txt or val_labels.csv: one line per image, "filename,wnid" or "filename,index"
    <root>/LOC_val_solution.csv                     (Kaggle's ImageId,PredictionString)
ImageNet cannot be downloaded automatically: register at https://image-net.org/download.php, download
ILSVRC2012_img_val.tar and ILSVRC2012_devkit_t12.tar.gz, and unpack both into <root>."""

IMAGENET_SAMPLE_LAYOUT = "<root>/<wnid>_<name>.JPEG, one per class (e.g. n01440764_tench.JPEG)"

_WNID = re.compile(r"n\d{8}")
_IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png"}


@lru_cache(maxsize=1)
def imagenet_wnids() -> tuple[str, ...]:
    """The 1000 ImageNet-1k wnids in class-index order (sorted)."""
    from timm.data import ImageNetInfo

    wnids = tuple(ImageNetInfo().label_names())
    if len(wnids) != 1000 or list(wnids) != sorted(wnids):
        raise RuntimeError("timm's ImageNet-1k wnid list is not the sorted 1000 wnids")
    return wnids


@lru_cache(maxsize=1)
def _wnid_to_index() -> dict[str, int]:
    return {wnid: i for i, wnid in enumerate(imagenet_wnids())}


def imagenet_class_index(wnid: str) -> int:
    """Class index (0..999) of an ImageNet-1k wnid; KeyError for wnids outside ImageNet-1k."""
    try:
        return _wnid_to_index()[wnid]
    except KeyError:
        raise KeyError(f"{wnid!r} is not one of the 1000 ImageNet-1k wnids") from None


def imagenet_class_name(index: int) -> str:
    """Short human-readable name of class ``index``: ``fovex.models.imagenet_class_names()[index]``."""
    from fovex.models import imagenet_class_names  # the one list of names; imported late, it brings torch

    return imagenet_class_names()[int(index)]


class ImageNetDataset(Dataset):
    """ImageNet images with ``sample.label`` (class index) and ``sample.label_name``."""

    def __init__(self, name: str, root: Path, records: list[_Record], image_size=224, crop_fraction=1.0, info=None):
        super().__init__(root, records, image_size, crop_fraction, info)
        self.name = name

    def _make_sample(self, record: _Record) -> Sample:
        width, height = image_size(record.path)
        return Sample(
            id=record.id,
            path=record.path,
            geometry=self.geometry_for(width, height),
            label=record.label,
            label_name=imagenet_class_name(record.label) if record.label is not None else None,
            meta={"wnid": imagenet_wnids()[record.label] if record.label is not None else None},
        )


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)


# ----------------------------------------------------------------------------- imagenet-sample


def detect_imagenet_sample(root: Path) -> bool:
    return root.is_dir() and any(_WNID.match(p.name) and "_" in p.name for p in root.glob("n*_*.*"))


def open_imagenet_sample(
    root: Path, split: str | None = None, image_size: int | None = 224, crop_fraction: float = 1.0
):
    """``<wnid>_<name>.JPEG`` files (labels from file names), sorted by file name, i.e. by class index."""
    records = []
    for path in _images_in(root):
        match = _WNID.match(path.name)
        if not match or path.name[match.end() : match.end() + 1] != "_":
            continue
        records.append(_Record(id=path.stem, path=path, label=imagenet_class_index(match.group())))
    records = with_unique_ids(records, [record.path.name for record in records])  # x.JPEG and x.png
    info = {"layout": IMAGENET_SAMPLE_LAYOUT, "labels": "ImageNet-1k class index from the wnid prefix"}
    return ImageNetDataset("imagenet-sample", root, records, image_size, crop_fraction, info)


# ----------------------------------------------------------------------------- imagenet-val


def _val_image_folder(root: Path) -> Path | None:
    for folder in (root / "val", root / "ILSVRC2012_img_val", root):
        if folder.is_dir() and (
            any(folder.glob("ILSVRC2012_val_*")) or any(_WNID.fullmatch(p.name) for p in folder.iterdir() if p.is_dir())
        ):
            return folder
    return None


def detect_imagenet_val(root: Path) -> bool:
    return root.is_dir() and _val_image_folder(root) is not None


def _parse_label(value: str, where: str) -> int:
    value = value.strip()
    if _WNID.fullmatch(value):
        return imagenet_class_index(value)
    if value.isdigit() and 0 <= int(value) < 1000:
        return int(value)
    raise ValueError(f"{where}: label {value!r} is neither a wnid nor a class index 0..999")


def read_labels_file(path: Path) -> dict[str, int]:
    """File stem -> class index from a labels file.

    Accepts ``filename,wnid`` / ``filename,index`` lines (comma, tab or space separated; an optional
    header) and Kaggle's ``LOC_val_solution.csv`` (``ImageId,PredictionString``; the first wnid counts).
    """
    labels = {}
    with open(path, newline="") as handle:
        for line_number, row in enumerate(csv.reader(handle), start=1):
            if len(row) == 1:
                row = row[0].split()
            if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{path}:{line_number}: expected 'filename,label', got {row!r}")
            name = row[0].strip()
            fields = row[1].split()  # Kaggle's PredictionString: "wnid x0 y0 x1 y1 wnid ..."
            label = fields[0] if fields else ""
            if line_number == 1 and not (_WNID.fullmatch(label) or label.isdigit()):
                continue  # header line
            labels[Path(name).stem] = _parse_label(label, f"{path}:{line_number}")
    return labels


def _devkit_labels(root: Path) -> dict[str, int] | None:
    """Labels from the official devkit: ground-truth ILSVRC2012_IDs (1-based, not class indices!) -> wnid
    via meta.mat."""
    for data in (root / "ILSVRC2012_devkit_t12" / "data", root / "data", root):
        truth = data / "ILSVRC2012_validation_ground_truth.txt"
        meta = data / "meta.mat"
        if truth.is_file() and meta.is_file():
            break
    else:
        return None
    try:
        import scipy.io
    except ImportError as error:  # scipy is optional; a plain labels file works without it
        raise ImportError(
            f"reading {meta} needs scipy (pip install scipy); "
            f"or provide {root / 'val_labels.txt'} with 'filename,wnid' lines"
        ) from error
    synsets = scipy.io.loadmat(str(meta), squeeze_me=True)["synsets"]
    id_to_wnid = {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in synsets}
    ids = [int(line) for line in truth.read_text().split()]
    # Ground-truth line i belongs to ILSVRC2012_val_{i:08d}.JPEG.
    return {
        f"ILSVRC2012_val_{i:08d}": imagenet_class_index(id_to_wnid[ilsvrc_id])
        for i, ilsvrc_id in enumerate(ids, start=1)
    }


def open_imagenet_val(
    root: Path,
    split: str | None = None,
    image_size: int | None = 224,
    crop_fraction: float = 1.0,
    labels_file: str | Path | None = None,
):
    """The official validation set in any layout of :data:`IMAGENET_VAL_LAYOUT`, sorted by file name."""
    from .base import DatasetNotFoundError

    if split not in (None, "val"):
        raise ValueError(f"imagenet-val has only the 'val' split, got {split!r}")
    folder = _val_image_folder(root)
    if folder is None:
        raise DatasetNotFoundError(f"no ImageNet validation images under {root}\n{IMAGENET_VAL_LAYOUT}")
    class_folders = sorted(p for p in folder.iterdir() if p.is_dir() and _WNID.fullmatch(p.name))
    records: list[_Record] = []
    if class_folders and labels_file is None:
        for class_folder in class_folders:
            label = imagenet_class_index(class_folder.name)
            records += [_Record(id=p.stem, path=p, label=label) for p in _images_in(class_folder)]
        source = "class folders"
    else:
        if labels_file is not None:
            labels, source = read_labels_file(Path(labels_file)), str(labels_file)
        else:
            labels, source = None, None
            for candidate in ("val_labels.txt", "val_labels.csv", "LOC_val_solution.csv"):
                if (root / candidate).is_file():
                    labels, source = read_labels_file(root / candidate), str(root / candidate)
                    break
            if labels is None:
                labels, source = _devkit_labels(root), "devkit ground truth + meta.mat"
        if labels is None:
            raise DatasetNotFoundError(
                f"found ImageNet validation images in {folder} but no labels\n{IMAGENET_VAL_LAYOUT}"
            )
        paths = _images_in(folder) if not class_folders else [p for d in class_folders for p in _images_in(d)]
        missing = [p.name for p in paths if p.stem not in labels]
        if missing:
            raise ValueError(f"{len(missing)} images have no label in {source}, e.g. {missing[:3]}")
        records = [_Record(id=p.stem, path=p, label=labels[p.stem]) for p in paths]
    records = with_unique_ids(records, [record.path.relative_to(folder).as_posix() for record in records])
    info = {"layout": IMAGENET_VAL_LAYOUT, "labels": source}
    return ImageNetDataset("imagenet-val", root, records, image_size, crop_fraction, info)
