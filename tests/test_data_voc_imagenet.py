"""The VOC -> ImageNet-1k class table, voc_target and split_explainable."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from timm.data import ImageNetInfo

from fovex.data import VOC_CLASSES, VOC_TO_IMAGENET, VocObject, imagenet_classes_for, split_explainable, voc_target

DESCRIPTIONS = ImageNetInfo().label_descriptions()


def _names(indices) -> list[str]:
    return [DESCRIPTIONS[i].split(",")[0] for i in indices]


def test_table_covers_the_20_classes_without_overlap():
    assert set(VOC_TO_IMAGENET) == set(VOC_CLASSES) and len(VOC_CLASSES) == 20
    seen: dict[int, str] = {}
    for voc_class, indices in VOC_TO_IMAGENET.items():
        assert len(set(indices)) == len(indices)
        for index in indices:
            assert 0 <= index < 1000
            assert index not in seen, f"{index} is in both {seen[index]} and {voc_class}"
            seen[index] = voc_class


@pytest.mark.parametrize(
    "voc_class,expected",
    [
        ("cat", ["tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"]),
        ("diningtable", ["dining table"]),
        ("pottedplant", ["pot"]),
        ("sofa", ["studio couch"]),
        ("bus", ["minibus", "school bus", "trolleybus"]),
        ("sheep", ["ram"]),
    ],
)
def test_known_entries_against_timm_names(voc_class, expected):
    assert _names(imagenet_classes_for(voc_class)) == expected


def test_range_entries_against_timm_names():
    dogs = imagenet_classes_for("dog")
    assert len(dogs) == 118 and _names([dogs[0], dogs[-1]]) == ["Chihuahua", "Mexican hairless"]
    assert _names([dogs[0] - 1, dogs[-1] + 1]) == ["sea lion", "timber wolf"]  # the neighbours are not dogs
    birds = imagenet_classes_for("bird")
    assert _names([7, 24, 80, 100, 127, 146]) == [
        "cock",
        "great grey owl",
        "black grouse",
        "black swan",
        "white stork",
        "albatross",
    ]
    assert {7, 24, 80, 100, 127, 146} <= set(birds) and not {6, 25, 79, 101, 126, 147} & set(birds)
    assert "airliner" in _names(imagenet_classes_for("aeroplane"))
    assert "sports car" in _names(imagenet_classes_for("car")) and "car wheel" not in _names(
        imagenet_classes_for("car")
    )


def test_person_has_no_imagenet_class():
    assert imagenet_classes_for("person") == ()
    with pytest.raises(KeyError, match="not a VOC class"):
        imagenet_classes_for("human")


def test_voc_target_picks_the_best_class_within_the_set():
    logits = torch.zeros(1000)
    logits[500] = 10.0  # the overall top-1 is not a cat
    logits[283] = 3.0
    logits[281] = 2.0
    assert voc_target(logits, "cat") == 283
    assert voc_target(logits.unsqueeze(0), "cat") == 283
    assert voc_target(logits.numpy(), "cat") == 283
    assert voc_target(logits, "person") is None
    with pytest.raises(ValueError, match="1000"):
        voc_target(np.zeros(10), "cat")


def test_split_explainable_lists_and_counts_the_skipped():
    box = np.zeros(4)
    objects = [
        VocObject("cat", box, box),
        VocObject("person", box, box),
        VocObject("person", box, box),
        VocObject("dog", box, box, visible=False),
        VocObject("car", box, box, difficult=True),
    ]
    split = split_explainable(objects)
    assert [o.name for o in split.explainable] == ["cat", "car"]
    assert split.skipped_counts == {"no ImageNet class: person": 2, "outside the crop": 1}
    assert split.summary() == "2 explainable, 3 skipped (2 no ImageNet class: person, 1 outside the crop)"
    strict = split_explainable(objects, include_difficult=False)
    assert strict.skipped_counts["difficult"] == 1 and len(strict.explainable) == 1
