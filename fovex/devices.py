"""Device helpers shared by the timing code (benchmarks, evaluation runs) and the runs' numerics."""

from __future__ import annotations

import contextlib
import os
import re

import torch

__all__ = ["DEVICE_CHOICES", "deterministic", "device_problem", "resolve_device", "synchronize"]

#: The devices a command or a config names, in words.
DEVICE_CHOICES = "auto, cpu, cuda, cuda:N or mps"


def device_problem(text) -> str | None:
    """None when ``text`` names a device this machine has (``auto`` always), else why not, in words:
    a command checks its ``--device`` with it before any work instead of failing inside the work."""
    if not isinstance(text, str) or not (text in ("auto", "cpu", "cuda", "mps") or re.fullmatch(r"cuda:\d+", text)):
        return f"a device is {DEVICE_CHOICES}, got {text!r}"
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            return "this machine has no CUDA GPU (torch.cuda.is_available() is False)"
        count, index = torch.cuda.device_count(), int(text.partition(":")[2] or 0)
        if index >= count:
            return f"this machine has {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}"
    if text == "mps" and not torch.backends.mps.is_available():
        return "this machine has no MPS device"
    return None


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> the first CUDA device when there is one, else the CPU; any other name as torch reads it.
    A device this machine lacks is a ValueError saying why (:func:`device_problem`), not a raw CUDA error."""
    if isinstance(device, torch.device):
        return device
    problem = device_problem(device)
    if problem:
        raise ValueError(f"device {device!r}: {problem}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


#: cuBLAS needs a fixed workspace for deterministic matrix products (CUDA >= 10.2); set while deterministic.
CUBLAS_WORKSPACE = ":4096:8"


def synchronize(device: torch.device | str) -> None:
    """Wait until every kernel queued on ``device`` has finished; a no-op on CPU.

    CUDA and MPS run kernels asynchronously: without this, ``time.perf_counter()`` around a model
    call measures how long queueing took, not the work. Call it before starting and before stopping
    a timer.
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()  # MPS has one device and takes no argument


@contextlib.contextmanager
def deterministic(enabled: bool = True):
    """Bit-stable numerics inside the block when ``enabled`` (else a no-op): TF32 off for matrix
    products and cuDNN convolutions, ``torch.use_deterministic_algorithms(True)`` (an operation with
    no deterministic kernel raises, naming itself), cuDNN autotuning off and its deterministic kernels
    on, and cuBLAS's fixed workspace (``CUBLAS_WORKSPACE_CONFIG``). Every flag is restored on exit.

    On a CPU results are already bit-stable at a fixed thread count; on a GPU this trades speed
    (TF32 tensor cores, the fastest cuDNN kernels) for runs that repeat bit for bit.
    """
    if not enabled:
        yield
        return
    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE
        torch.use_deterministic_algorithms(True)
        yield
    finally:
        matmul_tf32, cudnn_tf32, benchmark, cudnn_deterministic, algorithms, warn_only, workspace = saved
        torch.backends.cuda.matmul.allow_tf32 = matmul_tf32
        torch.backends.cudnn.allow_tf32 = cudnn_tf32
        torch.backends.cudnn.benchmark = benchmark
        torch.backends.cudnn.deterministic = cudnn_deterministic
        torch.use_deterministic_algorithms(algorithms, warn_only=warn_only)
        if workspace is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = workspace
