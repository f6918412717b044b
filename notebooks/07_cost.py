# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Cost
#
# What an explanation costs: seconds per image and model passes (forward and backward) for every
# explainer, measured side by side in one run on the machine that built this page. The *floor* is the
# model's own forward+backward time multiplied by the explainer's passes at the same batch size; the
# ratio to it is the explainer's overhead. The full benchmark (`benchmarks/run.py`, all models and
# batch sizes 1 to 64) writes a CSV that this chapter shows when it exists.

# %% tags=["parameters"]
profile = "quick"
model_name = "efficientnet_lite0"
explainers = ["fovex", "gradcam", "gradcam++", "scorecam", "meaningful_perturbation", "rise", "random", "centre"]
explainer_settings = {}
batch_size = 2
fovex_batch_sizes = [1, 2]
fixations = 10
steps = 20
device = "cpu"
benchmark_csv = "build/benchmarks/cpu.csv"
fast_results_dirs = ["build/eval/fast-vs-published"]  # runs of configs/fast-vs-published.yaml (and candidates)
fast_num_images = 4  # when no such run exists: compare on this many photos here
results_dir = "build/results/quick"

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch

import fovex
from fovex.benchmark import machine_description, time_explainer
from fovex.data import open_dataset

model = fovex.load_model(model_name, device=device)
dataset = open_dataset("samples", image_size=model.input_size)
count = max([batch_size] + list(fovex_batch_sizes))
images = torch.stack([dataset[i % len(dataset)].image for i in range(count)]).to(device)
print(f"machine: {machine_description(device)}; model {model_name}; {count} bundled sample photos at {model.input_size} px")

# %% tags=["hide-input"]
rows = []
available = fovex.explainers()
for name in explainers:
    if name not in available:
        print(f"{name}: not registered, skipped")
        continue
    settings = dict(explainer_settings.get(name, {}))
    if name == "fovex":
        settings = {"fixations": fixations, "steps": steps, **settings}
    try:
        explainer = fovex.explainer(name, model, **settings)
    except ValueError as error:
        print(f"{name}: {error}")
        continue
    sizes = fovex_batch_sizes if name == "fovex" else [batch_size]
    for size in sizes:
        rows.append(time_explainer(explainer, images[:size]).as_dict())
cost = pd.DataFrame(rows)
columns = ["explainer", "batch_size", "seconds_per_image", "forward_passes", "backward_passes",
           "floor_seconds_per_image", "ratio_to_floor"]
cost[columns].round(3)

# %% tags=["hide-input"]
best = cost.sort_values("seconds_per_image").drop_duplicates("explainer")
figure, axes = plt.subplots(1, 2, figsize=(10, 3.4), constrained_layout=True)
axes[0].barh(best["explainer"], best["seconds_per_image"], color="tab:blue")
axes[0].set_xscale("log")
axes[0].set_xlabel("seconds per explanation (log)")
axes[1].barh(best["explainer"], best["forward_passes"] + best["backward_passes"], color="tab:orange")
axes[1].set_xscale("log")
axes[1].set_xlabel("model passes per image, forward + backward (log)")
figure.suptitle(f"{model_name} on {machine_description(device)}; FovEx T={fixations}, K={steps}", fontsize=9)
plt.show()

# %% [markdown]
# ## The full benchmark
#
# `make benchmark` (or `benchmarks/run.py --preset full`) measures every explainer on the bundled model,
# ResNet-50 and ViT-B/16 (random weights: speed does not depend on weight values) and FovEx at batch
# sizes 1 to 64.

# %% tags=["hide-input"]
path = Path(benchmark_csv)
if path.is_file():
    full = pd.read_csv(path)
    print(f"{path}: measured on {full['machine'].iloc[0]}")
    display(full[["model", "explainer", "batch_size", "seconds_per_image", "images_per_s", "ratio_to_floor",
                  "peak_memory_mb"]].round(3))
else:
    print(f"{path} not found: run `make benchmark` to produce it.")

# %% [markdown]
# ## A fast setting
#
# The `fast` preset (`fovex.FovEx(model, preset="fast")`) takes T = 5 fixations of K = 10 gradient steps
# instead of 10 × 20: 4× fewer passes. Whether its maps stay as faithful is measured, not assumed:
# insertion and deletion AUCs (exact RISE protocol) of each 50-pass candidate and of the published setting
# on the same photos, compared image by image (paired bootstrap interval of the relative difference of the
# means). Candidates: `fovex-fast` (the preset, or T = 10, K = 5 in runs made before it was chosen),
# `fovex-fast-T5K10`, `fovex-fast-lr0.2` (T = 10, K = 5, lr = 0.2).

# %% tags=["hide-input"]
from fovex.evaluate import run_study
from fovex.report import paired_relative_difference

stored = [Path(d) for d in fast_results_dirs if (Path(d) / "manifest.json").is_file()]
if stored:
    comparison = pd.concat([fovex.load_results(d) for d in stored], ignore_index=True)
    source = ", ".join(str(d) for d in stored)
else:
    dataset = "imagenet-sample" if fovex.data.is_available("imagenet-sample") else "samples"
    comparison = run_study(
        Path(results_dir) / "fast-vs-published", name=f"fast-vs-published-{profile}", model=model_name,
        explainers=[{"name": "fovex", "label": "fovex-published", "settings": {"fixations": fixations, "steps": steps}},
                    {"name": "fovex", "label": "fovex-fast", "settings": {"preset": "fast"}}],
        dataset=dataset, num_images=fast_num_images, metrics=["insertion", "deletion"],
        metric_settings={"faithfulness": {"batch_size": 16}}, device=device,
    )
    source = f"{fast_num_images} photos run here ({dataset})"
comparison = comparison[comparison["status"] == "ok"].drop_duplicates(["image_id", "explainer"])
passes = comparison.groupby("explainer")[["forward_passes", "backward_passes", "explain_seconds"]].mean()
display(passes.rename(columns={"explain_seconds": "seconds per image"}).round(3))
candidates = [label for label in passes.index if label != "fovex-published"]
rows = []
for label in candidates:
    for metric in ("insertion_auc", "deletion_auc"):
        result = paired_relative_difference(comparison, metric, label, "fovex-published")
        rows.append({"candidate": label, "metric": metric, "candidate mean": result[label],
                     "published mean": result["fovex-published"],
                     "difference (AUC points)": result[label] - result["fovex-published"],
                     "difference %": result["difference_pct"],
                     "95 % interval %": f"[{result['ci_low_pct']:.2f}, {result['ci_high_pct']:.2f}]",
                     "images": result["n"]})
print(f"{model_name}; results from {source}; exact RISE protocol (224 steps). "
      "Insertion: higher is better; deletion: lower is better.")
pd.DataFrame(rows).set_index(["candidate", "metric"]).round(4)
