"""PASCAL VOC (2007, 2012): images with object boxes, difficult flags and instance masks.

Box convention: VOC XML boxes are 1-based with inclusive corners (``xmin=1`` is the first pixel
column). Here they become 0-based inclusive pixel coordinates, ``x0 = xmin - 1``, ``y0 = ymin - 1``,
``x1 = xmax - 1``, ``y1 = ymax - 1`` (``box_original``), and are then mapped into the loaded frame
(``box``, see :mod:`fovex.data.geometry`). Instance masks come from ``SegmentationObject/<id>.png``:
palette value k is the k-th object of the XML, 0 background, 255 the void border (belongs to no
object).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np

from .base import Dataset, DatasetNotFoundError, Sample, VocObject, _Record, image_size

__all__ = ["VOC_CLASSES", "VocDataset", "open_voc", "parse_voc_xml", "voc_layout"]

#: The 20 VOC classes in the official order.
VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)


def voc_layout(year: str = "2012") -> str:
    return f"""\
PASCAL VOC{year}: <root>/VOCdevkit/VOC{year}/ (or that folder itself) holding
  JPEGImages/<id>.jpg, Annotations/<id>.xml, ImageSets/Main/<split>.txt, SegmentationObject/<id>.png (optional)
A flat folder with JPEGImages/ and Annotations/ but no ImageSets/ is read as one set of every annotated image."""


def detect_voc(root: Path) -> bool:
    return (root / "JPEGImages").is_dir() and (root / "Annotations").is_dir()


def parse_voc_xml(path: Path) -> dict:
    """A VOC annotation file -> ``{"size": (W, H) or None, "objects": [dict(...)]}``, one dict per object
    with ``name, box_original, difficult, truncated, index``.

    ``box_original`` is 0-based inclusive (VOC's 1-based value minus 1). Object parts (``<part>``) are ignored.
    """
    tree = ElementTree.parse(path)
    annotation = tree.getroot()
    size = annotation.find("size")
    width_height = None
    if size is not None and size.findtext("width") and size.findtext("height"):
        width_height = (int(float(size.findtext("width"))), int(float(size.findtext("height"))))
    objects = []
    for index, element in enumerate(annotation.findall("object"), start=1):
        box = element.find("bndbox")  # direct child only: <part> elements carry their own bndbox
        if box is None:
            raise ValueError(f"{path}: object {index} has no <bndbox>")
        corners = [float(box.findtext(tag)) - 1.0 for tag in ("xmin", "ymin", "xmax", "ymax")]
        objects.append(
            {
                "name": (element.findtext("name") or "").strip(),
                "box_original": np.asarray(corners, dtype=np.float64),
                "difficult": (element.findtext("difficult") or "0").strip() == "1",
                "truncated": (element.findtext("truncated") or "0").strip() == "1",
                "index": index,
            }
        )
    return {"size": width_height, "objects": objects}


def make_objects(annotations: list[dict], geometry, instance_labels: np.ndarray | None) -> list[VocObject]:
    """Object dicts (see :func:`parse_voc_xml`) -> :class:`VocObject` in the frame of ``geometry``.

    ``instance_labels``: optional (H, W) original-resolution map with value k on the k-th object.
    """
    if not annotations:
        return []
    boxes, visible = geometry.boxes_to_frame(np.stack([a["box_original"] for a in annotations]))
    frame_labels = geometry.mask_to_frame(instance_labels) if instance_labels is not None else None
    objects = []
    for annotation, box, is_visible in zip(annotations, boxes, visible):
        mask = None
        if frame_labels is not None:
            mask = frame_labels == annotation["index"]
        objects.append(
            VocObject(
                name=annotation["name"],
                box=box,
                box_original=annotation["box_original"],
                difficult=annotation["difficult"],
                truncated=annotation["truncated"],
                visible=bool(is_visible),
                mask=mask,
                index=annotation["index"],
            )
        )
    return objects


class VocDataset(Dataset):
    """VOC images; ``sample.objects`` lists every annotated object (difficult ones included, flagged)."""

    def __init__(self, name, root, records, image_size=224, crop_fraction=1.0, info=None):
        super().__init__(root, records, image_size, crop_fraction, info)
        self.name = name

    def _make_sample(self, record: _Record) -> Sample:
        from PIL import Image

        annotation = parse_voc_xml(record.extra)
        width, height = image_size(record.path)
        geometry = self.geometry_for(width, height)
        mask_path = self.root / "SegmentationObject" / f"{record.id}.png"
        instance_labels = None
        if mask_path.is_file():
            with Image.open(mask_path) as png:
                # Palette PNG: the palette *indices* are the instance ids, so read them without conversion.
                instance_labels = np.asarray(png)
        if instance_labels is not None and instance_labels.shape != (height, width):
            raise ValueError(f"{mask_path}: mask is {instance_labels.shape[::-1]}, image is {(width, height)}")
        meta = {
            "annotation": str(record.extra),
            "instance_mask": str(mask_path) if instance_labels is not None else None,
        }
        if annotation["size"] is not None and annotation["size"] != (width, height):
            meta["annotation_size_mismatch"] = annotation["size"]
        return Sample(
            id=record.id,
            path=record.path,
            geometry=geometry,
            objects=make_objects(annotation["objects"], geometry, instance_labels),
            meta=meta,
        )


def open_voc(
    root: Path,
    split: str | None = None,
    image_size: int | None = 224,
    crop_fraction: float = 1.0,
    image_set: str = "Main",
    year: str = "2012",
    name: str | None = None,
) -> VocDataset:
    """A VOC folder (``VOCdevkit/VOC20XX``) for ``split`` (default ``val``) of ``ImageSets/<image_set>``.

    Without ``ImageSets`` (a flat subset), every ``Annotations/<id>.xml`` with a ``JPEGImages/<id>.jpg``
    is used and ``split`` must be None or ``"all"``.
    """
    name = name or f"voc{year}"
    if not detect_voc(root):
        raise DatasetNotFoundError(f"{root} is not a VOC folder\n{voc_layout(year)}")
    sets_folder = root / "ImageSets" / image_set
    if sets_folder.is_dir() and split != "all":
        split = split or "val"
        split_file = sets_folder / f"{split}.txt"
        if not split_file.is_file():
            available = sorted(p.stem for p in sets_folder.glob("*.txt") if "_" not in p.stem)
            raise ValueError(f"{name}: no split {split!r} in {sets_folder}; available: {available}")
        ids = [line.split()[0] for line in split_file.read_text().splitlines() if line.strip()]
    else:
        if split not in (None, "all"):
            raise ValueError(
                f"{name}: {root} has no ImageSets/{image_set}, so only split=None/'all' (every annotated image) exists"
            )
        ids = sorted(
            p.stem for p in (root / "Annotations").glob("*.xml") if (root / "JPEGImages" / f"{p.stem}.jpg").is_file()
        )
        split = "all"
    records = []
    for image_id in ids:
        image_path = root / "JPEGImages" / f"{image_id}.jpg"
        xml_path = root / "Annotations" / f"{image_id}.xml"
        if not image_path.is_file() or not xml_path.is_file():
            raise DatasetNotFoundError(
                f"{name}: split {split!r} lists {image_id} but {image_path.name} or {xml_path.name} is missing"
            )
        records.append(_Record(id=image_id, path=image_path, extra=xml_path))
    info = {
        "layout": voc_layout(year),
        "split": split,
        "boxes": "0-based inclusive (x0, y0, x1, y1) = VOC - 1, mapped to the frame",
    }
    return VocDataset(name, root, records, image_size, crop_fraction, info)
