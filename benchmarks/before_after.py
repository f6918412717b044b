"""CPU speed of NeVA and RISE at this checkout against a git revision's, interleaved in one run.

    .venv/bin/python benchmarks/before_after.py --rev main --rounds 5

The revision's ``fovex`` package is extracted (``git archive``) into a temporary folder as
``fovex_before``; both versions then explain the same photos, each with a model built by its own
``load_model`` (same weights), alternating (before, after, after, before, ...) so that a machine shared
with other work loads both alike. Prints
the median seconds of each and the ratio after / before (< 1: faster now), and whether the outputs are
bit-identical. Sized for a CPU: FovEx T=2, K=5 on ``--batch`` photos; RISE ``--rise-masks`` masks on one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def load_revision(rev: str, folder: Path):
    """The ``fovex`` package at ``rev`` as the module ``fovex_before``."""
    archive = subprocess.run(["git", "archive", rev, "fovex"], cwd=REPO, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "fovex").rename(folder / "fovex_before")
    sys.path.insert(0, str(folder))
    return importlib.import_module("fovex_before")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="main")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--rise-masks", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import fovex
    from fovex.data import open_dataset

    with tempfile.TemporaryDirectory() as folder:
        before = load_revision(args.rev, Path(folder))
        importlib.import_module("fovex_before.explain")
        model = fovex.load_model("efficientnet_lite0")
        model_before = before.load_model("efficientnet_lite0")
        samples = open_dataset("samples", image_size=model.input_size)
        images = torch.stack([samples[i].image for i in range(args.batch)])
        targets = model(images).argmax(1)
        settings = {"fixations": 2, "steps": 5}
        cases = {
            "neva": {
                "before": lambda: before.neva.neva_scanpaths(
                    model_before, images, targets, before.neva.NevaSettings(**settings)
                ),
                "after": lambda: fovex.neva.neva_scanpaths(model, images, targets, fovex.neva.NevaSettings(**settings)),
                "same": lambda a, b: torch.equal(a.fixations, b.fixations) and torch.equal(a.losses, b.losses),
            },
            "rise": {
                "before": lambda: before.explain.RISE(model_before, masks=args.rise_masks).attribute(
                    images[:1], targets[:1]
                ),
                "after": lambda: fovex.explain.RISE(model, masks=args.rise_masks).attribute(images[:1], targets[:1]),
                "same": lambda a, b: torch.equal(a.maps, b.maps),
            },
        }
        print(f"{args.rev} vs this checkout; {torch.get_num_threads()} thread(s); {args.rounds} interleaved rounds")
        for name, case in cases.items():
            seconds = {"before": [], "after": []}
            outputs = {}
            for round_ in range(args.rounds):
                for side in ("before", "after") if round_ % 2 == 0 else ("after", "before"):
                    start = time.perf_counter()
                    outputs[side] = case[side]()
                    seconds[side].append(time.perf_counter() - start)
            median = {side: statistics.median(times) for side, times in seconds.items()}
            print(
                f"  {name}: before {median['before']:.3f} s, after {median['after']:.3f} s, "
                f"ratio after/before {median['after'] / median['before']:.3f}; "
                f"bit-identical: {case['same'](outputs['before'], outputs['after'])}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
