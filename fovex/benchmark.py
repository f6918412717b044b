"""Timing explainers against the hardware floor (used by ``benchmarks/run.py`` and the cost chapter).

The floor of an explainer is what its model passes alone cost: ``backward_passes`` forward+backward
passes (gradient w.r.t. the input) plus the remaining forward-only passes, each timed on the same
batch size, device and dtype. ``ratio = seconds / floor`` is the explainer's overhead.
"""
from __future__ import annotations

import platform
import resource
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

__all__ = ["BenchmarkRow", "machine_description", "pass_times", "peak_memory_mb", "time_explainer"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def machine_description(device: torch.device | str = "cpu") -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def peak_memory_mb(device: torch.device | str = "cpu") -> float:
    """Peak GPU memory allocated (cuda) or the process's peak resident set size (cpu), in MiB."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def pass_times(model, images: torch.Tensor, repeats: int = 5, warmup: int = 2) -> tuple[float, float]:
    """Seconds per batch for one forward pass and for one forward+backward pass w.r.t. the input."""
    device = images.device
    targets = torch.zeros(images.shape[0], dtype=torch.long, device=device)

    def forward_backward():
        inputs = images.detach().requires_grad_(True)
        loss = F.cross_entropy(model(inputs).float(), targets)
        torch.autograd.grad(loss, inputs)

    def forward():
        with torch.no_grad():
            model(images)

    results = []
    for function in (forward, forward_backward):
        for _ in range(warmup):
            function()
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        _sync(device)
        results.append((time.perf_counter() - start) / repeats)
    return results[0], results[1]


@dataclass
class BenchmarkRow:
    model: str
    explainer: str
    batch_size: int
    seconds_per_image: float
    images_per_s: float
    forward_passes: int
    backward_passes: int
    floor_seconds_per_image: float
    ratio_to_floor: float
    peak_memory_mb: float
    device: str
    machine: str

    def as_dict(self) -> dict:
        return asdict(self)


def time_explainer(explainer, images: torch.Tensor, targets=None, repeats: int = 1, floor_repeats: int = 5) -> BenchmarkRow:
    """Time ``explainer.explain(images)`` and the floor of its passes on the same batch, side by side."""
    device = images.device
    batch = images.shape[0]
    explanation = explainer.explain(images[:1], None if targets is None else targets[:1])  # warm-up
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        explanation = explainer.explain(images, targets)
    _sync(device)
    seconds = (time.perf_counter() - start) / repeats / batch
    forward_s, forward_backward_s = pass_times(explainer.model, images, repeats=floor_repeats)
    forward_only = explanation.forward_passes - explanation.backward_passes
    floor = (explanation.backward_passes * forward_backward_s + forward_only * forward_s) / batch
    return BenchmarkRow(
        model=getattr(explainer.model, "name", type(explainer.model).__name__),
        explainer=explainer.name,
        batch_size=batch,
        seconds_per_image=seconds,
        images_per_s=1.0 / seconds,
        forward_passes=explanation.forward_passes,
        backward_passes=explanation.backward_passes,
        floor_seconds_per_image=floor,
        ratio_to_floor=seconds / floor,
        peak_memory_mb=peak_memory_mb(device),
        device=str(device),
        machine=machine_description(device),
    )
