"""FovEx speed benchmark: explainers next to their hardware floor, measured side by side in one run.

    .venv/bin/python benchmarks/run.py                       # CPU, published settings, bundled model
    .venv/bin/python benchmarks/run.py --preset gpu --device cuda --dtype bfloat16

Prints a table (seconds per explanation, images/s, passes, floor = model forward+backward x passes at
the same batch size, ratio to the floor, reached TFLOP/s and fraction of the GPU's peak, peak memory)
and writes it as CSV (default build/benchmarks/<device>.csv, which the book's cost chapter reads).
ResNet-50 and ViT-B/16 run with random weights: speed does not depend on the weights' values.
``--dtype bfloat16`` runs FovEx (and its floor) under autocast; the baselines stay in float32.
``--deterministic`` measures with bit-stable kernels (TF32 off, deterministic algorithms), the price of
an evaluation config's ``deterministic: true``.
The last lines name the FovEx batch size with the most images/s per model.

    .venv/bin/python benchmarks/run.py --threads 1 --rise-batches 4 8 50

times RISE (the bundled model, ``--rise-masks`` masks, one photo) at each masked-images-per-pass
batch size, interleaved over ``--repeats`` rounds, and prints each one's speed relative to the fastest
(the measurement behind ``fovex.explain.perturbation.RISE_CPU_BATCH``).

    .venv/bin/python benchmarks/run.py --levers --models resnet50 --batch-sizes 32 --device cuda

times FovEx under each way of running the model (issue 28's levers), interleaved over ``--repeats``
rounds, each beside its own floor and as a speed-up over the default: ``default`` (channels-last for
CNNs, float32, or ``--dtype`` autocast), ``contiguous`` (NCHW), ``bf16-weights`` (the model in bfloat16,
no autocast), ``compile`` (``torch.compile``), ``compile+bf16-weights``, and on a GPU
``reduce-overhead`` (compiled with CUDA graphs). Every configuration is warmed up at the timed batch
size first, so compilation is not timed (its seconds are printed).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd
import torch

import fovex
from fovex.benchmark import machine_description, time_explainer

PRESETS = {
    # name: (models, fovex batch sizes, baselines, images)
    "quick": (["efficientnet_lite0"], [1, 4], ["gradcam", "gradcam++", "random", "centre"], 4),
    "cpu": (
        ["efficientnet_lite0", "resnet50", "vit_base_patch16_224"],
        [1, 4, 8],
        ["gradcam", "gradcam++", "scorecam", "meaningful_perturbation", "rise", "gae", "random", "centre"],
        8,
    ),
    "full": (
        ["efficientnet_lite0", "resnet50", "vit_base_patch16_224"],
        [1, 2, 4, 8, 16, 32, 64],
        ["gradcam", "gradcam++", "scorecam", "meaningful_perturbation", "rise", "gae", "random", "centre"],
        64,
    ),  # A GPU fills only at large batches: FovEx up to 256 images at once.
    "gpu": (
        ["efficientnet_lite0", "resnet50", "vit_base_patch16_224"],
        [1, 8, 32, 64, 128, 256],
        ["gradcam", "gradcam++", "scorecam", "meaningful_perturbation", "rise", "gae", "random", "centre"],
        256,
    ),
}


def sample_images(count: int, size: int) -> torch.Tensor:
    """Real photos (the bundled samples, then ../shared/data/imagenet-sample), repeated if needed."""
    from fovex.data import open_dataset

    samples = open_dataset("samples", image_size=size)
    images = [samples[i].image for i in range(min(count, len(samples)))]
    while len(images) < count:
        images.append(images[len(images) % len(samples)])
    return torch.stack(images)


def rise_batches(device: torch.device, batch_sizes: list[int], masks: int, repeats: int) -> int:
    """RISE's seconds per map at each batch size, measured in interleaved rounds (median of the rounds)."""
    import statistics
    import time

    from fovex.benchmark import synchronize

    model = fovex.load_model("efficientnet_lite0", device=device)
    image = sample_images(1, model.input_size).to(device)
    print(f"machine: {machine_description(device)}; threads {torch.get_num_threads()}; RISE {masks} masks, 1 photo")
    seconds = {size: [] for size in batch_sizes}
    for _ in range(repeats):
        for size in batch_sizes:
            explainer = fovex.explainer("rise", model, masks=masks, batch_size=size)
            synchronize(device)
            start = time.perf_counter()
            explainer.explain(image)
            synchronize(device)
            seconds[size].append(time.perf_counter() - start)
    median = {size: statistics.median(times) for size, times in seconds.items()}
    fastest = min(median.values())
    for size in batch_sizes:
        print(
            f"  batch {size:4d}: {median[size]:7.2f} s per map ({masks / median[size]:6.1f} masked images/s), "
            f"{median[size] / fastest:4.2f}x the fastest"
        )
    return 0


