"""The explainer base class, its input and output records, and the registry.

Every explainer maps ``images`` (B, 3, H, W) in [0, 1] and optional ``targets`` to an
:class:`Explanation` whose ``attribution`` is (B, H, W) in [0, 1], min-max normalised per image, at
the input resolution. A subclass sets ``name`` and ``Settings`` (a frozen dataclass that checks its
own values) and implements :meth:`Explainer.attribute`, returning an :class:`Attribution`.

Size: the contract every explainer shares in one place: the records, the base class with its input and
target checks (what a caller may pass and what is refused), and the registry every method joins.
"""

from __future__ import annotations

import difflib
import numbers
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

import torch

from ..checks import PIXEL_TOLERANCE, SettingError, check_choice, pixel_range_problem  # noqa: F401  (re-exported)

__all__ = [
    "Attribution",
    "Explainer",
    "Explanation",
    "NoSettings",
    "check_images",
    "class_index",
    "explainer",
    "explainer_class",
    "explainers",
    "normalize_per_image",
    "register_explainer",
    "resolve_targets",
]


@dataclass
class Explanation:
    """What an explainer returns for a batch.

    attribution: (B, H, W) in [0, 1], per-image min-max normalised.
    targets: (B,) explained class indices.
    method: registry name of the explainer. settings: its resolved settings.
    forward_passes, backward_passes: model passes spent per image (target selection included).
    fixations_xy: (B, T, 2) pixel ``(x, y)``, x right and y down (scanpath explainers only).
    losses: (B, T) the loss reached at each fixation (scanpath explainers only).
    """

    attribution: torch.Tensor
    targets: torch.Tensor
    method: str
    settings: dict[str, Any]
    forward_passes: int
    backward_passes: int
    fixations_xy: torch.Tensor | None = None
    losses: torch.Tensor | None = None
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def passes(self) -> int:
        """Model passes per image, forward plus backward."""
        return self.forward_passes + self.backward_passes

    def __len__(self) -> int:
        return self.attribution.shape[0]

    def __getitem__(self, index) -> Explanation:
        """A sub-batch (int, slice or index tensor); an int keeps the batch dimension."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return self._map(lambda value: value[index])

    def to(self, device) -> Explanation:
        return self._map(lambda value: value.to(device))

    def _map(self, function) -> Explanation:
        def apply(value):
            return function(value) if isinstance(value, torch.Tensor) else value

        return replace(
            self,
            attribution=apply(self.attribution),
            targets=apply(self.targets),
            fixations_xy=apply(self.fixations_xy),
            losses=apply(self.losses),
            extras={key: apply(value) for key, value in self.extras.items()},
        )


@dataclass
class Attribution:
    """What :meth:`Explainer.attribute` returns: raw maps and what else the method produced.

    maps: (B, H, W), any range (the base class normalises). fixations_xy: (B, T, 2) pixels, losses:
    (B, T) (scanpath explainers). extras: per-image tensors (B, ...) stored with the maps.
    passes: (forward, backward) per image when the cost is only known after the run; else
    :meth:`Explainer.cost` is asked.
    """

    maps: torch.Tensor
    fixations_xy: torch.Tensor | None = None
    losses: torch.Tensor | None = None
    extras: dict[str, torch.Tensor] = field(default_factory=dict)
    passes: tuple[int, int] | None = None


def normalize_per_image(maps: torch.Tensor) -> torch.Tensor:
    """Min-max normalise each map of (B, H, W) to [0, 1]; a constant map becomes all zeros."""
    flat = maps.flatten(1)
    low = flat.min(dim=1).values[:, None, None]
    high = flat.max(dim=1).values[:, None, None]
    span = high - low
    return torch.where(span > 0, (maps - low) / span.clamp_min(torch.finfo(maps.dtype).tiny), torch.zeros_like(maps))


# --- inputs ------------------------------------------------------------------------------------


def resolve_targets(model, images: torch.Tensor, targets=None) -> tuple[torch.Tensor, int]:
    """Targets as a (B,) LongTensor on the images' device, and the forward passes spent on them.

    ``None``: the model's top-1 class on each clean image (one forward pass). An int, a class name
    (from ``model.class_names``) or a sequence of either, one per image, are taken as given.
    """
    batch = images.shape[0]
    if isinstance(targets, dict) or isinstance(targets, (set, frozenset)):
        raise ValueError(
            f"targets must be None, one class (an index or a name) or one per image (a list or a 1-D tensor), "
            f"got a {type(targets).__name__}"
        )
    if targets is None:
        with torch.no_grad():
            logits = model(images)
        if not bool(torch.isfinite(logits).all()):
            raise ValueError("the model returned NaN or infinite logits; there is no top-1 class to explain")
        return logits.argmax(dim=1), 1
    if isinstance(targets, (numbers.Number, str)):  # one class for every image (a float is refused below)
        targets = [targets] * batch
    if isinstance(targets, torch.Tensor):
        targets = targets.reshape(-1).tolist() if targets.ndim <= 1 else None
        if targets is None:
            raise ValueError("targets must be a 1-D tensor of class indices")
    targets = [class_index(model, target) for target in targets]
    if len(targets) != batch:
        raise ValueError(f"got {len(targets)} targets for {batch} images")
    return torch.tensor(targets, dtype=torch.long, device=images.device), 0


def class_index(model, target) -> int:
    """A class index of ``model`` from an index or a class name (ValueError for an unknown or ambiguous
    name, a non-integer, an index out of range): e.g. to check a command's ``--target`` before any work."""
    names = getattr(model, "class_names", None)
    if isinstance(target, str):
        if target.lstrip("-").isdigit():
            target = int(target)
        else:
            return _class_by_name(names, target)
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise ValueError(f"a target is a class index (an integer) or a class name, got {target!r}")
    target = int(target)
    num_classes = len(names) if names is not None else None
    if target < 0 or (num_classes is not None and target >= num_classes):
        raise ValueError(f"class index {target} outside 0..{(num_classes or 0) - 1}")
    return target


