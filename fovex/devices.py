"""Device helpers shared by the timing code (benchmarks, evaluation runs) and the runs' numerics."""

from __future__ import annotations

import contextlib
import os

import torch

__all__ = ["deterministic", "resolve_device", "synchronize"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> the first CUDA device when there is one, else the CPU; any other name as torch reads it.
    A CUDA device asked for on a machine without one is a ValueError that says so (not a raw CUDA error)."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or not device:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but no CUDA device is available (use 'auto' or 'cpu')")
    return resolved


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
