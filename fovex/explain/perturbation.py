"""Perturbation explainers: Meaningful Perturbation (an optimised blur mask) and RISE (random masks).

Batch independence: every stochastic draw (RISE masks, Meaningful-Perturbation initialisation) comes
from :func:`fovex.seeding.image_generator`, so an image gets the same map alone or in any batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..checks import check_float, check_int, check_odd_int, check_seed
from ..foveation import blur
from ..seeding import image_generator
from .base import Attribution, Explainer, register_explainer

__all__ = ["MeaningfulPerturbation", "MeaningfulPerturbationSettings", "RISE", "RiseSettings"]


def _total_variation(mask: torch.Tensor, beta: float) -> torch.Tensor:
    """``sum_u |d_row m(u)|^beta + |d_col m(u)|^beta`` per image: (B, 1, h, w) -> (B,)."""
    rows = (mask[..., 1:, :] - mask[..., :-1, :]).abs().pow(beta).flatten(1).sum(1)
    cols = (mask[..., :, 1:] - mask[..., :, :-1]).abs().pow(beta).flatten(1).sum(1)
    return rows + cols


#: The most optimisation steps of Meaningful Perturbation (published: 300) and RISE masks (published:
#: 4000-8000) a setting takes: far above any study's, far below what exhausts memory or time.
MAX_STEPS = 100_000
MAX_MASKS = 100_000


@dataclass(frozen=True)
class MeaningfulPerturbationSettings:
    """See :class:`MeaningfulPerturbation` for what each setting means and where its default comes from."""

    steps: int = 300
    lr: float = 0.1
    mask_size: int = 28
    l1: float = 1e-4
    tv: float = 1e-2
    tv_beta: float = 3.0
    blur_sigma_px: float = 10.0
    blur_kernel_px: int = 41
    mask_blur_sigma_px: float = 0.0
    init: float = 0.5
    init_noise: float = 0.1
    seed: int = 42

    def __post_init__(self):
        check_int("steps", self.steps, minimum=1, maximum=MAX_STEPS)
        check_int("mask_size", self.mask_size, minimum=2)
        check_float("lr", self.lr, above=0.0)
        for name in ("l1", "tv", "tv_beta", "init_noise", "mask_blur_sigma_px"):
            check_float(name, getattr(self, name), minimum=0.0)
        check_float("blur_sigma_px", self.blur_sigma_px, above=0.0)
        check_odd_int("blur_kernel_px", self.blur_kernel_px)
        check_float("init", self.init, minimum=0.0, maximum=1.0)
        check_seed("seed", self.seed)


@register_explainer
class MeaningfulPerturbation(Explainer):
    """Meaningful Perturbation (Fong & Vedaldi 2017), the deletion game with a blur perturbation.

    A low-resolution mask ``m`` (B, 1, s, s) in [0, 1] (1 keeps a pixel, 0 blurs it) is upsampled
    bilinearly (optionally blurred) to ``M`` at the input size, and minimises per image

        ``p_y(M * x + (1 - M) * B(x)) + l1 * sum |1 - m| + tv * sum_u |grad m(u)|^tv_beta``

    with ``p_y`` the softmax score of the target and ``B`` a Gaussian blur; Adam, one mask per image,
    the per-image losses summed (Adam is element-wise, so images do not interact), the mask clipped
    to [0, 1] after each step. Attribution: ``1 - M``, the region whose deletion kills the score.

    Defaults (the paper's implementation details, ICCV 2017): blur sigma 10 px (``blur_sigma_px``),
    a 28 x 28 mask at 224 px, ``l1 = 1e-4``, ``tv = 1e-2``, ``tv_beta = 3``, Adam ``lr = 0.1``,
    ``steps = 300``. The norms are sums over the mask's cells (the paper's notation); the blur kernel
    is truncated at 41 px like FovEx's periphery (``blur_kernel_px``).
    Not from the paper: ``init = 0.5`` (as in Fong et al. 2019's extremal perturbations: a mask of
    ones starts where a confident model's softmax is saturated and its gradient vanishes) plus
    uniform noise of +-``init_noise`` drawn from the image's own generator (``seed``), and
    ``mask_blur_sigma_px = 0`` (no extra smoothing of the upsampled mask). The paper's stochastic
    jitter of the input during optimisation is not applied, so the result is deterministic.
    Cost: ``steps`` forward and backward passes per image, plus one forward pass scoring the
    final mask (``extras['perturbed_score']``).
    """

    name = "meaningful_perturbation"
    calls_model_whole = True
    display_name = "Meaningful Perturbation"
    Settings = MeaningfulPerturbationSettings

    def cost(self):
        # ``steps`` optimisation passes, plus one forward pass scoring the final mask.
        return self.config.steps + 1, self.config.steps

    def _upsample(self, mask: torch.Tensor, size) -> torch.Tensor:
        upsampled = F.interpolate(mask, size=size, mode="bilinear", align_corners=False)
        sigma = self.config.mask_blur_sigma_px
        if sigma > 0:
            upsampled = blur(upsampled, 2 * math.ceil(3 * sigma) + 1, sigma)
        return upsampled

    def attribute(self, images, targets) -> Attribution:
        s = self.config
        size = images.shape[-2:]
        images = images.detach()
        blurred = blur(images, s.blur_kernel_px, s.blur_sigma_px)
        side = s.mask_size
        noise = torch.stack([torch.rand(1, side, side, generator=image_generator(x, s.seed)) for x in images])
        init = (s.init + s.init_noise * (2.0 * noise - 1.0)).clamp(0.0, 1.0)
        mask = init.to(images.device, images.dtype).requires_grad_(True)
        optimiser = torch.optim.Adam([mask], lr=s.lr)
        rows = torch.arange(images.shape[0], device=images.device)
        with torch.enable_grad():
            for _ in range(s.steps):
                keep = self._upsample(mask, size)
                perturbed = keep * images + (1.0 - keep) * blurred
                score = torch.softmax(self.model(perturbed), dim=1)[rows, targets]
                l1 = (1.0 - mask).abs().flatten(1).sum(1)
                loss = score + s.l1 * l1 + s.tv * _total_variation(mask, s.tv_beta)
                # Gradient w.r.t. the mask only, whatever the model's requires_grad flags.
                (mask.grad,) = torch.autograd.grad(loss.sum(), mask)
                optimiser.step()
                with torch.no_grad():
                    mask.clamp_(0.0, 1.0)
        with torch.no_grad():
            keep = self._upsample(mask, size)
            final = torch.softmax(self.model(keep * images + (1.0 - keep) * blurred), dim=1)[rows, targets]
        return Attribution(1.0 - keep[:, 0], extras={"perturbed_score": final})


#: RISE's masked images per pass on a CPU: small batches stay in cache. EfficientNet-Lite0, one
#: thread, x86_64: 4 per pass ran 2.3x the masked images/s of 50 (benchmarks/run.py --rise-batches).
RISE_CPU_BATCH = 4
#: ... and on an accelerator, which fills only at larger batches.
RISE_ACCELERATOR_BATCH = 50


@dataclass(frozen=True)
class RiseSettings:
    """``masks`` N, ``cells`` (grid side), ``p1`` (probability a cell is on), ``batch_size`` (masked
    images per forward pass: memory and speed only; None: :data:`RISE_CPU_BATCH` on a CPU,
    :data:`RISE_ACCELERATOR_BATCH` elsewhere), ``seed``."""

    masks: int = 4000
    cells: int = 7
    p1: float = 0.5
    batch_size: int | None = None
    seed: int = 42

    def __post_init__(self):
        check_int("masks", self.masks, minimum=1, maximum=MAX_MASKS)  # drawn up front: memory grows with them
        for name in ("cells",) + (("batch_size",) if self.batch_size is not None else ()):
            check_int(name, getattr(self, name), minimum=1)
        check_float("p1", self.p1, above=0.0, maximum=1.0)
        check_seed("seed", self.seed)


@register_explainer
class RISE(Explainer):
    """RISE (Petsiuk, Das & Saenko, BMVC 2018).

    ``N`` binary grids of ``cells x cells`` cells, each on with probability ``p1``, upsampled
    bilinearly to ``(cells + 1) * ceil(H / cells)`` pixels and cropped at a random shift in
    ``[0, cell)`` (the paper's smooth masks ``M_i``). Saliency:
    ``S = sum_i p_y(x * M_i) M_i / (N * p1)`` with ``p_y`` the target's softmax score.

    Defaults (the paper's ResNet-50 setting): ``masks = 4000``, ``cells = 7``, ``p1 = 0.5``.
    Masks come from the image's own generator (``seed`` and the image's digest), so each image has
    its own masks, the same in any batch. Cost: ``masks`` forward passes per image.
    """

    name = "rise"
    calls_model_whole = True
    display_name = "RISE"
    Settings = RiseSettings

    def cost(self):
        return self.config.masks, 0

    def _masks(self, grids: torch.Tensor, shifts: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """(n, cells, cells) binary grids and (n, 2) (row, col) shifts -> (n, 1, height, width), on their device."""
        cells = grids.shape[-1]
        cell_h, cell_w = math.ceil(height / cells), math.ceil(width / cells)
        size = ((cells + 1) * cell_h, (cells + 1) * cell_w)
        up = F.interpolate(grids[:, None], size=size, mode="bilinear", align_corners=False)
        device = grids.device
        rows = shifts[:, :1] + torch.arange(height, device=device)  # (n, height)
        cols = shifts[:, 1:] + torch.arange(width, device=device)  # (n, width)
        picked = up[torch.arange(len(up), device=device)[:, None, None], 0, rows[:, :, None], cols[:, None, :]]
        return picked[:, None]

    def attribute(self, images, targets) -> Attribution:
        s = self.config
        height, width = images.shape[-2:]
        cell_h, cell_w = math.ceil(height / s.cells), math.ceil(width / s.cells)
        saliency = torch.zeros(images.shape[0], height, width, device=images.device)
        batch_size = s.batch_size or (RISE_CPU_BATCH if images.device.type == "cpu" else RISE_ACCELERATOR_BATCH)
        with torch.no_grad():
            for b, image in enumerate(images):
                generator = image_generator(image, s.seed)
                # All draws up front, so batch_size changes memory use but never the masks.
                grids = (torch.rand(s.masks, s.cells, s.cells, generator=generator) < s.p1).float()
                row_shifts = torch.randint(0, cell_h, (s.masks,), generator=generator)
                col_shifts = torch.randint(0, cell_w, (s.masks,), generator=generator)
                shifts = torch.stack([row_shifts, col_shifts], dim=1)
                # Drawn on the CPU (the image's generator), moved once; every mask is made on the device.
                grids, shifts = grids.to(images.device), shifts.to(images.device)
                for start in range(0, s.masks, batch_size):
                    stop = start + batch_size
                    masks = self._masks(grids[start:stop], shifts[start:stop], height, width).to(images.dtype)
                    scores = torch.softmax(self.model(image[None] * masks), dim=1)[:, targets[b]]
                    saliency[b] += torch.einsum("n,nhw->hw", scores.float(), masks[:, 0].float())
        return Attribution(saliency / (s.masks * s.p1))
