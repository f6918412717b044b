"""The wheels a bare GPU machine (Python + PyTorch, nothing else) needs for ``benchmarks/gpu_check.sh``.

    .venv/bin/python benchmarks/gpu_wheels.py build/wheels            # download them (make wheels)
    .venv/bin/python benchmarks/gpu_wheels.py build/wheels --list     # only write requirements.txt

Takes fovex's runtime dependencies and pytest, closed over their own dependencies as installed in this
environment, pinned to the installed versions, minus the PyTorch family (torch, torchvision, triton,
nvidia-*: CUDA-specific, the GPU machine brings its own), writes them to ``DIR/requirements.txt`` and
downloads each as a wheel into DIR (``pip download --no-deps --only-binary=:all:``; a package that has
no wheel is built with ``pip wheel``). ``--python-version 3.12`` targets another interpreter (binary
wheels for manylinux x86_64). The GPU machine installs with
``pip install --no-index --find-links DIR -r DIR/requirements.txt`` (gpu_check.sh does, when an import is
missing). Wheels are not committed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

#: Provided by the GPU machine's own PyTorch install (matched to its CUDA): never downloaded.
PROVIDED = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*|cuda-.*|setuptools|pip|wheel)$")
ROOTS = ("fovex", "pytest")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots=ROOTS) -> dict[str, str]:
    """name -> installed version of ``roots`` and every installed requirement they pull in (no extras),
    minus :data:`PROVIDED` and fovex itself (it runs from the checkout)."""
    found, todo = {}, [_canonical(root) for root in roots]
    while todo:
        name = todo.pop()
        if name in found or PROVIDED.match(name):
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement not installed here
        found[name] = distribution.version
        for requirement in distribution.requires or []:
            if "extra ==" in requirement:
                continue
            todo.append(_canonical(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0]))
    found.pop("fovex", None)
    return dict(sorted(found.items()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--list", action="store_true", help="write requirements.txt only")
    parser.add_argument("--python-version", default=None, help="target interpreter, e.g. 3.12 (default: this one)")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    pins = closure()
    requirements = args.folder / "requirements.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    print(f"{requirements}: {len(pins)} packages")
    if args.list:
        return 0
    target = []
    if args.python_version:
        target = ["--python-version", args.python_version, "--platform", "manylinux2014_x86_64"]
        target += ["--platform", "manylinux_2_28_x86_64", "--implementation", "cp"]
    pip = [sys.executable, "-m", "pip"]
    for name, version in pins.items():
        spec = f"{name}=={version}"
        fetched = subprocess.run(
            [*pip, "download", "--quiet", "--no-deps", "--only-binary=:all:", *target, "-d", args.folder, spec]
        )
        if fetched.returncode != 0:  # an sdist-only package: build its wheel here
            subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "-w", args.folder, spec], check=True)
    print(f"{args.folder}: {len(list(args.folder.glob('*.whl')))} wheels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
