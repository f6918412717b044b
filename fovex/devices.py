"""Device helpers shared by the timing code (benchmarks, evaluation runs)."""

from __future__ import annotations

import torch

__all__ = ["synchronize"]


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