def _weights(model_name: str) -> str | None:
    """The bundled real weights where they install offline; random ones otherwise (speed does not depend
    on the weights' values)."""
    return "default" if model_name.startswith("efficientnet") else None


def _output(given: Path | None, name: str) -> Path:
    out = given or Path("build") / "benchmarks" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


LEVERS = {
    # name: load_model keyword arguments
    "default": {},
    "contiguous": {"channels_last": False},
    "bf16-weights": {"dtype": "bfloat16"},
    "compile": {"compile": "default"},
    "compile+bf16-weights": {"compile": "default", "dtype": "bfloat16"},
    "reduce-overhead": {"compile": "reduce-overhead"},
}


def levers(args, device: torch.device) -> int:
    """FovEx under each lever at each batch size, interleaved rounds, medians; one CSV row per lever."""
    import statistics
    import time

    from fovex.benchmark import synchronize

    models = args.models or ["efficientnet_lite0"]
    batch_sizes = args.batch_sizes or [8]
    names = args.lever_names or [n for n in LEVERS if device.type == "cuda" or n != "reduce-overhead"]
    if "default" not in names:
        names = ["default", *names]  # every speed-up is over the default, measured in the same rounds
    print(
        f"machine: {machine_description(device)}; FovEx T={args.fixations}, K={args.steps}; "
        f"autocast {args.dtype}; {args.repeats} interleaved rounds"
    )
    out = _output(args.out, f"levers-{device.type}.csv")
    rows = []
    for model_name in models:
        weights = _weights(model_name)
        chosen = [n for n in names if not (model_name.startswith("vit") and n == "contiguous")]
        for batch_size in batch_sizes:
            explainers, warmup_s = {}, {}
            for name in chosen:
                model = fovex.load_model(model_name, weights=weights, device=device, **LEVERS[name])
                autocast = None if args.dtype == "float32" or "bf16" in name else args.dtype
                explainers[name] = fovex.create_explainer(
                    "fovex", model, fixations=args.fixations, steps=args.steps, autocast=autocast
                )
            images = sample_images(batch_size, explainers["default"].model.input_size).to(device)
            for name, explainer in explainers.items():
                synchronize(device)
                start = time.perf_counter()
                explainer.explain(images)  # compiles at this batch shape (and warms every kernel)
                synchronize(device)
                warmup_s[name] = time.perf_counter() - start
            measured = {name: [] for name in explainers}
            for _ in range(args.repeats):
                for name, explainer in explainers.items():
                    measured[name].append(
                        time_explainer(explainer, images, floor_repeats=args.floor_repeats, count_flops=False)
                    )
            default_s = statistics.median(r.seconds_per_image for r in measured["default"])
            for name, runs in measured.items():
                seconds = statistics.median(r.seconds_per_image for r in runs)
                floor = statistics.median(r.floor_seconds_per_image for r in runs)
                row = {
                    "model": model_name,
                    "batch_size": batch_size,
                    "lever": name,
                    "autocast": explainers[name].autocast or "none",
                    "seconds_per_image": seconds,
                    "images_per_s": 1.0 / seconds,
                    "floor_seconds_per_image": floor,
                    "ratio_to_floor": seconds / floor,
                    "speedup_over_default": default_s / seconds,
                    "first_call_s": warmup_s[name],
                    "machine": machine_description(device),
                }
                rows.append(row)
                pd.DataFrame(rows).to_csv(out, index=False)
                print(
                    f"  {model_name:22s} B={batch_size:<3d} {name:22s} {seconds:8.4f} s/image  "
                    f"floor {floor:8.4f}  ratio {seconds / floor:5.2f}  {default_s / seconds:5.2f}x default  "
                    f"(first call {warmup_s[name]:.1f} s)"
                )
    print(f"written: {out}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "bfloat16", "float16"],
        help="autocast dtype on GPU (float32: no autocast)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    parser.add_argument("--fixations", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--models", nargs="*", default=None, help="override the preset's models")
    parser.add_argument(
        "--batch-sizes", nargs="*", type=int, default=None, help="override the preset's FovEx batch sizes"
    )
    parser.add_argument("--baselines", nargs="*", default=None, help="override the preset's baselines")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--rise-batches", nargs="*", type=int, default=None, help="only compare RISE at these batch sizes"
    )
    parser.add_argument("--rise-masks", type=int, default=400, help="masks per RISE map (--rise-batches)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (--rise-batches, --levers)")
    parser.add_argument("--levers", action="store_true", help="FovEx under each way of running the model")
    parser.add_argument("--lever-names", nargs="*", choices=sorted(LEVERS), default=None, help="(default: all)")
    parser.add_argument("--floor-repeats", type=int, default=5, help="timed model passes for each floor")
    parser.add_argument(
        "--deterministic", action="store_true", help="bit-stable kernels (TF32 off): the cost of the config's flag"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    device = torch.device(args.device)
    if args.deterministic:
        from fovex.devices import deterministic

        with deterministic():
            return measure(args, device)
    return measure(args, device)


def measure(args, device: torch.device) -> int:
    if args.levers:
        return levers(args, device)
    if args.rise_batches:
        return rise_batches(device, args.rise_batches, args.rise_masks, args.repeats)
    models, batch_sizes, baselines, count = PRESETS[args.preset]
    models = args.models if args.models is not None else models
    batch_sizes = args.batch_sizes if args.batch_sizes is not None else batch_sizes
    baselines = args.baselines if args.baselines is not None else baselines
    kernels = "deterministic kernels" if args.deterministic else "default kernels"
    print(
        f"machine: {machine_description(device)}; preset {args.preset}; FovEx T={args.fixations}, K={args.steps}; "
        f"{kernels}"
    )
    out = _output(args.out, f"{device.type}.csv")
    rows = []
    for model_name in models:
        weights = _weights(model_name)
        model = fovex.load_model(model_name, weights=weights, device=device)
        images = sample_images(max(batch_sizes + [1]), model.input_size).to(device)
        autocast = None if args.dtype == "float32" else args.dtype
        explainer = fovex.explainer("fovex", model, fixations=args.fixations, steps=args.steps, autocast=autocast)
        for batch_size in batch_sizes:
            row = time_explainer(explainer, images[:batch_size], floor_repeats=args.floor_repeats)
            rows.append({**row.as_dict(), "deterministic": args.deterministic})
            pd.DataFrame(rows).to_csv(out, index=False)  # every row as soon as it is measured: a cut run keeps them
            print(
                f"  {model_name:22s} fovex      B={batch_size:<3d} {row.seconds_per_image:8.3f} s/image  "
                f"floor {row.floor_seconds_per_image:8.3f}  ratio {row.ratio_to_floor:5.2f}  "
                f"{row.tflops_per_s:7.3f} TFLOP/s"
            )
        available = fovex.explainers()
        for name in baselines:
            if name not in available:
                continue
            try:
                baseline = fovex.explainer(name, model)
                row = time_explainer(baseline, images[: min(4, len(images))], floor_repeats=args.floor_repeats)
            except ValueError as error:  # e.g. GAE on a CNN
                print(f"  {model_name:22s} {name:10s} skipped: {error}")
                continue
            rows.append({**row.as_dict(), "deterministic": args.deterministic})
            pd.DataFrame(rows).to_csv(out, index=False)
            print(f"  {model_name:22s} {name:10s} B={row.batch_size:<3d} {row.seconds_per_image:8.3f} s/image")
    table = pd.DataFrame(rows)
    table.to_csv(out, index=False)
    columns = [
        "model",
        "explainer",
        "batch_size",
        "dtype",
        "seconds_per_image",
        "images_per_s",
        "forward_passes",
        "backward_passes",
        "floor_seconds_per_image",
        "ratio_to_floor",
        "tflops_per_s",
        "fraction_of_peak",
        "peak_memory_mb",
    ]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    fovex_rows = table[table["explainer"] == "fovex"]
    for model_name, rows_of_model in fovex_rows.groupby("model", sort=False):
        best = rows_of_model.loc[rows_of_model["images_per_s"].idxmax()]
        print(
            f"best FovEx batch size for {model_name}: {int(best.batch_size)} "
            f"({best.images_per_s:.2f} images/s, {best.tflops_per_s:.3f} TFLOP/s)"
        )
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
