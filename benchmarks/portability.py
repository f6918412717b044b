"""How far the pinned numbers move with the float order: batch size, threads, instruction set, oneDNN.

    .venv/bin/python benchmarks/portability.py [--photos 3] [--out build/portability]

Recomputes, on the first ``--photos`` photos of the study's spread order (imagenet-sample, EfficientNet-Lite0,
224 px), what the pinned-number tests compare: each map's summaries (``map_mean``, ``map_std``), the target's
softmax score, the score on the masked photo, %Drop and insertion/deletion AUC, for Grad-CAM, RISE (few masks),
FovEx (a small budget) and Meaningful Perturbation at a few step counts. Every configuration runs in a
subprocess of this script, because PyTorch and oneDNN read ``ATEN_CPU_CAPABILITY`` and ``ONEDNN_MAX_CPU_ISA``
when torch is imported:

- the reference: batch size 4 (the committed runs'), 1 thread, this CPU's own kernels, oneDNN on;
- each one axis away from it: batch sizes 1, 8 and 32 (a batch larger than the photos is filled with copies
  of them), 2 threads, ``ONEDNN_MAX_CPU_ISA`` AVX2 / AVX512_CORE / AVX512_CORE_AMX (where the CPU has AMX),
  ``ATEN_CPU_CAPABILITY`` default / avx2 / avx512 (those this CPU can run), ``torch.backends.mkldnn`` off.

Writes into ``--out``: ``raw.csv`` (every value), ``moves.csv`` / ``moves.md`` (per method, quantity and
configuration: the largest absolute and relative move from the reference over the photos, and the move of
the mean over the photos) and ``summary.csv`` (per method and quantity, the largest over all configurations
whose per-image seeds equal the reference's, plus the machine). ``ATEN_CPU_CAPABILITY=default`` (no AVX2)
resizes photos to other float bits, so every per-image seed differs (RISE's masks, FovEx's restarts): its
rows are marked ``seeds_differ`` and left out of the summary, as the tests skip there
(``tests/reproducibility.py``).

The default (MP after 1 and 3 steps) takes about 10 minutes of 2 cores. book/measurements/portability.csv
is the summary of that run and of Meaningful Perturbation after 300 steps (5 minutes of one core per
configuration), measured apart and tabulated together::

    benchmarks/portability.py --out build/portability
    benchmarks/portability.py --out build/portability-mp300 --mp-steps 300 --methods mp300 \
        --only "batch 1" "oneDNN AVX2"
    benchmarks/portability.py --out build/portability-all \
        --summarise build/portability/raw.csv build/portability-mp300/raw.csv
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

METHODS_HELP = "gradcam, rise (masks), fovex (fixations x steps), mp<steps> for each --mp-steps"
QUANTITIES = ("map_mean", "map_std", "target_score", "score_masked", "drop_pct", "insertion_auc", "deletion_auc")
REFERENCE = {"name": "reference", "env": {}, "batch": 4, "threads": 1, "mkldnn": True}


def cpu() -> dict:
    """The machine: ``lscpu``'s model name and whether the CPU has AVX-512 and AMX."""
    flags, model = set(), platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "cpu": model,
        "avx512": "avx512f" in flags,
        "amx": any(f.startswith("amx") for f in flags),
        "avx2": "avx2" in flags,
    }


def configurations(machine: dict) -> list[dict]:
    """The reference and each configuration one axis away from it."""
    configs = [REFERENCE]
    configs += [{**REFERENCE, "name": f"batch {b}", "batch": b} for b in (1, 8, 32)]
    configs.append({**REFERENCE, "name": "2 threads", "threads": 2})
    isas = ["AVX2"] + (["AVX512_CORE"] if machine["avx512"] else []) + (["AVX512_CORE_AMX"] if machine["amx"] else [])
    configs += [{**REFERENCE, "name": f"oneDNN {isa}", "env": {"ONEDNN_MAX_CPU_ISA": isa}} for isa in isas]
    atens = ["default"] + (["avx2"] if machine["avx2"] else []) + (["avx512"] if machine["avx512"] else [])
    configs += [{**REFERENCE, "name": f"ATen {a}", "env": {"ATEN_CPU_CAPABILITY": a}} for a in atens]
    configs.append({**REFERENCE, "name": "oneDNN off", "mkldnn": False})
    return configs


# --- one configuration (the subprocess) ------------------------------------------------------------


