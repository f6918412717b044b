"""The study's faithfulness run recomputed on this machine's device, set beside the committed CPU rows.

    .venv/bin/python benchmarks/gpu_agreement.py --device cuda --images 128 --out OUT

Runs ``configs/study/faithfulness.yaml`` (its photos in its own spread order, so the first ``--images``
are photos the committed export scored) into ``OUT/runs/study-faithfulness`` at a GPU's batch sizes, then
writes ``OUT/agreement.csv`` and prints, per method and metric, both means, the paired difference
(device minus committed CPU) with its bootstrap interval, Pearson r and the largest single-photo
difference (:func:`fovex.study.agreement_with_committed`). ``--explainers`` and ``--metrics`` narrow
the run (a quick check of the plumbing: ``--device cpu --images 2 --explainers gradcam centre
--metrics drop_increase``); ``--deterministic`` runs with bit-stable kernels (TF32 off).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--metric-batch-size", type=int, default=256)
    parser.add_argument("--explainers", nargs="*", default=None, help="labels of the run's explainers to keep")
    parser.add_argument("--metrics", nargs="*", default=None, help="the run's metrics to keep")
    parser.add_argument("--deterministic", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from fovex.evaluation import run
    from fovex.study import agreement_with_committed, study_config

    name = "faithfulness"
    config = study_config(
        name,
        overrides={
            "batch_size": args.batch_size,
            "deterministic": args.deterministic,
            "metric_settings": {"faithfulness": {"batch_size": args.metric_batch_size}},
        },
    ).to_dict()
    config["dataset"]["num_images"] = args.images
    if args.explainers:
        config["explainers"] = [entry for entry in config["explainers"] if entry["label"] in args.explainers]
    if args.metrics:
        config["metrics"] = [metric for metric in config["metrics"] if metric in args.metrics]
    runs = args.out / "runs"
    run(config, runs / f"study-{name}", quiet=True, device=args.device, overwrite=True)
    table, devices = agreement_with_committed(runs.resolve(), runs=[name])
    table.to_csv(args.out / "agreement.csv", index=False)
    print(f"{name}: {args.images} photos on {devices.get(name)} against the committed CPU rows")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.drop(columns="run").round(4).to_string(index=False))
    return 0 if len(table) else 1


if __name__ == "__main__":
    sys.exit(main())
