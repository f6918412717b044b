"""Which ImageNet-1k classes depict each VOC class, and which object an ImageNet classifier can explain.

ImageNet-1k has no class per VOC category: "dog" is 118 breeds, "cat" five domestic cats, "person"
nothing. To explain a VOC object with an ImageNet classifier, the explained class is the
highest-scoring ImageNet class within the object's set (:func:`voc_target`); objects whose VOC class
has no ImageNet counterpart are reported as skipped, with counts (:func:`split_explainable`).

Judgement calls (each documented next to its entry):
- person: none. ImageNet-1k has only "ballplayer", "groom" and "scuba diver", which depict a role
  in a context; explaining "groom" for a pedestrian would be meaningless, so persons are skipped.
- pottedplant: "pot, flowerpot" (738), whose ImageNet images show plants in pots.
- cow: ox and water buffalo (domestic bovines), not bison; sheep: ram, not the wild bighorn.
- car: every passenger-car class (ambulance and police van included: they are vans); trucks, go-karts
  and car parts (wheel, grille) are not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .voc import VOC_CLASSES

__all__ = ["VOC_TO_IMAGENET", "imagenet_classes_for", "voc_target", "ObjectSplit", "split_explainable"]


def _span(first: int, last: int) -> tuple[int, ...]:
    """Inclusive index range."""
    return tuple(range(first, last + 1))


#: VOC class -> ImageNet-1k class indices that depict it (sorted-wnid indices, as timm/torchvision).
VOC_TO_IMAGENET: dict[str, tuple[int, ...]] = {
    # airliner, warplane, wing (ImageNet's "wing" photos are aircraft wings)
    "aeroplane": (404, 895, 908),
    # tandem bicycle, mountain bike (tricycle/unicycle are not VOC bicycles)
    "bicycle": (444, 671),
    # the three bird blocks: cock .. great grey owl, black grouse .. black swan, white stork .. albatross
    "bird": _span(7, 24) + _span(80, 100) + _span(127, 146),
    # aircraft carrier, canoe, catamaran, container ship, fireboat, gondola, lifeboat, liner, pirate ship,
    # schooner, speedboat, submarine, trimaran, yawl
    "boat": (403, 472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 914),
    # beer, pill, pop, water and wine bottles
    "bottle": (440, 720, 737, 898, 907),
    # minibus, school bus, trolleybus
    "bus": (654, 779, 874),
    # ambulance, station wagon, cab, convertible, jeep, limousine, minivan, Model T, pickup, racer,
    # police van, sports car
    "car": (407, 436, 468, 511, 609, 627, 656, 661, 717, 734, 751, 817),
    # tabby, tiger cat, Persian, Siamese, Egyptian cat (domestic cats only; 286+ are wild cats)
    "cat": _span(281, 285),
    # barber chair, folding chair, rocking chair, throne
    "chair": (423, 559, 765, 857),
    # ox, water buffalo
    "cow": (345, 346),
    # dining table
    "diningtable": (532,),
    # the 118 dog breeds, Chihuahua .. Mexican hairless (269+ are wolves, foxes, wild dogs)
    "dog": _span(151, 268),
    # sorrel (ImageNet's only horse), horse cart
    "horse": (339, 603),
    # moped, motor scooter
    "motorbike": (665, 670),
    # none: ballplayer/groom/scuba diver depict roles, not persons (see the module docstring)
    "person": (),
    # pot, flowerpot
    "pottedplant": (738,),
    # ram
    "sheep": (348,),
    # studio couch
    "sofa": (831,),
    # bullet train, electric locomotive, freight car, passenger car, steam locomotive, streetcar
    "train": (466, 547, 565, 705, 820, 829),
    # monitor, CRT screen, television (not desktop computer or laptop: whole computers)
    "tvmonitor": (664, 782, 851),
}


def imagenet_classes_for(voc_class: str) -> tuple[int, ...]:
    """ImageNet-1k indices depicting ``voc_class`` (empty for person); KeyError for unknown names."""
    try:
        return VOC_TO_IMAGENET[voc_class]
    except KeyError:
        raise KeyError(f"{voc_class!r} is not a VOC class; expected one of {', '.join(VOC_CLASSES)}") from None


def voc_target(logits, voc_class: str) -> int | None:
    """The highest-scoring ImageNet class within ``voc_class``'s set, or None when the set is empty.

    ``logits``: (1000,) or (1, 1000) scores (logits or probabilities; torch tensor or array-like).
    """
    classes = imagenet_classes_for(voc_class)
    if not classes:
        return None
    scores = logits.detach().cpu().numpy() if hasattr(logits, "detach") else np.asarray(logits)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if scores.shape != (1000,):
        raise ValueError(f"expected 1000 ImageNet scores, got shape {np.shape(logits)}")
    candidates = np.asarray(classes)
    return int(candidates[np.argmax(scores[candidates])])


@dataclass
class ObjectSplit:
    """Objects an ImageNet classifier can explain, and the others with the reason each was skipped."""

    explainable: list = field(default_factory=list)
    skipped: list[tuple[object, str]] = field(default_factory=list)

    @property
    def skipped_counts(self) -> dict[str, int]:
        """Reason -> number of skipped objects."""
        return dict(Counter(reason for _, reason in self.skipped))

    def summary(self) -> str:
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped_counts.items()))
        return f"{len(self.explainable)} explainable, {len(self.skipped)} skipped" + (
            f" ({reasons})" if reasons else ""
        )


def split_explainable(objects, *, include_difficult: bool = True) -> ObjectSplit:
    """Split VOC objects (anything with ``name`` and optionally ``visible``/``difficult``).

    Skip reasons: ``"no ImageNet class: <name>"``, ``"outside the crop"``, ``"difficult"`` (only when
    ``include_difficult`` is False), ``"unknown class: <name>"``.
    """
    result = ObjectSplit()
    for obj in objects:
        name = obj.name
        if name not in VOC_TO_IMAGENET:
            result.skipped.append((obj, f"unknown class: {name}"))
        elif not VOC_TO_IMAGENET[name]:
            result.skipped.append((obj, f"no ImageNet class: {name}"))
        elif not getattr(obj, "visible", True):
            result.skipped.append((obj, "outside the crop"))
        elif not include_difficult and getattr(obj, "difficult", False):
            result.skipped.append((obj, "difficult"))
        else:
            result.explainable.append(obj)
    return result