def _batched(function, images, targets, batch: int):
    """``function`` over ``images`` in batches of ``batch``; a batch larger than the photos holds copies."""
    import torch

    n = len(images)
    if batch >= n:
        reps = -(-batch // n)
        tiled = images.repeat(reps, 1, 1, 1)[:batch]
        return function(tiled, targets.repeat(reps)[:batch])[:n]
    return torch.cat([function(images[i : i + batch], targets[i : i + batch]) for i in range(0, n, batch)])


def measure(config: dict, args) -> list[dict]:
    import torch

    from fovex.data import open_dataset
    from fovex.explain import create_explainer
    from fovex.metrics.faithfulness import average_drop_increase, insertion_deletion
    from fovex.models import load_model
    from fovex.seeding import image_digest

    torch.set_num_threads(config["threads"])
    torch.backends.mkldnn.enabled = config["mkldnn"]
    model = load_model("efficientnet_lite0")
    dataset = open_dataset("imagenet-sample", image_size=model.input_size)
    indices = [(k * 619) % len(dataset) for k in range(args.photos)]  # the study's spread order
    images = torch.stack([dataset[i].image for i in indices])
    ids = [dataset.ids[i] if hasattr(dataset, "ids") else str(i) for i in indices]
    batch = config["batch"]
    with torch.no_grad():
        logits = _batched(lambda x, t: model(x), images, torch.zeros(len(images), dtype=torch.long), batch)
    targets = logits.argmax(1)
    scores = torch.softmax(logits.double(), 1).gather(1, targets[:, None])[:, 0]
    methods = {
        "gradcam": ("gradcam", {}),
        f"rise{args.rise_masks}": ("rise", {"masks": args.rise_masks}),
        f"fovex{args.fovex[0]}x{args.fovex[1]}": ("fovex", {"fixations": args.fovex[0], "steps": args.fovex[1]}),
    }
    methods.update({f"mp{s}": ("meaningful_perturbation", {"steps": s}) for s in args.mp_steps})
    if args.methods:
        methods = {k: v for k, v in methods.items() if v[0] in args.methods or k in args.methods}
    rows = []
    seeds = [image_digest(image) for image in images]
    for label, (name, settings) in methods.items():
        started = time.perf_counter()
        explainer = create_explainer(name, model, **settings)
        maps = _batched(lambda x, t, e=explainer: e.explain(x, t).attribution, images, targets, batch).float()
        drop = average_drop_increase(model, images, maps, targets, batch_size=batch)
        curves = insertion_deletion(model, images, maps, targets, step=args.step, batch_size=batch)
        values = {
            "map_mean": maps.double().mean((1, 2)),
            "map_std": maps.double().std((1, 2)),
            "target_score": scores,
            "score_masked": drop.score_masked,
            "drop_pct": drop.drop_pct,
            "insertion_auc": curves.insertion.auc,
            "deletion_auc": curves.deletion.auc,
        }
        for quantity, tensor in values.items():
            for i, value in enumerate(torch.as_tensor(tensor).double().tolist()):
                rows.append(
                    {
                        "config": config["name"],
                        "method": label,
                        "photo": ids[i],
                        "quantity": quantity,
                        "value": value,
                        "target": int(targets[i]),
                        "seed": seeds[i],
                    }
                )
        print(f"  {config['name']}: {label} {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return rows


# --- the comparison (the parent) ------------------------------------------------------------------


def compare(raw):
    """Per method, quantity and configuration: the largest moves from the reference; and their maxima."""
    import pandas as pd

    ref = raw[raw["config"] == REFERENCE["name"]]
    merged = raw.merge(ref, on=["method", "photo", "quantity"], suffixes=("", "_ref"))
    merged = merged[merged["config"] != REFERENCE["name"]]
    merged["abs"] = (merged["value"] - merged["value_ref"]).abs()
    merged["rel"] = merged["abs"] / merged["value_ref"].abs().clip(lower=1e-12)
    merged["square"] = merged["abs"] ** 2
    merged["seeds_differ"] = merged["seed"] != merged["seed_ref"]
    merged["target_differs"] = merged["target"] != merged["target_ref"]
    groups = merged.groupby(["method", "quantity", "config"], sort=False)
    moves = groups.agg(
        photos=("photo", "nunique"),
        mean=("value", "mean"),
        mean_ref=("value_ref", "mean"),
        max_abs=("abs", "max"),
        max_rel=("rel", "max"),
        seeds_differ=("seeds_differ", "any"),
        target_differs=("target_differs", "any"),
    ).reset_index()
    moves["mean_abs"] = (moves.pop("mean") - moves.pop("mean_ref")).abs()
    comparable = moves[~moves["seeds_differ"]]
    keys = ["method", "quantity"]
    summary = (
        comparable.groupby(keys, sort=False)
        .agg(max_abs=("max_abs", "max"), max_rel=("max_rel", "max"), mean_abs=("mean_abs", "max"))
        .reset_index()
    )
    worst = comparable.loc[comparable.groupby(keys, sort=False)["max_abs"].idxmax()]
    summary["worst_config"] = worst["config"].to_numpy()
    batch = comparable[comparable["config"].str.startswith("batch")].groupby(keys)["max_abs"].max()
    summary["batch_max_abs"] = summary.set_index(keys).index.map(batch).to_numpy(dtype=float)
    # The root mean square of the per-photo moves: the spread a paired test of a chaotic quantity expects.
    rms = merged[~merged["seeds_differ"]].groupby(keys)["square"].mean() ** 0.5
    summary["rms_abs"] = summary.set_index(keys).index.map(rms).to_numpy(dtype=float)
    summary["photos"] = int(raw["photo"].nunique())
    summary["configs"] = comparable.groupby(keys, sort=False)["config"].nunique().to_numpy()
    return moves, pd.DataFrame(summary)


def write(raw, out: Path, machine: dict, seconds: float) -> None:
    """The tables of a measurement (``raw``: every value) into ``out``."""
    import pandas as pd

    raw.to_csv(out / "raw.csv", index=False)
    moves, summary = compare(raw)
    for key, value in machine.items():
        summary[key] = value
    summary["torch"] = __import__("torch").__version__
    moves.to_csv(out / "moves.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False, float_format="%.3g")
    (out / "moves.md").write_text(
        f"Machine: {machine['cpu']} (AVX-512 {'yes' if machine['avx512'] else 'no'}, AMX "
        f"{'yes' if machine['amx'] else 'no'}); {raw['photo'].nunique()} photos; {seconds:.0f} s.\n\n"
        + markdown(moves)
        + "\n"
        + markdown(summary)
    )
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(summary.drop(columns=["cpu", "avx512", "amx", "avx2", "torch"]).to_string(index=False))


def markdown(frame) -> str:
    columns = list(frame.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.2g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("build/portability"))
    parser.add_argument("--rise-masks", type=int, default=16)
    parser.add_argument("--fovex", type=int, nargs=2, default=(2, 5), metavar=("FIXATIONS", "STEPS"))
    parser.add_argument("--mp-steps", type=int, nargs="*", default=[1, 3], help=METHODS_HELP)
    parser.add_argument("--step", type=int, default=3136, help="pixels per insertion/deletion step (224 px: 16 steps)")
    parser.add_argument("--methods", nargs="*", default=None, help="explainers (or labels) to run; default all")
    parser.add_argument("--only", nargs="*", default=None, help="configuration names to run (the reference always)")
    parser.add_argument("--summarise", nargs="+", type=Path, help="raw.csv files to tabulate, nothing measured")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        rows = measure(json.loads(args.worker), args)
        sys.stdout.write(json.dumps(rows))
        return 0

    import pandas as pd

    machine = cpu()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summarise:  # tables from earlier measurements' raw.csv (e.g. a long Meaningful Perturbation run)
        write(pd.concat([pd.read_csv(p) for p in args.summarise]), args.out, machine, 0.0)
        return 0
    configs = configurations(machine)
    if args.only is not None:
        configs = [c for c in configs if c is REFERENCE or c["name"] in args.only]
    raw, started = [], time.perf_counter()
    for config in configs:
        env = {**os.environ, **config["env"]}
        for name in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"):
            if name not in config["env"]:
                env.pop(name, None)
        print(f"{config['name']} ...", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, __file__, *_worker_args(args), "--worker", json.dumps(config)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stderr.write(done.stderr[-2000:] if done.returncode else done.stderr)
        if done.returncode:
            print(f"{config['name']} failed (rc {done.returncode})", file=sys.stderr)
            continue
        raw += json.loads(done.stdout)
        pd.DataFrame(raw).to_csv(args.out / "raw.csv", index=False)  # so far (an interrupted run keeps them)
    write(pd.DataFrame(raw), args.out, machine, time.perf_counter() - started)
    print(f"{time.perf_counter() - started:.0f} s; tables in {args.out}", file=sys.stderr)
    return 0


def _worker_args(args) -> list[str]:
    return [
        "--photos",
        str(args.photos),
        "--rise-masks",
        str(args.rise_masks),
        "--fovex",
        *map(str, args.fovex),
        "--mp-steps",
        *map(str, args.mp_steps),
        "--step",
        str(args.step),
        *(["--methods", *args.methods] if args.methods else []),
    ]


if __name__ == "__main__":
    sys.exit(main())
