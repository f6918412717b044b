"""Measure this machine's seconds per image for one forward and one forward+backward pass of the paper's
models (random weights at their input size: speed does not depend on the weights) and record them, with the
machine, in book/measurements/pass-rates.json. The README's paper-study times are generated from them
(python -m fovex.study.numbers).

    .venv/bin/python benchmarks/pass_rates.py [--batch-size 4] [--repeats 5] [--out book/measurements/pass-rates.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fovex.benchmark import machine_description  # noqa: E402
from fovex.evaluation.provenance import git_state, now  # noqa: E402
from fovex.files import atomic_write_bytes  # noqa: E402
from fovex.study.estimate import pass_seconds  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["resnet50", "vit_base_patch16_224"])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=REPO / "book" / "measurements" / "pass-rates.json")
    args = parser.parse_args(argv)
    record = {
        "what": "seconds per image of one forward pass and of one forward+backward pass (input gradient only), "
        f"best of {args.repeats} after a warm-up, batch {args.batch_size}, random weights",
        "machine": machine_description(args.device),
        "device": args.device,
        "measured_at": now(),
        "git": git_state(),
        "models": {},
    }
    for name in args.models:
        forward, both = pass_seconds(name, args.device, batch_size=args.batch_size, repeats=args.repeats)
        record["models"][name] = {"forward_s": forward, "forward_backward_s": both}
        print(f"{name}: forward {forward * 1000:.1f} ms, forward+backward {both * 1000:.1f} ms per image", flush=True)
    atomic_write_bytes(args.out, (json.dumps(record, indent=2) + "\n").encode())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
