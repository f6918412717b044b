"""Timing explainers against the hardware floor (used by ``benchmarks/run.py`` and the cost chapter).

The floor of an explainer is what its model passes alone cost: ``backward_passes`` forward+backward
passes (gradient w.r.t. the input) plus the remaining forward-only passes, each timed on the same
batch size, device and autocast dtype. ``ratio = seconds / floor`` is the explainer's overhead.

Hardware use: the FLOPs of those passes (counted by :class:`torch.utils.flop_counter.FlopCounterMode`,
2 FLOPs per multiply-add, gradients w.r.t. the input only) divided by the explainer's seconds give
the reached FLOP/s, ``fraction_of_peak = reached / peak`` where :func:`peak_flops` knows the GPU.
"""

from __future__ import annotations

import contextlib
import platform
import resource
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from .devices import synchronize

__all__ = [
    "BenchmarkRow",
    "PEAK_TFLOPS",
    "machine_description",
    "pass_flops",
    "pass_times",
    "peak_flops",
    "peak_memory_mb",
    "time_explainer",
]


def machine_description(device: torch.device | str = "cpu") -> str:
    """The device in words: the GPU's name, or the CPU's with its threads (``"auto"``: the one it resolves to)."""
    from .devices import resolve_device

    device = resolve_device(device)
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def peak_memory_mb(device: torch.device | str = "cpu") -> float:
    """Peak GPU memory allocated (cuda) or the process's peak resident set size (cpu), in MiB."""
    from .devices import resolve_device

    device = resolve_device(device)
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# Dense tensor-core peaks from the vendors' data sheets, in TFLOP/s: {name fragment: {dtype: peak}}.
# "float32" is the plain FP32 (non-tensor-core) peak. cuDNN convolutions use TF32 tensor cores by default
# (torch.backends.cudnn.allow_tf32), so a CNN in float32 can pass this "peak": read fractions in bfloat16.
# Matched against torch.cuda.get_device_name, most specific fragment first.
PEAK_TFLOPS = {
    "H200": {"bfloat16": 989.4, "float16": 989.4, "float32": 66.9},
    "H100 PCIe": {"bfloat16": 756.0, "float16": 756.0, "float32": 51.2},
    "H100": {"bfloat16": 989.4, "float16": 989.4, "float32": 66.9},
    "A100": {"bfloat16": 312.0, "float16": 312.0, "float32": 19.5},
    "L40S": {"bfloat16": 362.1, "float16": 362.1, "float32": 91.6},
    "L4": {"bfloat16": 121.0, "float16": 121.0, "float32": 30.3},
    "A10": {"bfloat16": 125.0, "float16": 125.0, "float32": 31.2},
    "V100": {"float16": 125.0, "float32": 15.7},
    "T4": {"float16": 65.0, "float32": 8.1},
}


def peak_flops(device_name: str, dtype: str = "float32") -> float | None:
    """The GPU's peak FLOP/s for ``dtype`` from :data:`PEAK_TFLOPS`, or None when unknown (CPUs)."""
    for fragment in sorted(PEAK_TFLOPS, key=len, reverse=True):
        if fragment in device_name:
            peak = PEAK_TFLOPS[fragment].get(dtype)
            return None if peak is None else peak * 1e12
    return None


def _autocast(device: torch.device, autocast: str | None):
    if autocast is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=getattr(torch, autocast))


def pass_flops(model, image_size: tuple[int, int], device="cpu") -> tuple[float, float]:
    """FLOPs of one forward pass and of one forward+backward pass w.r.t. the input, per image.

    Counted on a single (1, 3, H, W) input; only the input's gradient is taken (as in NeVA and the
    gradient baselines), so no weight-gradient FLOPs are counted.
    """
    from torch.utils.flop_counter import FlopCounterMode

    parameters = list(model.parameters())
    dtype = parameters[0].dtype if parameters else torch.float32
    inputs = torch.rand(1, 3, *image_size, device=device, dtype=dtype)
    saved = [parameter.requires_grad for parameter in parameters]
    try:
        # FlopCounterMode cannot follow torch.autograd.grad(); with frozen parameters, backward()
        # computes exactly the input gradient.
        for parameter in parameters:
            parameter.requires_grad_(False)
        with FlopCounterMode(display=False) as counter:
            with torch.no_grad():
                model(inputs)
        forward = counter.get_total_flops()
        inputs.requires_grad_(True)
        with FlopCounterMode(display=False) as counter:
            model(inputs).float().sum().backward()
        forward_backward = counter.get_total_flops()
    finally:
        for parameter, flag in zip(parameters, saved):
            parameter.requires_grad_(flag)
    return float(forward), float(forward_backward)


def pass_times(
    model, images: torch.Tensor, repeats: int = 5, warmup: int = 2, autocast: str | None = None
) -> tuple[float, float]:
    """Seconds per batch for one forward pass and for one forward+backward pass w.r.t. the input.

    ``autocast``: run the model under ``torch.autocast`` in this dtype, as the explainer does.
    """
    device = images.device
    targets = torch.zeros(images.shape[0], dtype=torch.long, device=device)

    def forward_backward():
        inputs = images.detach().requires_grad_(True)
        with _autocast(device, autocast):
            logits = model(inputs)
        loss = F.cross_entropy(logits.float(), targets)
        torch.autograd.grad(loss, inputs)

    def forward():
        with torch.no_grad(), _autocast(device, autocast):
            model(images)

    results = []
    for function in (forward, forward_backward):
        for _ in range(warmup):
            function()
        synchronize(device)
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        synchronize(device)
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
    dtype: str = "float32"
    tflops_per_s: float = float("nan")
    fraction_of_peak: float = float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def time_explainer(
    explainer, images: torch.Tensor, targets=None, repeats: int = 1, floor_repeats: int = 5, count_flops: bool = True
) -> BenchmarkRow:
    """Time ``explainer.explain(images)`` and the floor of its passes on the same batch, side by side.

    The floor runs under the explainer's own autocast dtype (``explainer.autocast``, None for float32).
    ``tflops_per_s = (backward_passes * F_fb + forward_only_passes * F_f) / seconds_per_image``.
    """
    device = images.device
    autocast = getattr(explainer, "autocast", None)
    batch = images.shape[0]
    explanation = explainer.explain(images[:1], None if targets is None else targets[:1])  # warm-up
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        explanation = explainer.explain(images, targets)
    synchronize(device)
    seconds = (time.perf_counter() - start) / repeats / batch
    forward_s, forward_backward_s = pass_times(explainer.model, images, repeats=floor_repeats, autocast=autocast)
    forward_only = explanation.forward_passes - explanation.backward_passes
    floor = (explanation.backward_passes * forward_backward_s + forward_only * forward_s) / batch
    dtype = autocast or str(images.dtype).removeprefix("torch.")
    tflops = fraction = float("nan")
    if count_flops:
        forward_flops, forward_backward_flops = pass_flops(explainer.model, tuple(images.shape[-2:]), device)
        flops = explanation.backward_passes * forward_backward_flops + forward_only * forward_flops
        tflops = flops / seconds / 1e12
        peak = peak_flops(machine_description(device), dtype) if device.type == "cuda" else None
        fraction = tflops * 1e12 / peak if peak else float("nan")
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
        dtype=dtype,
        tflops_per_s=tflops,
        fraction_of_peak=fraction,
    )
