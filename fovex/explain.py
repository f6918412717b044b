"""Explainers: one base class, one registry, one output convention.

Every explainer maps ``images`` (B, 3, H, W) in [0, 1] and optional ``targets`` to an
:class:`Explanation` whose ``attribution`` is (B, H, W) in [0, 1], min-max normalised per image, at
the input resolution. FovEx is registered as ``"fovex"``; the baselines live in
:mod:`fovex.baselines`.
"""
from __future__ import annotations

import difflib
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import torch

from .checks import check_choice, check_float
from .foveation import gaussian_fovea, normalized_to_pixels, pixels_to_normalized
from .neva import NevaSettings, neva_scanpaths

__all__ = [
    "Explainer",
    "Explanation",
    "FovEx",
    "explainer",
    "explainers",
    "normalize_per_image",
    "register_explainer",
    "resolve_targets",
    "scanpath_attribution",
    "scanpath_heatmap",
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

    def __getitem__(self, index) -> "Explanation":
        """A sub-batch (int, slice or index tensor); an int keeps the batch dimension."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)

        def pick(value):
            return value[index] if isinstance(value, torch.Tensor) else value

        return replace(
            self,
            attribution=self.attribution[index],
            targets=self.targets[index],
            fixations_xy=pick(self.fixations_xy),
            losses=pick(self.losses),
            extras={key: pick(value) for key, value in self.extras.items()},
        )

    def to(self, device) -> "Explanation":
        def move(value):
            return value.to(device) if isinstance(value, torch.Tensor) else value

        return replace(
            self,
            attribution=move(self.attribution),
            targets=move(self.targets),
            fixations_xy=move(self.fixations_xy),
            losses=move(self.losses),
            extras={key: move(value) for key, value in self.extras.items()},
        )


def normalize_per_image(maps: torch.Tensor) -> torch.Tensor:
    """Min-max normalise each map of (B, H, W) to [0, 1]; a constant map becomes all zeros."""
    flat = maps.flatten(1)
    low = flat.min(dim=1).values[:, None, None]
    high = flat.max(dim=1).values[:, None, None]
    span = high - low
    return torch.where(span > 0, (maps - low) / span.clamp_min(torch.finfo(maps.dtype).tiny), torch.zeros_like(maps))


def resolve_targets(model, images: torch.Tensor, targets=None) -> tuple[torch.Tensor, int]:
    """Targets as a (B,) LongTensor on the images' device, and the forward passes spent on them.

    ``None``: the model's top-1 class on each clean image (one forward pass). An int, a class name
    (from ``model.class_names``) or a sequence of either, one per image, are taken as given.
    """
    batch = images.shape[0]
    if targets is None:
        with torch.no_grad():
            logits = model(images)
        if not bool(torch.isfinite(logits).all()):
            raise ValueError("the model returned NaN or infinite logits; there is no top-1 class to explain")
        return logits.argmax(dim=1), 1
    if isinstance(targets, (int, str)):
        targets = [targets] * batch
    if isinstance(targets, torch.Tensor):
        targets = targets.reshape(-1).tolist() if targets.ndim <= 1 else None
        if targets is None:
            raise ValueError("targets must be a 1-D tensor of class indices")
    targets = [_class_index(model, target) for target in targets]
    if len(targets) != batch:
        raise ValueError(f"got {len(targets)} targets for {batch} images")
    return torch.tensor(targets, dtype=torch.long, device=images.device), 0


def _class_index(model, target) -> int:
    """A class index from an index or a class name; ambiguous names and non-integers are refused."""
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
        close = difflib.get_close_matches(target.lower(), [name.lower() for name in names], n=3, cutoff=0.6)
        lowered = [name.lower() for name in names]
        hint = "; did you mean " + ", ".join(f"{names[lowered.index(c)]!r} ({lowered.index(c)})" for c in close) + "?" if close else ""
        raise ValueError(f"unknown class name {target!r}{hint}")
    return matches[0]


#: Smallest image side the explainers accept (the models' strided stems need at least this much).
MIN_IMAGE_PX = 32
#: How far outside [0, 1] a pixel may be (resampling overshoot) before the images are refused.
PIXEL_TOLERANCE = 1e-3


def _check_images(images: torch.Tensor, model=None) -> torch.Tensor:
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
    low, high = float(images.min()), float(images.max())
    if low < -PIXEL_TOLERANCE or high > 1 + PIXEL_TOLERANCE:
        hint = " (0..255 pixels? divide by 255)" if high > 1.5 else ""
        raise ValueError(f"images must lie in [0, 1] (pixel space; the model normalises), got [{low:.4g}, {high:.4g}]{hint}")
    parameter = next(iter(model.parameters()), None) if isinstance(model, torch.nn.Module) else None
    if parameter is not None and parameter.is_floating_point() and images.dtype != parameter.dtype:
        images = images.to(parameter.dtype)  # float64 / float16 photos are explained in the model's dtype
    return images


# --- registry ----------------------------------------------------------------------------------

_EXPLAINERS: dict[str, type["Explainer"]] = {}


def register_explainer(cls: type["Explainer"]) -> type["Explainer"]:
    _EXPLAINERS[cls.name] = cls
    return cls


def explainers() -> list[str]:
    """Registered explainer names."""
    from . import baselines  # noqa: F401  (registers the baselines)

    return sorted(_EXPLAINERS)


def explainer(name: str, model, **settings) -> "Explainer":
    """Build a registered explainer for ``model``."""
    available = explainers()
    if name not in _EXPLAINERS:
        raise ValueError(f"unknown explainer {name!r}; available: {', '.join(available)}")
    return _EXPLAINERS[name](model, **settings)


class Explainer:
    """Base class: subclasses set ``name`` and implement :meth:`attribute`.

    ``attribute(images, targets)`` returns the raw maps (B, H, W) (any range) and a dict of extra
    :class:`Explanation` fields (``fixations_xy``, ``losses``, ``extras``, and ``passes`` =
    (forward, backward) when the cost is only known after the run); ``cost()`` gives the cost per
    image otherwise.
    """

    name: ClassVar[str] = ""
    #: dtype the model runs in under ``torch.autocast`` (None: the images' dtype); benchmarks time the floor alike.
    autocast: str | None = None

    def __init__(self, model, **settings):
        self.model = model
        self.settings = settings

    def attribute(self, images: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def cost(self) -> tuple[int, int]:
        """(forward, backward) passes per image, excluding target selection."""
        raise NotImplementedError

    def explain(self, images: torch.Tensor, targets=None) -> Explanation:
        images = _check_images(images, self.model)
        targets, target_passes = resolve_targets(self.model, images, targets)
        raw, fields = self.attribute(images, targets)
        losses = fields.get("losses")
        if not bool(torch.isfinite(raw).all()) or (losses is not None and not bool(torch.isfinite(losses).all())):
            raise ValueError(f"{self.name}: the model's outputs were not finite (NaN or infinite maps or losses); "
                             "no explanation is returned for them")  # fmt: skip
        forward, backward = fields.pop("passes", None) or self.cost()
        return Explanation(
            attribution=normalize_per_image(raw.detach().float()),
            targets=targets,
            method=self.name,
            settings=dict(self.settings),
            forward_passes=forward + target_passes,
            backward_passes=backward,
            **fields,
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({args})"


# --- FovEx -------------------------------------------------------------------------------------

AGGREGATIONS = ("sum", "max", "loss_weighted")


def scanpath_heatmap(
    fixations: torch.Tensor,
    height: int,
    width: int,
    heatmap_s: float = 0.15,
    aggregation: str = "sum",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Scanpath -> raw heat map (SPEC §1.3), before normalisation.

    fixations: (B, T, 2) normalised ``(row, col)``. Each fixation contributes
    ``G_t = exp(-d^2 / heatmap_s)``.
    - ``"sum"``: ``H = sum_t G_t`` (published).
    - ``"max"``: ``H = max_t G_t`` per pixel.
    - ``"loss_weighted"``: ``H = sum_t w_t G_t`` with ``weights`` (B, T) >= 0 (e.g. each fixation's
      drop of the loss); an image whose weights are all zero falls back to equal weights.
    Returns (B, height, width).
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
    batch, steps, _ = fixations.shape
    foveae = gaussian_fovea(fixations.reshape(-1, 2), height, width, heatmap_s).view(batch, steps, height, width)
    if aggregation == "max":
        return foveae.amax(dim=1)
    if aggregation == "sum":
        return foveae.sum(dim=1)
    if weights is None:
        raise ValueError("aggregation='loss_weighted' needs weights (B, T)")
    weights = weights.to(foveae.dtype).clamp_min(0.0)
    weights = torch.where(weights.sum(1, keepdim=True) > 0, weights, torch.ones_like(weights))
    return torch.einsum("bt,bthw->bhw", weights, foveae)


def loss_drops(losses: torch.Tensor, blurred_loss: torch.Tensor) -> torch.Tensor:
    """How much each fixation lowered the loss: ``max(0, L_{t-1} - L_t)`` with ``L_0`` the blurred image's."""
    previous = torch.cat([blurred_loss[:, None], losses[:, :-1]], dim=1)
    return (previous - losses).clamp_min(0.0)


def scanpath_attribution(
    fixations_xy: torch.Tensor,
    height: int,
    width: int,
    heatmap_s: float = 0.15,
    aggregation: str = "sum",
    losses: torch.Tensor | None = None,
    blurred_loss: torch.Tensor | None = None,
    upto: int | None = None,
) -> torch.Tensor:
    """Rebuild normalised FovEx maps (B, H, W) from stored pixel scanpaths (B, T, 2).

    ``upto`` keeps the first fixations only (a replay, or the "number of fixations" ablation);
    ``aggregation="loss_weighted"`` needs the stored ``losses`` (B, T) and ``blurred_loss`` (B,).
    With the explainer's own settings and ``upto=None`` this gives back its attribution.
    """
    fixations_xy = torch.as_tensor(fixations_xy, dtype=torch.float32)
    steps = fixations_xy.shape[1]
    upto = steps if upto is None else upto
    if not 1 <= upto <= steps:
        raise ValueError(f"upto must be in 1..{steps}, got {upto}")
    fixations = pixels_to_normalized(fixations_xy, height, width)[:, :upto]
    weights = None
    if aggregation == "loss_weighted":
        if losses is None or blurred_loss is None:
            raise ValueError("aggregation='loss_weighted' needs the scanpath's losses and blurred_loss")
        drops = loss_drops(torch.as_tensor(losses, dtype=torch.float32), torch.as_tensor(blurred_loss, dtype=torch.float32))
        weights = drops[:, :upto]
    return normalize_per_image(scanpath_heatmap(fixations, height, width, heatmap_s, aggregation, weights))


# Named settings. "published": SPEC §1.4. "fast": T x K = 6 x 8 = 48 passes instead of 10 x 20 = 200 (4.2x
# fewer), chosen among six ~50-pass candidates by insertion/deletion AUCs against the published setting on
# the first 100 photos of ../shared/data/imagenet-sample (EfficientNet-Lite0, exact RISE protocol, paired
# bootstrap; the book's cost chapter shows the full measurement):
#   T6 K8   insertion -0.6 % (95 % CI -1.9..+0.8)  deletion +0.4 % (-6.7..+7.4)
#   T5 K10  -0.5 % / +3.7 %;  T7 K7 -1.3 % / -0.5 %;  T8 K6 -2.2 % / -1.5 %;  T10 K5 -2.8 % / +1.1 %
#   (K x lr = 0.5 reaches only half-way to the border); T10 K5 lr 0.2 -1.0 % / +3.7 %.
PRESETS = {
    "published": {},
    "fast": {"fixations": 6, "steps": 8},
}


@register_explainer
class FovEx(Explainer):
    """FovEx: a NeVA scanpath turned into an attribution map.

    Settings (published defaults, SPEC §1.4): the :class:`~fovex.neva.NevaSettings` fields
    (``fixations=10, steps=20, lr=0.1, fovea_s=0.15, blur_kernel_px=41, blur_sigma_px=10,
    forgetting=0.1, restarts=True, seed=42``), plus ``heatmap_s=0.15`` and
    ``aggregation="sum"`` (or ``"max"``, ``"loss_weighted"``). ``preset`` (``"published"`` or
    ``"fast"``, see :data:`PRESETS`) supplies defaults that explicit settings override.
    """

    name = "fovex"

    def __init__(self, model, heatmap_s: float = 0.15, aggregation: str = "sum", preset: str = "published",
                 **neva_settings):  # fmt: skip
        check_choice("aggregation", aggregation, AGGREGATIONS)
        check_float("heatmap_s", heatmap_s, above=0.0)
        check_choice("preset", preset, tuple(PRESETS))
        self.neva = NevaSettings(**{**PRESETS[preset], **neva_settings})
        super().__init__(model, **self.neva.as_dict(), heatmap_s=heatmap_s, aggregation=aggregation, preset=preset)
        self.heatmap_s = heatmap_s
        self.aggregation = aggregation
        self.autocast = self.neva.autocast

    def cost(self) -> tuple[int, int]:
        return self.neva.fixations * self.neva.steps + 1, self.neva.fixations * self.neva.steps

    def attribute(self, images, targets):
        height, width = images.shape[-2:]
        scanpaths = neva_scanpaths(self.model, images, targets, self.neva)
        heatmap = scanpath_heatmap(
            scanpaths.fixations,
            height,
            width,
            self.heatmap_s,
            self.aggregation,
            weights=loss_drops(scanpaths.losses, scanpaths.blurred_loss),
        )
        fields = {
            "fixations_xy": normalized_to_pixels(scanpaths.fixations.float(), height, width),
            "losses": scanpaths.losses,
            "extras": {"blurred_loss": scanpaths.blurred_loss},
            "passes": (scanpaths.forward_passes, scanpaths.backward_passes),
        }
        return heatmap, fields
