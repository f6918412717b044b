"""The data sets ``fovex data fetch`` can download (URLs, file names, checksums), and how to get ImageNet."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IMAGENET_INSTRUCTIONS", "REGISTRY", "RemoteDataset", "RemoteFile"]


@dataclass(frozen=True)
class RemoteFile:
    """One public archive. ``sha256``/``md5``: published checksums (None when none is published)."""

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    note: str = ""


@dataclass(frozen=True)
class RemoteDataset:
    """A fetchable data set: its archives, extracted into ``<data root>/<subdir>``."""

    name: str
    files: tuple[RemoteFile, ...]
    subdir: str
    description: str = ""


_NO_CHECKSUM = "no published checksum: verified by archive integrity; pin one with --checksum FILE=sha256:HEX"
# The MIT site publishes no checksums; these MD5s are the ones pysaliency's get_mit1003 checks its downloads
# of the same URLs against (pysaliency/external_datasets/mit.py), also used by other MIT1003 readers.
_MIT1003_MD5 = "MD5 as pinned by pysaliency's MIT1003 loader (the site publishes none)"

#: Data sets ``fovex data fetch`` can download. VOC's MD5s are the organisers' (as used by torchvision);
#: MIT1003's, pysaliency's (see ``_MIT1003_MD5``).
REGISTRY: dict[str, RemoteDataset] = {
    "voc2012": RemoteDataset(
        "voc2012",
        (
            RemoteFile(
                "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
                "VOCtrainval_11-May-2012.tar",
                md5="6cd6e144f989b92b3379bac3b3de84fd",
            ),
        ),
        subdir="voc2012",
        description="PASCAL VOC 2012 trainval (2 GB) -> <root>/voc2012/VOCdevkit/VOC2012",
    ),
    "voc2007": RemoteDataset(
        "voc2007",
        (
            RemoteFile(
                "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
                "VOCtrainval_06-Nov-2007.tar",
                md5="c52e279531787c972589f7e41ab4ae64",
            ),
            RemoteFile(
                "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
                "VOCtest_06-Nov-2007.tar",
                md5="b6e924de25625d8de591ea690078ad9f",
            ),
        ),
        subdir="voc2007",
        description="PASCAL VOC 2007 trainval + test (0.9 GB) -> <root>/voc2007/VOCdevkit/VOC2007",
    ),
    "mit1003": RemoteDataset(
        "mit1003",
        (
            RemoteFile(
                "http://people.csail.mit.edu/tjudd/WherePeopleLook/ALLSTIMULI.zip",
                "ALLSTIMULI.zip",
                md5="0d7df8b954ecba69b6796e77b9afe4b6",
                note=_MIT1003_MD5,
            ),
            RemoteFile(
                "http://people.csail.mit.edu/tjudd/WherePeopleLook/ALLFIXATIONMAPS.zip",
                "ALLFIXATIONMAPS.zip",
                note=_NO_CHECKSUM,
            ),
            RemoteFile(
                "http://people.csail.mit.edu/tjudd/WherePeopleLook/DATA.zip",
                "DATA.zip",
                md5="ea19d74ad0a0144428c53e9d75c2d71c",
                note=_MIT1003_MD5,
            ),
        ),
        subdir="mit1003",
        description=(
            "MIT1003 (Judd et al. 2009): stimuli, fixation maps and each observer's eye traces -> "
            "<root>/mit1003/{ALLSTIMULI,ALLFIXATIONMAPS,DATA}"
        ),
    ),
}

IMAGENET_INSTRUCTIONS = """\
ImageNet cannot be downloaded automatically (its terms require registration).
  1. Register at https://image-net.org/download.php and accept the terms.
  2. Download ILSVRC2012_img_val.tar (6.3 GB) and ILSVRC2012_devkit_t12.tar.gz (2.5 MB).
  3. Unpack them into <data root>/imagenet/:
       <data root>/imagenet/val/ILSVRC2012_val_00000001.JPEG ...
       <data root>/imagenet/ILSVRC2012_devkit_t12/data/{ILSVRC2012_validation_ground_truth.txt,meta.mat}
     (class folders <data root>/imagenet/val/<wnid>/*.JPEG work too).
  A one-per-class sample needs no download: open_dataset("imagenet-sample") or "samples"."""