def _class_by_name(names, target: str) -> int:
    if not names:
        raise ValueError(f"unknown class name {target!r}: the model has no class names; pass a class index")
    matches = [i for i, name in enumerate(names) if name == target]
    matches = matches or [i for i, name in enumerate(names) if name.lower() == target.lower()]
    if len(matches) > 1:
        listed = ", ".join(f"{i} ({names[i]})" for i in matches)
        raise ValueError(f"class name {target!r} is ambiguous: {listed}; pass the class index")
    if not matches:
        lowered = [name.lower() for name in names]
        close = difflib.get_close_matches(target.lower(), lowered, n=3, cutoff=0.6)
        listed = ", ".join(f"{names[lowered.index(c)]!r} ({lowered.index(c)})" for c in close)
        raise ValueError(f"unknown class name {target!r}" + (f"; did you mean {listed}?" if close else ""))
    return matches[0]


#: Smallest image side the explainers accept (the models' strided stems need at least this much).
MIN_IMAGE_PX = 32


def check_images(images: torch.Tensor, model=None) -> torch.Tensor:
    """Refuse what would be explained silently wrong; return the images in the model's dtype."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] != 3:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a (B, 3, H, W) tensor in [0, 1], got {shape}")
    if not images.is_floating_point():
        raise ValueError(f"images must be floating point in [0, 1], got {images.dtype}")
    if images.shape[0] == 0:
        raise ValueError("images is an empty batch (B = 0): nothing to explain")
    if min(images.shape[-2:]) < MIN_IMAGE_PX:
        raise ValueError(f"images must be at least {MIN_IMAGE_PX} px on each side, got {tuple(images.shape[-2:])}")
    finite = torch.isfinite(images)
    if not bool(finite.all()):
        raise ValueError(f"images contain {int((~finite).sum())} NaN or infinite values")
    problem = pixel_range_problem(float(images.min()), float(images.max()))
    if problem:
        raise ValueError(f"images {problem}")
    parameter = next(iter(model.parameters()), None) if isinstance(model, torch.nn.Module) else None
    if parameter is not None and parameter.is_floating_point() and images.dtype != parameter.dtype:
        images = images.to(parameter.dtype)  # float64 / float16 photos are explained in the model's dtype
    return images


# --- registry ----------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Explainer]] = {}


def register_explainer(cls: type[Explainer]) -> type[Explainer]:
    """Class decorator: make ``cls`` buildable by its ``name`` (importing :mod:`fovex.explain` registers all)."""
    _REGISTRY[cls.name] = cls
    return cls


def list_explainers() -> list[str]:
    """Registered explainer names (like :func:`fovex.list_models`); ``explainers()`` is the same function."""
    return sorted(_REGISTRY)


explainers = list_explainers


def display_name(key: str) -> str:
    """How the book names a method: ``"gradcam++"`` -> ``"Grad-CAM++"``.

    A registry key gives its class's ``display_name``; a run's label that extends a key (``"fovex-fast"``,
    ``"fovex s=0.3"``) keeps its suffix (``"FovEx-fast"``, ``"FovEx s=0.3"``); anything else is returned
    unchanged.
    """
    if key in _REGISTRY:
        return _REGISTRY[key].display_name or key
    for name in sorted(_REGISTRY, key=len, reverse=True):
        if key.startswith((name + "-", name + " ")):
            return (_REGISTRY[name].display_name or name) + key[len(name) :]
    return key


def explainer_class(name: str) -> type[Explainer]:
    """The registered class called ``name``; a ValueError lists the valid names."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown explainer {name!r}; available: {', '.join(list_explainers())}")
    return _REGISTRY[name]


