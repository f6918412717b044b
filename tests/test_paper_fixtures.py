"""The test-support world of tests/paper_fixtures.py: its data sets open with fovex's loaders and hold
exactly their sources' labels, objects and fixations; its stand-in weights load offline as timm's."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from paper_fixtures import PAPER_MODELS, make_paper_world

from fovex.data import open_dataset


def _osie_rows(shared) -> dict[tuple[str, int], list[tuple[float, float, float]]]:
    rows: dict = {}
    with open(shared / "osie" / "fixations.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["stimulus"], int(row["subject"]))
            rows.setdefault(key, []).append((float(row["x"]), float(row["y"]), float(row["duration_s"])))
    return rows


def test_paper_world_data_sets_hold_their_sources(tmp_path, monkeypatch, shared_data):
    world = make_paper_world(tmp_path, images=4, observers=3, models=(), shared=shared_data)
    world.activate(monkeypatch)
    assert world.env["FOVEX_DATA"] == str(world.data_root) and world.env["HF_HUB_OFFLINE"] == "1"

    # ImageNet val: the official file names, labels = rank of the source photo's wnid among the 1000.
    wnids = sorted({p.name.split("_")[0] for p in (shared_data / "imagenet-sample").glob("n*_*.JPEG")})
    imagenet = open_dataset("imagenet-val")
    assert imagenet.info["labels"] == "devkit ground truth + meta.mat"
    assert imagenet.ids == [f"ILSVRC2012_val_{i:08d}" for i in range(1, 5)]
    truth = (world.data_root / "imagenet/ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt").read_text()
    for sample, source in zip(imagenet, world.sources["imagenet"]):
        wnid = source["source"].name.split("_")[0]
        assert sample.label == wnids.index(wnid) and sample.meta["wnid"] == wnid
        assert sample.path.read_bytes() == source["source"].read_bytes()
    # The devkit's ILSVRC2012_IDs are not class indices + 1 (a loader confusing them would fail here).
    assert [int(i) for i in truth.split()] != [sample.label + 1 for sample in imagenet]

    # VOC2012: every object of the source XML, its box 0-based (VOC's 1-based corners minus 1).
    voc = open_dataset("voc2012")  # split val of ImageSets/Main
    assert voc.ids == ["2007_000042", "2007_000032", "2007_000033", "2007_000039"]
    for sample, source in zip(voc, world.sources["voc2012"]):
        expected = [
            (
                obj.findtext("name"),
                [float(obj.find("bndbox").findtext(t)) - 1 for t in ("xmin", "ymin", "xmax", "ymax")],
                obj.findtext("difficult") == "1",
            )
            for obj in ET.parse(source["source_xml"]).getroot().findall("object")
        ]
        found = [(o.name, o.box_original.tolist(), o.difficult) for o in sample.objects]
        assert found == expected and len(found) > 0
        assert all(o.mask is not None for o in sample.objects) == (sample.id != "2007_000042")

    # MIT1003: per observer, OSIE's fixations in order at their exact places; durations within a
    # saccade's samples (checkFixations gives a saccade's first and last samples to no fixation).
    osie = _osie_rows(shared_data)
    mit = open_dataset("mit1003", image_size=None)
    assert mit.has_observers and mit.observers == ("obs00", "obs01", "obs02")
    assert mit.ids == ["osie1001", "osie1002", "osie1003", "osie1004"]
    for sample in mit:
        fixations = sample.fixations_original
        for name, encoded in world.sources["mit1003"][sample.id]["observers"].items():
            rows = fixations.subject == encoded["subject"]
            assert fixations.order[rows].tolist() == list(range(len(encoded["xy"])))
            assert np.allclose(fixations.xy[rows], encoded["xy"], rtol=0, atol=1e-9), (sample.id, name)
            assert np.allclose(fixations.duration_s[rows], encoded["duration_s"], rtol=0, atol=0.045)
            assert np.all(np.diff(fixations.onset_s[rows]) > 0)
            source = osie[(f"{sample.id.removeprefix('osie')}.jpg", encoded["subject"])]
            positions = [(x, y) for x, y, _ in source]
            assert all((x, y) in positions for x, y in encoded["xy"].tolist())  # OSIE's own rows
            assert len(encoded["xy"]) >= len(source) // 2  # most of the observer's fixations
        # The human ceiling's input: at least two observers with fixations in the frame.
        assert len([p for p in sample.fixations.scanpaths().values() if len(p)]) >= 2


@pytest.mark.slow
def test_paper_world_models_load_offline_from_the_hub_cache(tmp_path, monkeypatch, shared_data):
    import timm

    import fovex

    world = make_paper_world(tmp_path, images=1, models=PAPER_MODELS, shared=shared_data)
    world.activate(monkeypatch)
    for name in PAPER_MODELS:
        model = fovex.load_model(name)  # weights="default": timm's pretrained weights, from the cache
        info, blob = model.weights_info, world.weights[name]
        assert info["source"] == "hub" and info["repo_id"] == timm.models.get_pretrained_cfg(name).hf_hub_id
        assert info["sha256"] == blob.name == hashlib.sha256(blob.read_bytes()).hexdigest()
        with torch.no_grad():
            assert torch.isfinite(model(torch.rand(1, 3, 224, 224))).all()
    # A child process needs only the environment.
    script = "import fovex; print(fovex.load_model('resnet50').weights_info['sha256'])"
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **world.env}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == world.weights["resnet50"].name
