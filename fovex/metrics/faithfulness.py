"""Faithfulness: does the model's score follow the attribution map? (SPEC §2.1)

- :func:`average_drop_increase`: %Drop and %Increase (Chattopadhyay et al. 2018).
- :func:`insertion_deletion`: RISE deletion / insertion curves and their AUCs (Petsiuk et al. 2018).

Conventions: images ``(B, C, H, W)`` float in [0, 1] pixel space; attributions ``(B, H, W)`` at
the images' resolution (upsample before calling); targets ``(B,)`` integer class indices. The
model maps pixel-space images to logits ``(B, num_classes)`` and normalises internally. All work
happens on the images' device and dtype, under ``torch.no_grad``; the model's train/eval mode is
left as the caller set it (call ``model.eval()`` first for deterministic scores).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence, Union

import torch
import torch.nn.functional as F

from ..foveation import blur
from ._utils import check_finite, to_tensor

__all__ = [
    "DropIncreaseResult",
    "PerturbationCurve",
    "InsertionDeletionResult",
    "average_drop_increase",
    "insertion_deletion",
    "rise_blur",
    "rise_blur_kernel",
    "resolve_substrate",
    "SUBSTRATE_NAMES",
    "RISE_STEPS",
    "RISE_BLUR_KERNEL",
    "RISE_BLUR_SIGMA",
]

#: Steps of the RISE protocol: 224 px per step at 224 x 224, i.e. 224 steps and 225 scores.
RISE_STEPS = 224
#: Insertion substrate of RISE: an 11 x 11 kernel from a unit impulse smoothed at sigma 5 px.
RISE_BLUR_KERNEL = 11
RISE_BLUR_SIGMA = 5.0

#: Named substrates of :func:`resolve_substrate`.
SUBSTRATE_NAMES = ("mean", "zeros", "rise-blur", "gaussian-reflect")

#: Substrate specification: a name, a constant, a tensor broadcastable to the images, or a callable.
Substrate = Union[str, float, torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]


# ----------------------------------------------------------------------------- input checks


def _check_inputs(images: Any, attributions: Any, targets: Any):
    images = to_tensor(images, "images")
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"images must be a float tensor (B, C, H, W), got {images.dtype} {tuple(images.shape)}")
    batch, _, height, width = images.shape
    maps = to_tensor(attributions, "attributions").to(images.device)
    if maps.shape != (batch, height, width):
        raise ValueError(
            f"attributions shape {tuple(maps.shape)} must be (B, H, W) = {(batch, height, width)} "
            "(one map per image at the image's resolution)"
        )
    # Keep the maps' own precision for ranking: casting to half images' dtype would merge ranks.
    maps = maps if maps.is_floating_point() else maps.to(torch.float32)
    check_finite(images, "images")
    check_finite(maps, "attributions")
    targets = to_tensor(targets, "targets").to(images.device)
    if targets.shape != (batch,) or targets.is_floating_point() or targets.dtype == torch.bool:
        raise ValueError(f"targets must be an integer tensor of shape ({batch},), got {targets.dtype} {tuple(targets.shape)}")
    return images, maps, targets.long()


def _class_scores(model: Callable, images: torch.Tensor, targets: torch.Tensor, score: str) -> torch.Tensor:
    logits = model(images)
    if logits.ndim != 2 or logits.shape[0] != images.shape[0]:
        raise ValueError(f"model must return logits (B, num_classes), got shape {tuple(logits.shape)}")
    logits = logits.float()  # softmax of half-precision logits loses the small probabilities
    if score == "softmax":
        logits = logits.softmax(dim=1)
    return logits.gather(1, targets.view(-1, 1)).squeeze(1)


def _check_score(score: str) -> None:
    if score not in ("softmax", "logit"):
        raise ValueError(f"score must be 'softmax' or 'logit', got {score!r}")


# ----------------------------------------------------------------------------- %Drop / %Increase


@dataclass
class DropIncreaseResult:
    """Per-image scores and the aggregates of Average Drop / Increase in Confidence.

    Attributes:
        score_original: softmax score Y of the target class on the clean image, ``(B,)``.
        score_masked: softmax score O on the image multiplied by its map, ``(B,)``.
        drop_pct: ``max(0, Y - O) / Y * 100`` per image, ``(B,)``.
        increase: ``O > Y`` per image, bool ``(B,)``.
        average_drop_pct: mean of ``drop_pct`` (%Drop; lower is better).
        increase_pct: percentage of images with ``O > Y`` (%Increase; higher is better).
    """

    score_original: torch.Tensor
    score_masked: torch.Tensor
    drop_pct: torch.Tensor
    increase: torch.Tensor
    average_drop_pct: float
    increase_pct: float


def average_drop_increase(
    model: Callable,
    images: torch.Tensor,
    attributions: torch.Tensor,
    targets: torch.Tensor,
    batch_size: int = 64,
) -> DropIncreaseResult:
    """Average Drop (%Drop) and Increase in Confidence (%Increase), SPEC §2.1.

    With ``Y_i`` the softmax score of target ``c_i`` on image ``x_i`` and ``O_i`` the score on
    ``x_i * A_i`` (map broadcast over channels, pixel space)::

        %Drop     = (1/B) sum_i max(0, Y_i - O_i) / Y_i * 100
        %Increase = (1/B) sum_i [O_i > Y_i] * 100

    Args:
        model: callable, pixel-space images ``(b, C, H, W)`` -> logits ``(b, num_classes)``.
        images: ``(B, C, H, W)`` in [0, 1].
        attributions: ``(B, H, W)`` in [0, 1] (values outside by more than 1e-6 raise).
        targets: ``(B,)`` class indices.
        batch_size: images per forward pass.
    """
    images, maps, targets = _check_inputs(images, attributions, targets)
    if bool((maps < -1e-6).any()) or bool((maps > 1 + 1e-6).any()):
        raise ValueError("attributions must lie in [0, 1] for %Drop (they multiply the image)")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    maps = maps.clamp(0, 1).to(images.dtype)
    original, masked = [], []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            chunk = slice(start, start + batch_size)
            original.append(_class_scores(model, images[chunk], targets[chunk], "softmax"))
            masked.append(_class_scores(model, images[chunk] * maps[chunk, None], targets[chunk], "softmax"))
    y, o = torch.cat(original), torch.cat(masked)
    # Y can underflow to 0 in float32 for hopeless targets; the drop is then 0 (nothing to lose).
    drop_pct = torch.where(y > 0, (y - o).clamp(min=0) / y.clamp(min=torch.finfo(y.dtype).tiny) * 100, torch.zeros_like(y))
    increase = o > y
    return DropIncreaseResult(
        score_original=y,
        score_masked=o,
        drop_pct=drop_pct,
        increase=increase,
        average_drop_pct=float(drop_pct.mean()),
        increase_pct=float(increase.float().mean() * 100),
    )


# ----------------------------------------------------------------------------- substrates


def rise_blur_kernel(kernel_size: int = RISE_BLUR_KERNEL, sigma: float = RISE_BLUR_SIGMA) -> torch.Tensor:
    """1-D factor ``k`` of the RISE reference's insertion kernel, float64 ``(kernel_size,)``, sum 1.

    The reference builds its ``K x K`` kernel as ``scipy.ndimage.gaussian_filter(impulse, sigma)``
    with the impulse at the centre of a ``K x K`` array. scipy filters with the sampled Gaussian
    ``w_j ~ exp(-j^2 / (2 sigma^2))``, ``|j| <= round(4 sigma)``, and mode ``'reflect'``
    (half-sample symmetric: ``d c b a | a b c d``), so every tap that falls outside the window
    is folded back into it::

        k[i] = sum_j w_j [reflect(i + j) == K // 2]

    The 2-D kernel is the outer product ``k k^T`` (a Gaussian filter is separable). At K = 11,
    sigma = 5 the folded tails make it nearly uniform: 0.0821 at the border vs 0.0998 at the centre.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    radius = int(4.0 * sigma + 0.5)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    taps = torch.exp(-(offsets**2) / (2.0 * sigma**2))
    taps = taps / taps.sum()
    kernel = torch.zeros(kernel_size, dtype=torch.float64)
    centre, period = kernel_size // 2, 2 * kernel_size
    for i in range(kernel_size):
        source = torch.remainder(i + offsets.long(), period)
        source = torch.where(source >= kernel_size, period - 1 - source, source)
        kernel[i] = taps[source == centre].sum()
    return kernel


def rise_blur(images: torch.Tensor, fill: torch.Tensor | float, kernel_size: int = RISE_BLUR_KERNEL,
              sigma: float = RISE_BLUR_SIGMA) -> torch.Tensor:
    """The RISE reference's insertion start: ``(B, C, H, W)`` -> same, in pixel space.

    The reference convolves the model-normalised image ``(x - mean) / std`` per channel with
    :func:`rise_blur_kernel` ``k k^T`` and zero padding of ``K // 2``. Because the kernel sums
    to 1 this equals, in pixel space, padding with the mean colour::

        B(x) = conv2d(pad(x - fill, K // 2, value 0), k k^T) + fill

    Args:
        images: ``(B, C, H, W)`` pixel-space images.
        fill: the padding colour, a number or ``(C,)``/``(1, C, 1, 1)`` tensor: the model's mean.
    """
    channels = images.shape[1]
    half = kernel_size // 2
    k = rise_blur_kernel(kernel_size, sigma).to(device=images.device, dtype=images.dtype)
    fill = torch.as_tensor(fill, dtype=images.dtype, device=images.device)
    fill = fill.view(1, channels, 1, 1) if fill.numel() == channels else fill.reshape(())
    padded = F.pad(images - fill, (half, half, half, half))
    out = F.conv2d(padded, k.view(1, 1, 1, -1).expand(channels, 1, 1, kernel_size), groups=channels)
    out = F.conv2d(out, k.view(1, 1, -1, 1).expand(channels, 1, kernel_size, 1), groups=channels)
    return out + fill


def _model_mean(model: Any, channels: int, like: torch.Tensor) -> torch.Tensor:
    mean = getattr(model, "mean", None)
    if mean is None:
        warnings.warn(
            "model has no `mean` attribute; the 'mean' substrate falls back to 0.5 per channel "
            "(pass deletion_substrate explicitly to silence this)",
            UserWarning,
            stacklevel=3,
        )
        mean = [0.5] * channels
    mean = torch.as_tensor(mean, dtype=like.dtype, device=like.device).flatten()
    if mean.numel() != channels:
        raise ValueError(f"model.mean has {mean.numel()} entries but the images have {channels} channels")
    return mean.view(1, channels, 1, 1)


def resolve_substrate(substrate: Substrate, model: Any, images: torch.Tensor) -> torch.Tensor:
    """Turn a substrate specification into pixel values, expanded to the images' shape.

    - ``"mean"``: the model's mean colour ``model.mean`` (zeros in its normalised space);
      0.5 per channel with a warning if the model has no ``mean`` attribute.
    - ``"zeros"``: black (zeros in pixel space).
    - ``"rise-blur"``: the RISE reference's blurred image, :func:`rise_blur` with the model's mean
      colour as padding (its zero padding in normalised space); the insertion default.
    - ``"gaussian-reflect"``: a sampled Gaussian (kernel 11, sigma 5 px) with reflection padding,
      :func:`fovex.foveation.blur`. It differs from ``"rise-blur"`` everywhere, not only at the
      border (the reference's kernel is nearly uniform), by up to ~0.06 in pixel value.
    - a number: that constant in every channel.
    - a tensor broadcastable to ``(B, C, H, W)``; a ``(C,)`` tensor is a per-channel colour.
    - a callable ``images -> substrate`` returning a tensor broadcastable to the images.
    """
    batch, channels, height, width = images.shape
    if isinstance(substrate, str):
        if substrate == "mean":
            value = _model_mean(model, channels, images)
        elif substrate == "zeros":
            value = torch.zeros((), dtype=images.dtype, device=images.device)
        elif substrate == "rise-blur":
            value = rise_blur(images, _model_mean(model, channels, images))
        elif substrate == "gaussian-reflect":
            value = blur(images, RISE_BLUR_KERNEL, RISE_BLUR_SIGMA)
        elif substrate == "blur":
            raise ValueError("substrate 'blur' is ambiguous: use 'rise-blur' (the RISE reference, the default) "
                             "or 'gaussian-reflect' (a sampled Gaussian with reflection padding)")
        else:
            raise ValueError(f"unknown substrate {substrate!r}; use {', '.join(map(repr, SUBSTRATE_NAMES))}, "
                             "a number, a tensor or a callable")
    elif callable(substrate):
        value = to_tensor(substrate(images), "substrate(images)")
    elif isinstance(substrate, (int, float)):
        value = torch.tensor(float(substrate))
    else:
        value = to_tensor(substrate, "substrate")
        if value.ndim == 1:
            if value.numel() != channels:
                raise ValueError(f"a 1-D substrate needs {channels} entries (one per channel), got {value.numel()}")
            value = value.view(1, channels, 1, 1)
    value = value.to(device=images.device, dtype=images.dtype)
    try:
        value = value.expand(batch, channels, height, width)
    except RuntimeError as err:
        raise ValueError(f"substrate of shape {tuple(value.shape)} does not broadcast to images {tuple(images.shape)}") from err
    check_finite(value, "substrate")
    return value


# ----------------------------------------------------------------------------- insertion / deletion


@dataclass
class PerturbationCurve:
    """One RISE curve per image.

    Attributes:
        scores: ``(B, n_steps + 1)`` model scores; column 0 is the untouched start.
        auc: ``(B,)`` trapezoid area, ``(sum(a) - a[0]/2 - a[-1]/2) / n_steps``.
        pixels_changed: ``(n_steps + 1,)`` number of pixels replaced before each score.
        fraction_changed: ``(n_steps + 1,)`` ``pixels_changed / (H * W)``, for plotting.
    """

    scores: torch.Tensor
    auc: torch.Tensor
    pixels_changed: torch.Tensor
    fraction_changed: torch.Tensor

    @property
    def mean_auc(self) -> float:
        return float(self.auc.mean())


@dataclass
class InsertionDeletionResult:
    """Deletion and insertion curves; a mode not run is ``None``."""

    deletion: PerturbationCurve | None
    insertion: PerturbationCurve | None


def _pixels_changed(num_pixels: int, step: int | None, device: torch.device) -> torch.Tensor:
    if step is None:
        # RISE_STEPS equal steps at any resolution: floor(k * HW / 224) pixels after step k,
        # i.e. exactly 224 px per step at 224 x 224.
        return torch.arange(RISE_STEPS + 1, device=device) * num_pixels // RISE_STEPS
    if int(step) != step or step < 1:
        raise ValueError(f"step must be a positive integer number of pixels, got {step}")
    num_steps = math.ceil(num_pixels / int(step))
    return (torch.arange(num_steps + 1, device=device) * int(step)).clamp(max=num_pixels)


def _curve_scores(
    model: Callable,
    start: torch.Tensor,
    finish: torch.Tensor,
    rank: torch.Tensor,
    pixels_changed: torch.Tensor,
    targets: torch.Tensor,
    score: str,
    batch_size: int,
) -> torch.Tensor:
    """Scores of all (image, step) pairs; step k shows ``finish`` on the k-th prefix of the order."""
    batch, num_points = start.shape[0], pixels_changed.numel()
    scores = torch.empty(batch * num_points, dtype=torch.float32, device=start.device)
    # Flattened (image, step) pairs let one forward pass mix images and steps, so the number of
    # perturbed images alive at once is batch_size whatever B and the step count are.
    for first in range(0, batch * num_points, batch_size):
        pair = torch.arange(first, min(first + batch_size, batch * num_points), device=start.device)
        image_index, step_index = pair // num_points, pair % num_points
        show_finish = rank[image_index] < pixels_changed[step_index].view(-1, 1, 1)
        perturbed = torch.where(show_finish[:, None], finish[image_index], start[image_index])
        scores[pair] = _class_scores(model, perturbed, targets[image_index], score)
    return scores.view(batch, num_points)


def insertion_deletion(
    model: Callable,
    images: torch.Tensor,
    attributions: torch.Tensor,
    targets: torch.Tensor,
    step: int | None = None,
    deletion_substrate: Substrate = "mean",
    insertion_substrate: Substrate = "rise-blur",
    score: str = "softmax",
    modes: Sequence[str] = ("deletion", "insertion"),
    batch_size: int = 64,
) -> InsertionDeletionResult:
    """RISE deletion and insertion curves and their AUCs (SPEC §2.1).

    Pixels are ranked by decreasing attribution. Ties are broken in row-major order (a stable
    sort: of two equal values, the pixel with the smaller ``row * W + col`` is changed first). The
    RISE reference leaves this undefined (an unstable argsort, then reversed).
    With ``n(k)`` the number of pixels changed after step k (``n(0) = 0``, ``n(K) = H*W``):

    - deletion: start from the image; step k replaces the top ``n(k)`` pixels (all channels)
      with ``deletion_substrate``. Lower AUC is better.
    - insertion: start from ``insertion_substrate``; step k restores the top ``n(k)`` pixels of
      the image. Higher AUC is better.

    The score ``a[k]`` is the target's softmax probability (``score="softmax"``, the protocol) or
    its raw logit (``score="logit"``); ``AUC = (sum_k a[k] - a[0]/2 - a[K]/2) / K``, the trapezoid
    rule with the step index scaled to [0, 1] (equal to the fraction of pixels changed whenever
    the steps are equal, as in the RISE code).

    Defaults reproduce the RISE protocol: ``step=None`` gives K = 224 steps at any resolution,
    ``n(k) = floor(k * H * W / 224)`` (exactly 224 px per step at 224 x 224, 225 scores); the
    deletion substrate is the model's mean colour (zeros in its normalised space); the insertion
    substrate is the reference's blurred image (:func:`rise_blur`: 11 x 11 nearly uniform kernel,
    mean-colour padding).
    An integer ``step`` gives ``ceil(H*W / step)`` steps of ``step`` pixels (the last may be shorter).

    Args:
        model: callable, pixel-space images ``(b, C, H, W)`` -> logits ``(b, num_classes)``.
        images: ``(B, C, H, W)`` in [0, 1].
        attributions: ``(B, H, W)``, any real values (only their order matters).
        targets: ``(B,)`` class indices.
        step: pixels per step, or None for the RISE default above.
        deletion_substrate, insertion_substrate: see :func:`resolve_substrate`.
        score: ``"softmax"`` or ``"logit"``.
        modes: any of ``"deletion"``, ``"insertion"``.
        batch_size: perturbed images per forward pass (bounds memory; results do not depend on it).
    """
    images, maps, targets = _check_inputs(images, attributions, targets)
    _check_score(score)
    modes = tuple(modes)
    unknown = set(modes) - {"deletion", "insertion"}
    if unknown or not modes:
        raise ValueError(f"modes must be a non-empty subset of ('deletion', 'insertion'), got {modes}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    batch, _, height, width = images.shape
    num_pixels = height * width
    pixels_changed = _pixels_changed(num_pixels, step, images.device)

    with torch.no_grad():
        order = torch.sort(maps.reshape(batch, num_pixels), dim=1, descending=True, stable=True).indices
        rank = torch.empty_like(order)
        rank.scatter_(1, order, torch.arange(num_pixels, device=images.device).expand(batch, num_pixels))
        rank = rank.view(batch, height, width)

        results: dict[str, PerturbationCurve] = {}
        for mode in ("deletion", "insertion"):
            if mode not in modes:
                continue
            if mode == "deletion":
                start, finish = images, resolve_substrate(deletion_substrate, model, images)
            else:
                start, finish = resolve_substrate(insertion_substrate, model, images), images
            scores = _curve_scores(model, start, finish, rank, pixels_changed, targets, score, batch_size)
            num_steps = pixels_changed.numel() - 1
            auc = (scores.double().sum(1) - scores[:, 0].double() / 2 - scores[:, -1].double() / 2) / num_steps
            results[mode] = PerturbationCurve(
                scores=scores,
                auc=auc,
                pixels_changed=pixels_changed,
                fraction_changed=pixels_changed.double() / num_pixels,
            )
    return InsertionDeletionResult(deletion=results.get("deletion"), insertion=results.get("insertion"))
