"""Scale-out with ``torchrun``: ranks, devices, barriers, from torch.distributed only.

``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT``; :func:`setup` reads them, picks ``cuda:LOCAL_RANK`` when the config asks for CUDA (or
``auto`` finds a GPU) and initialises the process group (NCCL on GPUs, gloo on CPUs). Without
``torchrun`` everything degrades to a single process and no process group is created.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch

__all__ = ["Dist", "from_env", "resolve_device", "setup", "barrier", "broadcast", "shutdown", "default_threads"]

#: How long ranks wait for each other (a rank can finish its shard hours before the slowest one).
TIMEOUT_ENV = "FOVEX_DIST_TIMEOUT_S"
_DEFAULT_TIMEOUT_S = 24 * 3600


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1
    owns_group: bool = False  # True when this module created the process group (and must destroy it)

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env() -> Dist:
    """Ranks from torchrun's environment variables (a single process when they are absent)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    return Dist(
        rank=int(os.environ.get("RANK", "0")),
        world_size=world,
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        local_world_size=local_world,
    )


def resolve_device(requested: str, dist: Dist) -> torch.device:
    """The config's device for this rank: under torchrun every CUDA rank gets ``cuda:LOCAL_RANK``."""
    if requested == "auto":  # one rule for every "auto" (fovex.devices.resolve_device)
        from ..devices import resolve_device

        requested = str(resolve_device("auto"))
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device {requested!r} asked for, but no CUDA device is available (use device: cpu or auto)"
            )
        if dist.enabled:
            return torch.device("cuda", dist.local_rank)
        return torch.device(requested if ":" in requested else "cuda:0")
    return torch.device(requested)


def default_threads(dist: Dist, device: torch.device) -> int:
    """CPU threads per process: the cores this process may use, shared among the ranks of its node."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    per_rank = max(1, cores // max(1, dist.local_world_size))
    # On a GPU the CPU only feeds data and runs small metric code; a few threads suffice.
    return min(per_rank, 4) if device.type == "cuda" else per_rank


def setup(dist: Dist, device: torch.device) -> Dist:
    """Initialise the process group when running under torchrun (idempotent)."""
    import torch.distributed as td

    if not dist.enabled:
        return dist
    if td.is_initialized():
        return dist
    if device.type == "cuda":
        torch.cuda.set_device(device)
    timeout = datetime.timedelta(seconds=float(os.environ.get(TIMEOUT_ENV, _DEFAULT_TIMEOUT_S)))
    if device.type == "cuda":
        # Binding the group to this rank's GPU lets NCCL barriers and broadcasts know their device.
        td.init_process_group(backend="nccl", timeout=timeout, device_id=device)
    else:
        td.init_process_group(backend="gloo", timeout=timeout)
    return Dist(dist.rank, dist.world_size, dist.local_rank, dist.local_world_size, owns_group=True)


def barrier(dist: Dist) -> None:
    import torch.distributed as td

    if dist.enabled and td.is_initialized():
        td.barrier()


def broadcast(dist: Dist, value):
    """Rank 0's ``value`` on every rank (any picklable object)."""
    import torch.distributed as td

    if not dist.enabled or not td.is_initialized():
        return value
    holder = [value if dist.is_main else None]
    td.broadcast_object_list(holder, src=0)
    return holder[0]


def shutdown(dist: Dist) -> None:
    import torch.distributed as td

    if dist.owns_group and td.is_initialized():
        td.destroy_process_group()
