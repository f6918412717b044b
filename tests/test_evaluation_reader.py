"""The run API (fovex.open_run): results, maps, the data set as the run saw it, the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fovex
from fovex.evaluation import run
from fovex.evaluation.reader import with_derived_columns
from fovex.evaluation.store import StoreError
from fovex.study.chapters import explainer_entries, run_chapter

CONFIG = {
    "config_version": 1,
    # 240 px, not the default 224: the data set must follow the run (random weights: sizes, not scores)
    "models": [{"name": "efficientnet_lite1", "weights": "none"}],
    "explainers": ["centre", "random"],
    "dataset": {"name": "samples", "split": "imagenet", "num_images": 3},
    "metrics": ["drop_increase"],
    "batch_size": 2,
    "device": "cpu",
    "threads": 1,
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "lite1"
    run(CONFIG, out, quiet=True)
    return out


def test_open_run_reads_rows_maps_and_summary(finished):
    opened = fovex.open_run(finished)
    assert opened.complete and opened.models == ["efficientnet_lite1"] and opened.explainers == ["centre", "random"]
    assert len(opened.results) == 6 and len(opened.ok) == 6
    maps = opened.maps("centre")
    assert set(maps) == set(opened.ok["image_id"])
    attribution = next(iter(maps.values()))["attribution"]
    assert attribution.shape == (240, 240)
    # The centre map peaks at the middle of the image, whatever the photo.
    assert np.unravel_index(attribution.argmax(), attribution.shape) in {(119, 119), (119, 120), (120, 119), (120, 120)}
    summary = opened.summary()
    assert summary.loc[("efficientnet_lite1", "centre"), "n_ok"] == 3
    assert summary.loc[("efficientnet_lite1", "random"), "drop_pct"] == pytest.approx(
        opened.ok[opened.ok["explainer"] == "random"]["drop_pct"].mean()
    )
    # %Increase per row, derived once by the reader: 100 where O > Y, else 0.
    assert (opened.ok["increase_pct"] == opened.ok["increase"].astype(float) * 100).all()
    assert "increase_pct" not in opened.results  # the stored rows stay as the run wrote them


def test_derived_columns_give_increase_in_percent_where_there_is_increase():
    rows = pd.DataFrame({"image_id": ["a", "b", "c"], "increase": [True, False, True]})
    assert with_derived_columns(rows)["increase_pct"].tolist() == [100.0, 0.0, 100.0]
    assert "increase_pct" not in rows  # a new frame, the given one untouched
    localisation = pd.DataFrame({"image_id": ["a"], "ebpg_pct": [12.5]})
    assert with_derived_columns(localisation).columns.tolist() == ["image_id", "ebpg_pct"]


def test_the_dataset_is_reopened_at_the_runs_image_size(finished):
    opened = fovex.open_run(finished)
    assert opened.image_size() == 240
    dataset = opened.dataset()
    first = opened.ok["image_id"].iloc[0]
    sample = next(dataset[i] for i in range(len(dataset)) if dataset[i].id == first)
    assert tuple(sample.image.shape) == (3, 240, 240)


def test_an_unfinished_run_still_knows_its_image_size(finished, tmp_path):
    import json
    import shutil

    copy = tmp_path / "partial"
    shutil.copytree(finished, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest.pop("resolved")
    manifest["status"] = "running"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    opened = fovex.open_run(copy)
    assert not opened.complete and opened.image_size() == 240  # from the model's architecture
    assert len(opened.results) == 6  # read as far as it got, no warning


def test_open_run_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fovex.open_run(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="not a fovex result directory"):
        fovex.open_run(tmp_path / "empty")


def test_asking_for_a_model_the_run_does_not_have_names_the_ones_it_has(finished):
    with pytest.raises(ValueError, match="efficientnet_lite1"):
        fovex.open_run(finished).image_size("resnet50")


def test_explainer_entries_join_names_and_the_profiles_settings():
    settings = {"rise": {"masks": 1000}, "meaningful_perturbation": {"steps": 100}}
    own = {"name": "fovex", "label": "fovex-fast", "settings": {"preset": "fast"}}
    assert explainer_entries(["fovex", "rise", own], settings) == [
        {"name": "fovex"},
        {"name": "rise", "settings": {"masks": 1000}},
        own,  # an entry of its own is kept as given
    ]
    assert explainer_entries(["rise"]) == [{"name": "rise"}]


def test_run_chapter_gives_each_method_the_profiles_settings(tmp_path):
    # The chapters pass names and the profile's settings; the run must compute with those settings.
    opened = run_chapter(
        tmp_path / "chapter",
        name="chapter",
        model="efficientnet_lite0",
        explainers=["random", "centre"],
        explainer_settings={"random": {"seed": 7}, "rise": {"masks": 10}},
        dataset="samples",
        num_images=1,
        metrics=["drop_increase"],
        device="cpu",
        threads=1,
    )
    entries = {entry["label"]: entry["settings"] for entry in opened.config["explainers"]}
    assert entries == {"random": {"seed": 7}, "centre": {}}  # RISE's settings: unused here
    assert opened.explainers == ["random", "centre"]
    # The seed reached the map: seed 7's random map differs from the default seed's.
    seven = next(iter(opened.maps("random").values()))["attribution"]
    default = run_chapter(
        tmp_path / "default",
        name="chapter",
        model="efficientnet_lite0",
        explainers=["random"],
        dataset="samples",
        num_images=1,
        metrics=["drop_increase"],
        device="cpu",
        threads=1,
    )
    assert not np.array_equal(seven, next(iter(default.maps("random").values()))["attribution"])
