"""NeVA scanpath optimisation (book/spec.md §1.2), batched over images.

For each of ``T`` fixations, ``p`` starts at the image centre and takes ``K`` signed-gradient steps
``p <- clamp(p - lr * sign(dL/dp), -1, 1)`` on the cross-entropy ``L`` of the model's output on the
foveated image against the target class. The best position seen (lowest loss) becomes the fixation;
the memory is then updated ``M <- forgetting * M + G(p_best)``.

When a step does not improve an image's best loss, that image's next position is re-drawn uniformly
in ``[-1, 1]^2`` (``restarts=True``, as published for FovEx) or the step is jittered by
``U(-lr/2, lr/2)`` per coordinate (``restarts=False``).

Differences from the published code (book/spec.md §1.5), all deliberate:
- the loss measured at ``p_k`` is booked against ``p_k`` itself (the published code books it against
  ``p_{k+1}``);
- every image has its own best loss, restarts and memory, so B images optimise in parallel exactly as
  they would alone; random draws come from per-image generators (:mod:`fovex.seeding`);
- positions are clamped to the image; any device and dtype.

Cost: ``T * K`` forward+backward passes per image (200 at published settings), plus one forward pass
on the fully blurred image whose loss is the reference for the first fixation's loss drop.
Gradients are taken w.r.t. ``p`` only. Everything that does not depend on ``p`` is computed once per
batch before the step loop (:func:`scanpath_steps`): the blurred images and their difference to the
images, the pixel grid of the fovea, every random number. The step loop itself has no host
synchronisation: nothing in it reads a tensor's value back (it runs on the ``meta`` device, which has no
values), so a GPU queues the T x K steps without waiting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from .checks import check_bool, check_choice, check_float, check_int, check_odd_int, check_seed
from .foveation import blur, blur_mask, fovea_grid, foveate_detail, gaussian_fovea
from .seeding import image_generators

__all__ = ["NevaSettings", "Scanpaths", "neva_scanpaths", "scanpath_steps"]


#: The most fixations (T) and steps per fixation (K) a scanpath takes.
MAX_FIXATIONS = 1_000
MAX_STEPS = 10_000


@dataclass(frozen=True)
class NevaSettings:
    """Published FovEx settings (book/spec.md §1.4).

    fixations: T, fixations per scanpath. steps: K, gradient steps per fixation. lr: step length in
    normalised units (0.1 = 5 % of the image side). fovea_s: divisor ``s`` of the fovea exponent.
    blur_kernel_px, blur_sigma_px: peripheral blur, in pixels of the input. forgetting: memory decay
    ``f``. restarts: re-draw non-improving positions (else jitter). seed: with the image digest,
    seeds each image's generator. autocast: run the model under ``torch.autocast`` in this dtype
    (``"bfloat16"`` or ``"float16"``; speed on GPUs); positions, masks and losses stay in the images' dtype.
    """

    fixations: int = 10
    steps: int = 20
    lr: float = 0.1
    fovea_s: float = 0.15
    blur_kernel_px: int = 41
    blur_sigma_px: float = 10.0
    forgetting: float = 0.1
    restarts: bool = True
    seed: int = 42
    autocast: str | None = None

    def __post_init__(self):
        check_choice("autocast", self.autocast, (None, "bfloat16", "float16"))
        # Caps far above any study's (T=10, K=20), below what exhausts memory: the random draws alone are
        # T x K x 2 doubles per image, drawn up front (steps=10**9 was a crash, not a slow run).
        check_int("fixations", self.fixations, minimum=1, maximum=MAX_FIXATIONS)
        check_int("steps", self.steps, minimum=1, maximum=MAX_STEPS)
        check_float("lr", self.lr, above=0.0)
        check_float("fovea_s", self.fovea_s, above=0.0)
        check_odd_int("blur_kernel_px", self.blur_kernel_px)
        check_float("blur_sigma_px", self.blur_sigma_px, above=0.0)
        check_float("forgetting", self.forgetting, minimum=0.0, maximum=1.0)
        check_bool("restarts", self.restarts)
        check_seed("seed", self.seed)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Scanpaths:
    """NeVA's output for a batch.

    fixations: (B, T, 2) normalised ``(row, col)`` in [-1, 1]. losses: (B, T) best loss of each
    fixation. blurred_loss: (B,) loss on the fully blurred image (no fixation yet).
    forward_passes, backward_passes: per image.
    """

    fixations: torch.Tensor
    losses: torch.Tensor
    blurred_loss: torch.Tensor
    forward_passes: int
    backward_passes: int


def _per_image_loss(model, images: torch.Tensor, targets: torch.Tensor, autocast: str | None = None) -> torch.Tensor:
    if autocast is None:
        logits = model(images)
    else:
        with torch.autocast(images.device.type, dtype=getattr(torch, autocast)):
            logits = model(images)
    return F.cross_entropy(logits.float(), targets, reduction="none")


def neva_scanpaths(
    model: torch.nn.Module, images: torch.Tensor, targets: torch.Tensor, settings: NevaSettings = NevaSettings()
) -> Scanpaths:
    """Optimise one scanpath per image. images (B, 3, H, W) in [0, 1]; targets (B,) class indices."""
    if images.ndim != 4:
        raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
    device, dtype = images.device, images.dtype
    T, K = settings.fixations, settings.steps
    targets = targets.to(device=device, dtype=torch.long)

    # Every random number this batch will need, drawn per image on the CPU and moved once.
    draws = torch.stack(
        [torch.rand(T, K, 2, generator=g, dtype=torch.float64) for g in image_generators(images, settings.seed)]
    ).to(device=device, dtype=dtype)

    with torch.no_grad():
        blurred = blur(images, settings.blur_kernel_px, settings.blur_sigma_px)
        blurred_loss = _per_image_loss(model, blurred, targets, settings.autocast)
    fixations, losses = scanpath_steps(model, images, blurred, targets, draws, settings)
    return Scanpaths(
        fixations=fixations,
        losses=losses,
        blurred_loss=blurred_loss.float(),
        forward_passes=T * K + 1,
        backward_passes=T * K,
    )


def scanpath_steps(
    model: torch.nn.Module,
    images: torch.Tensor,
    blurred: torch.Tensor,
    targets: torch.Tensor,
    draws: torch.Tensor,
    settings: NevaSettings,
) -> tuple[torch.Tensor, torch.Tensor]:
    """NeVA's T x K step loop: ``(fixations (B, T, 2), losses (B, T))``.

    ``blurred``: the images' peripheral blur; ``draws``: (B, T, K, 2) uniform [0, 1) numbers, one pair per
    step (restarts or jitter), in the images' dtype and device. Only tensor operations of fixed shapes:
    no value is read back to the host, so on a GPU the loop never waits for the device.
    """
    batch, _, height, width = images.shape
    device, dtype = images.device, images.dtype
    if settings.restarts:
        redraws = draws * 2.0 - 1.0  # U(-1, 1): a fresh position anywhere in the image
    else:
        jitters = (draws - 0.5) * settings.lr  # U(-lr/2, lr/2): a nudge off the signed-gradient step
    with torch.no_grad():
        blur_detail = blurred - images  # the foveated image is images + mask * blur_detail
    grid = fovea_grid(height, width, device, dtype)
    memory = torch.zeros(batch, height, width, device=device, dtype=dtype)
    fixations = torch.empty(batch, settings.fixations, 2, device=device, dtype=dtype)
    losses = torch.empty(batch, settings.fixations, device=device, dtype=torch.float32)

    for t in range(settings.fixations):
        position = torch.zeros(batch, 2, device=device, dtype=dtype)
        best_position = position.clone()
        best_loss = torch.full((batch,), float("inf"), device=device, dtype=torch.float32)
        for k in range(settings.steps):
            position.requires_grad_(True)
            fovea = gaussian_fovea(position, height, width, settings.fovea_s, grid=grid)
            foveated = foveate_detail(images, blur_detail, blur_mask(memory, fovea))
            loss = _per_image_loss(model, foveated, targets, settings.autocast)
            # Images are independent in the batch (eval mode), so d(sum of losses)/dp_b = dL_b/dp_b.
            (gradient,) = torch.autograd.grad(loss.sum(), position)
            position = position.detach()
            loss = loss.detach()
            improved = loss < best_loss
            best_loss = torch.where(improved, loss, best_loss)
            best_position = torch.where(improved[:, None], position, best_position)
            stepped = position - settings.lr * gradient.sign()
            if settings.restarts:
                position = torch.where(improved[:, None], stepped, redraws[:, t, k])
            else:
                position = torch.where(improved[:, None], stepped, stepped + jitters[:, t, k])
            position = position.clamp(-1.0, 1.0)
        fixations[:, t] = best_position
        losses[:, t] = best_loss
        memory = settings.forgetting * memory + gaussian_fovea(
            best_position, height, width, settings.fovea_s, grid=grid
        )
    return fixations, losses
