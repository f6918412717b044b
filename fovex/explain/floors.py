"""Reference explainers that look at no image: random noise, a centre bias, centre-biased scanpaths.

They are the floors every table is read against: a method that does not beat them explains nothing
about the image. Their maps are pure functions (:func:`random_map`, :func:`centre_bias_map`), used
by the plausibility tables too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..checks import check_float, check_int, check_seed
from ..seeding import image_generator
from . import base
from .base import Attribution, Explainer, register_explainer
from .fovex import scanpath_attribution

__all__ = [
    "CentreBaseline",
    "CentreScanpath",
    "RandomBaseline",
    "centre_bias_map",
    "random_map",
]


def centre_bias_map(shape: tuple[int, int], sigma_frac: float = 0.25) -> torch.Tensor:
    """Central Gaussian baseline map ``(H, W)`` with peak 1 at the image centre.

    ``M(r, c) = exp(-((c - cx)^2 / (2 sx^2) + (r - cy)^2 / (2 sy^2)))`` with
    ``(cx, cy) = ((W - 1) / 2, (H - 1) / 2)``, ``sx = sigma_frac * W``, ``sy = sigma_frac * H``
    (the Gaussian stretches with the image's aspect ratio). The default 0.25 is a convention,
    not a value fitted to any data set; report it with the numbers.

    Returns:
        float32 tensor ``(H, W)`` with values in (0, 1].
    """
    if sigma_frac <= 0:
        raise ValueError(f"sigma_frac must be > 0, got {sigma_frac}")
    height, width = shape
    dx = (torch.arange(width, dtype=torch.float64) - (width - 1) / 2) / (sigma_frac * width)
    dy = (torch.arange(height, dtype=torch.float64) - (height - 1) / 2) / (sigma_frac * height)
    return torch.exp(-(dy[:, None] ** 2 + dx[None, :] ** 2) / 2).float()


def random_map(shape: Sequence[int], seed: int = 0) -> torch.Tensor:
    """Baseline map of i.i.d. uniform values in [0, 1), reproducible from ``seed``.

    ``shape`` is ``(H, W)`` or ``(B, H, W)``; the generator is local, so the global torch RNG is
    untouched. Returns a float32 CPU tensor.
    """
    generator = torch.Generator().manual_seed(int(seed))
    return torch.rand(tuple(shape), generator=generator)


@dataclass(frozen=True)
class RandomSettings:
    seed: int = 42

    def __post_init__(self):
        check_seed("seed", self.seed)


@register_explainer
class RandomBaseline(Explainer):
    """Uniform noise ``U(0, 1)`` per pixel from a generator seeded by ``seed`` only: the same map for
    every image of a given size (it must not depend on the image), a different one per seed
    (:func:`random_map`). No passes."""

    name = "random"
    display_name = "random map"
    is_floor = True
    Settings = RandomSettings

    def cost(self):
        return 0, 0

    def attribute(self, images, targets) -> Attribution:
        noise = random_map(tuple(images.shape[-2:]), seed=self.config.seed)
        return Attribution(noise.to(images.device).expand(images.shape[0], -1, -1).clone())


@dataclass(frozen=True)
class CentreSettings:
    sigma: float = 0.25

    def __post_init__(self):
        check_float("sigma", self.sigma, above=0.0)


@register_explainer
class CentreBaseline(Explainer):
    """Centre bias (:func:`centre_bias_map`), ``sigma = 0.25`` of each side by default (the study asks
    only for "a central Gaussian": the width is a documented convention, not a published constant).
    No passes."""

    name = "centre"
    display_name = "centre map"
    is_floor = True
    Settings = CentreSettings

    def cost(self):
        return 0, 0

    def attribute(self, images, targets) -> Attribution:
        gauss = centre_bias_map(tuple(images.shape[-2:]), sigma_frac=self.config.sigma)
        return Attribution(gauss.to(images.device).expand(images.shape[0], -1, -1).clone())


@dataclass(frozen=True)
class CentreScanpathSettings:
    fixations: int = 10
    sigma: float = 0.25
    heatmap_s: float = 0.15
    seed: int = 42

    def __post_init__(self):
        check_int("fixations", self.fixations, minimum=1)
        check_float("sigma", self.sigma, above=0.0)
        check_float("heatmap_s", self.heatmap_s, above=0.0)
        check_seed("seed", self.seed)


@register_explainer
class CentreScanpath(Explainer):
    """A scanpath floor: ``fixations`` points drawn independently from the centre-bias density.

    Fixation ``t`` is ``(x, y) = ((W - 1) / 2 + sigma W z_x, (H - 1) / 2 + sigma H z_y)`` with
    ``z ~ N(0, 1)`` from the image's own generator, clamped into the image: the same Gaussian as
    :class:`CentreBaseline`'s map. The map is built from these fixations as FovEx builds its own
    (:func:`~fovex.explain.fovex.scanpath_attribution`, sum of foveae of ``heatmap_s``). Scanpath
    similarities to humans (and faithfulness of the map) are read against this: it knows where
    people tend to look in general, nothing about the image.
    """

    name = "centre_scanpath"
    display_name = "centre scanpath"
    is_floor = True
    Settings = CentreScanpathSettings

    def cost(self):
        return 0, 0

    def attribute(self, images, targets) -> Attribution:
        s = self.config
        height, width = images.shape[-2:]
        centre = torch.tensor([(width - 1) / 2, (height - 1) / 2])
        spread = torch.tensor([s.sigma * width, s.sigma * height])
        draws = torch.stack([torch.randn(s.fixations, 2, generator=image_generator(image, s.seed)) for image in images])
        upper = torch.tensor([width - 1.0, height - 1.0])
        fixations_xy = torch.minimum(torch.maximum(centre + spread * draws, torch.zeros(2)), upper)
        maps = scanpath_attribution(fixations_xy, height, width, heatmap_s=s.heatmap_s)
        return Attribution(maps.to(images.device), fixations_xy=fixations_xy.to(images.device))


def floor_names() -> tuple[str, ...]:
    """The registered explainers that are floors (:attr:`Explainer.is_floor`), sorted."""
    return tuple(sorted(name for name, cls in base._REGISTRY.items() if cls.is_floor))


def is_floor(key: str) -> bool:
    """Whether a method key (or a run's label equal to one) names a floor."""
    cls = base._REGISTRY.get(str(key))
    return bool(cls is not None and cls.is_floor)
