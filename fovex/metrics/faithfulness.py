"""Faithfulness: does the model's score follow the attribution map? (book/spec.md §2.1)

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ._utils import check_finite, to_tensor
from .substrates import (
    Substrate,
    resolve_substrate,
)

__all__ = [
    "DropIncreaseResult",
    "PerturbationCurve",
    "InsertionDeletionResult",
    "average_drop_increase",
    "insertion_deletion",
    "RISE_STEPS",
]

#: Steps of the RISE protocol: 224 px per step at 224 x 224, i.e. 224 steps and 225 scores.
RISE_STEPS = 224

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
        raise ValueError(
            f"targets must be an integer tensor of shape ({batch},), got {targets.dtype} {tuple(targets.shape)}"
        )
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
    """Average Drop (%Drop) and Increase in Confidence (%Increase), book/spec.md §2.1.

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
    drop_pct = torch.where(
        y > 0, (y - o).clamp(min=0) / y.clamp(min=torch.finfo(y.dtype).tiny) * 100, torch.zeros_like(y)
    )
    increase = o > y
    return DropIncreaseResult(
        score_original=y,
        score_masked=o,
        drop_pct=drop_pct,
        increase=increase,
        average_drop_pct=float(drop_pct.mean()),
        increase_pct=float(increase.float().mean() * 100),
    )


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
    """RISE deletion and insertion curves and their AUCs (book/spec.md §2.1).

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
