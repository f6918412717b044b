"""FovEx: a NeVA scanpath turned into an attribution map (book/spec.md §1.3), and the map builders it shares.

:func:`scanpath_heatmap` turns normalised fixations into a raw heat map; :func:`scanpath_attribution`
rebuilds normalised maps from stored pixel scanpaths (replays, ablations, other scanpath explainers).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checks import check_choice, check_float
from ..foveation import gaussian_fovea, normalized_to_pixels, pixels_to_normalized
from ..neva import NevaSettings, neva_scanpaths
from .base import Attribution, Explainer, normalize_per_image, register_explainer

__all__ = [
    "AGGREGATIONS",
    "PRESETS",
    "FovEx",
    "FovExSettings",
    "loss_drops",
    "scanpath_attribution",
    "scanpath_heatmap",
]

AGGREGATIONS = ("sum", "max", "loss_weighted")


def scanpath_heatmap(
    fixations: torch.Tensor,
    height: int,
    width: int,
    heatmap_s: float = 0.15,
    aggregation: str = "sum",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Scanpath -> raw heat map (book/spec.md §1.3), before normalisation.

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
        as_float = torch.as_tensor
        drops = loss_drops(as_float(losses, dtype=torch.float32), as_float(blurred_loss, dtype=torch.float32))
        weights = drops[:, :upto]
    return normalize_per_image(scanpath_heatmap(fixations, height, width, heatmap_s, aggregation, weights))


# Named settings. "published": book/spec.md §1.4. "fast": T x K = 6 x 8 = 48 passes instead of 10 x 20 = 200 (4.2x
# fewer), chosen among six ~50-pass candidates by insertion/deletion AUCs against the published setting on
# the first 100 photos of ../shared/data/imagenet-sample (EfficientNet-Lite0, the RISE protocol with the
# differences named on book/methods.md, the older insertion substrate, paired bootstrap):
#   T6 K8   insertion -0.6 % (95 % CI -1.9..+0.8)  deletion +0.4 % (-6.7..+7.4)
#   T5 K10  -0.5 % / +3.7 %;  T7 K7 -1.3 % / -0.5 %;  T8 K6 -2.2 % / -1.5 %;  T10 K5 -2.8 % / +1.1 %
#   (K x lr = 0.5 reaches only half-way to the border); T10 K5 lr 0.2 -1.0 % / +3.7 %.
# On more photos the fast preset loses insertion: the study's comparisons (configs/study/fast-vs-published.yaml,
# configs/fast-vs-published.yaml) are judged in the book's cost chapter and in README.md (a generated part).
PRESETS = {
    "published": {},
    "fast": {"fixations": 6, "steps": 8},
}


@dataclass(frozen=True)
class FovExSettings(NevaSettings):
    """The :class:`~fovex.neva.NevaSettings` fields, plus the heat map's: ``heatmap_s`` (width of each
    fixation's Gaussian, as ``fovea_s``) and ``aggregation`` (``"sum"``, published; ``"max"``;
    ``"loss_weighted"``), and the ``preset`` whose defaults were used."""

    heatmap_s: float = 0.15
    aggregation: str = "sum"
    preset: str = "published"

    def __post_init__(self):
        super().__post_init__()
        check_choice("aggregation", self.aggregation, AGGREGATIONS)
        check_float("heatmap_s", self.heatmap_s, above=0.0)
        check_choice("preset", self.preset, tuple(PRESETS))

    def neva(self) -> NevaSettings:
        """The scanpath search's part of the settings."""
        names = NevaSettings.__dataclass_fields__
        return NevaSettings(**{name: getattr(self, name) for name in names})


@register_explainer
class FovEx(Explainer):
    """FovEx: a NeVA scanpath turned into an attribution map.

    Settings (:class:`FovExSettings`; published defaults, book/spec.md §1.4): ``fixations=10, steps=20,
    lr=0.1, fovea_s=0.15, blur_kernel_px=41, blur_sigma_px=10, forgetting=0.1, restarts=True,
    seed=42``, ``heatmap_s=0.15``, ``aggregation="sum"``. ``preset`` (``"published"`` or ``"fast"``,
    see :data:`PRESETS`) supplies defaults that explicit settings override. ``"fast"`` (4.2x fewer passes)
    loses insertion AUC at the N its comparison reached; the book's cost chapter gives the measured numbers.
    """

    name = "fovex"
    display_name = "FovEx"
    Settings = FovExSettings
    presets = PRESETS
    calls_model_whole = True

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        self.neva = self.config.neva()
        self.heatmap_s = self.config.heatmap_s
        self.aggregation = self.config.aggregation
        self.autocast = self.neva.autocast

    def cost(self) -> tuple[int, int]:
        return self.neva.fixations * self.neva.steps + 1, self.neva.fixations * self.neva.steps

    def attribute(self, images, targets) -> Attribution:
        height, width = images.shape[-2:]
        scanpaths = neva_scanpaths(self.model, images, targets, self.neva)
        weights = loss_drops(scanpaths.losses, scanpaths.blurred_loss)
        heatmap = scanpath_heatmap(scanpaths.fixations, height, width, self.heatmap_s, self.aggregation, weights)
        return Attribution(
            heatmap,
            fixations_xy=normalized_to_pixels(scanpaths.fixations.float(), height, width),
            losses=scanpaths.losses,
            extras={"blurred_loss": scanpaths.blurred_loss},
            passes=(scanpaths.forward_passes, scanpaths.backward_passes),
        )