def create_explainer(name: str, model, **settings) -> Explainer:
    """Build a registered explainer for ``model`` (like :func:`fovex.load_model`); ``explainer()`` is the
    same function."""
    return explainer_class(name)(model, **settings)


explainer = create_explainer


# --- the base class ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoSettings:
    """Settings of an explainer that has none."""


class Explainer:
    """Base class: subclasses set ``name`` and ``Settings`` and implement :meth:`attribute`.

    ``Settings`` is a frozen dataclass whose ``__post_init__`` checks every value (so a config is
    validated by building it, before any model exists). ``presets`` names sets of defaults that
    explicit settings override (``preset=...``); it is empty for most explainers.
    :meth:`cost` gives the passes per image when :class:`Attribution` does not carry them.
    """

    name: ClassVar[str] = ""
    #: The method's name as the field writes it (figures, tables, the book's sentences); ``name`` is the key.
    display_name: ClassVar[str] = ""
    Settings: ClassVar[type] = NoSettings
    #: Calls the model only as a whole, never hooks into its layers: it may be given a compiled model
    #: (:func:`fovex.models.compile_model`; an evaluation config's ``compile``).
    calls_model_whole: ClassVar[bool] = False
    #: A floor, not a rival: a map that knows nothing of the model (random) or only where people and
    #: photographers put things (centre). Tables rank methods among all of them, floors included, and
    #: name the floors as such.
    is_floor: ClassVar[bool] = False
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: dtype the model runs in under ``torch.autocast`` (None: the images' dtype); benchmarks time the floor alike.
    autocast: str | None = None

    def __init__(self, model, **settings):
        if isinstance(model, (str, bytes)) or not callable(model):
            hint = f" (load it first: fovex.load_model({model!r}))" if isinstance(model, str) else ""
            raise TypeError(f"{self.name}: model must be a classifier, got the {type(model).__name__} {model!r}{hint}")
        self.model = model
        self.config = self.resolve_settings(settings)
        #: The resolved settings as recorded with every explanation (and in a run's manifest).
        self.settings = asdict(self.config)

    @classmethod
    def setting_names(cls) -> set[str]:
        """Every setting this explainer accepts (``preset`` included where it has presets)."""
        return {f.name for f in fields(cls.Settings)}

    @classmethod
    def expand_preset(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """``settings`` with the named preset's values filled in under the explicit ones."""
        if "preset" not in settings or not cls.presets:
            return dict(settings)
        check_choice("preset", settings["preset"], tuple(cls.presets))
        return {**cls.presets[settings["preset"]], **settings}

    @classmethod
    def resolve_settings(cls, settings: dict[str, Any]):
        """Check ``settings`` (names, types, ranges) and return the :attr:`Settings` instance."""
        unknown = sorted(set(settings) - cls.setting_names())
        if unknown:
            valid = ", ".join(sorted(cls.setting_names())) or "none"
            raise SettingError(f"{cls.name}: unknown setting(s) {', '.join(unknown)}; valid: {valid}")
        return cls.Settings(**cls.expand_preset(settings))

    def attribute(self, images: torch.Tensor, targets: torch.Tensor) -> Attribution:
        raise NotImplementedError

    def cost(self) -> tuple[int, int]:
        """(forward, backward) passes per image, excluding target selection."""
        raise NotImplementedError

    def explain(self, images: torch.Tensor, targets=None, *, selection_passes: int | None = None) -> Explanation:
        """Explain ``images`` (B, 3, H, W) for ``targets`` (None: the top-1 class of each image).

        Target selection is counted here, once: one forward pass when the targets are chosen from the
        model's output, none when they are given, or ``selection_passes`` when the caller chose them
        from its own forward pass (the evaluation engine does).
        """
        images = check_images(images, self.model)
        targets, spent = resolve_targets(self.model, images, targets)
        if selection_passes is not None:
            spent = selection_passes
        result = self.attribute(images, targets)
        losses = result.losses
        if not bool(torch.isfinite(result.maps).all()) or (
            losses is not None and not bool(torch.isfinite(losses).all())
        ):
            raise ValueError(
                f"{self.name}: the model's outputs were not finite (NaN or infinite maps or losses); "
                "no explanation is returned for them"
            )
        forward, backward = result.passes or self.cost()
        return Explanation(
            attribution=normalize_per_image(result.maps.detach().float()),
            targets=targets,
            method=self.name,
            settings=dict(self.settings),
            forward_passes=forward + spent,
            backward_passes=backward,
            fixations_xy=result.fixations_xy,
            losses=result.losses,
            extras=result.extras,
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({args})"
