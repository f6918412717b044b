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
# # Receptive field size, number of fixations, aggregation
#
# FovEx has one scale parameter in two places: the fovea's $s$ (how much of the image one fixation
# sees sharply) and the heat map's $s$ (how much of the image one fixation claims). Both are 0.15 in
# the published setting ($\sigma \approx 30$ px at 224 px). This chapter sweeps them together, then the
# heat map's $s$ alone, the number of fixations and the aggregation of fixations into a map, and
# measures the effect on the maps and on faithfulness (RISE insertion and deletion, {doc}`../methods`).
# Only the joint sweep re-runs NeVA; the other ablations re-score the stored scanpaths.

# %% tags=["parameters"]
profile = "quick"
model_name = "efficientnet_lite0"
dataset = "imagenet-sample"
fallback_dataset = "samples"
num_images = 4
s_values = [0.05, 0.15, 0.45]
fixation_counts = [1, 2, 3, 5, 10]
aggregations = ["sum", "max", "loss_weighted"]
fixations = 10
steps = 20
batch_size = 4
step_px = None  # pixels changed per insertion/deletion step; None: the RISE reference (224 steps)
results_dir = "build/results/quick"
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import fovex
from fovex.ablation import MapVariant, rescore_scanpath_variants
from fovex.data import first_available, open_dataset
from fovex.evaluate import run_study
from fovex.foveation import fovea_sigma_px
from fovex.report import summary_table
from fovex.viz import comparison_grid

dataset = first_available([dataset, fallback_dataset])
model = fovex.load_model(model_name, device="cpu")
labels = {s: f"fovex s={s:g}" for s in s_values}
out = Path(results_dir) / "receptive-field"
results = run_study(
    out, name=f"receptive-field-{profile}", model=model_name, dataset=dataset, num_images=num_images,
    explainers=[{"name": "fovex", "label": labels[s],
                 "settings": {"fovea_s": s, "heatmap_s": s, "fixations": fixations, "steps": steps}}
                for s in s_values],
    metrics=["drop_increase", "insertion", "deletion"],
    metric_settings={"faithfulness": {"batch_size": 16, "step": step_px}},
    batch_size=batch_size, device=device, threads=threads, seed=seed,
)
ok = results[results["status"] == "ok"].copy()
ok["increase_pct"] = ok["increase"].astype(float) * 100
count = ok["image_id"].nunique()
size = model.input_size
steps_text = "224 steps" if step_px is None else f"{step_px} px per step"
protocol = f"{model_name}, {dataset}, {count} images, T={fixations}, K={steps}; insertion/deletion with {steps_text}"
print(protocol)
print({f"s={s:g}": f"σ ≈ {fovea_sigma_px(s, size):.0f} px at {size} px" for s in s_values})

# %% [markdown]
# ## Maps as the receptive field grows

# %% tags=["hide-input"]
samples = open_dataset(dataset, image_size=size)
by_id = {samples[i].id: samples[i] for i in range(min(len(samples), num_images))}
shown = list(dict.fromkeys(ok["image_id"]))[:3]
maps = {labels[s]: fovex.load_maps(out, model=model_name, explainer=labels[s]) for s in s_values}
images = torch.stack([by_id[i].image for i in shown])
figure = comparison_grid(
    images,
    {label: torch.stack([torch.as_tensor(maps[label][i]["attribution"].astype(np.float32)) for i in shown]) for label in maps},
    row_titles=shown,
    fixations_xy={label: torch.stack([torch.as_tensor(maps[label][i]["fixations_xy"]) for i in shown]) for label in maps},
)
figure.suptitle(f"fovea s = heat-map s ({model_name}, {dataset})", fontsize=9)
plt.show()

# %% tags=["hide-input"]
display(summary_table(ok, ["drop_pct", "increase_pct", "deletion_auc", "insertion_auc"], by="explainer"))
figure, axes = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
for axis, metric in zip(axes, ["deletion_auc", "insertion_auc"]):
    means = [ok.loc[ok["explainer"] == labels[s], metric].mean() for s in s_values]
    spread = [ok.loc[ok["explainer"] == labels[s], metric].sem() for s in s_values]
    axis.errorbar(s_values, means, yerr=spread, marker="o", capsize=3)
    axis.set_xscale("log")
    axis.set_xlabel("s (fovea and heat map)")
    axis.set_title(metric.replace("_auc", " AUC") + (" (lower is better)" if "deletion" in metric else " (higher is better)"), fontsize=9)
figure.suptitle(protocol + "; error bars: standard error", fontsize=8)
plt.show()

# %% [markdown]
# ## Heat-map $s$, number of fixations and aggregation
#
# Re-scored from the scanpaths of the published setting (fovea $s$ = 0.15): each variant builds a new
# map from the same fixations.

# %% tags=["hide-input"]
published = labels[0.15] if 0.15 in labels else labels[s_values[len(s_values) // 2]]
ids = list(dict.fromkeys(ok["image_id"]))
stored = fovex.load_maps(out, model=model_name, explainer=published)
targets = torch.tensor([int(stored[i]["target"]) for i in ids])
images = torch.stack([by_id[i].image for i in ids])
variants = ([MapVariant(heatmap_s=s) for s in s_values]
            + [MapVariant(upto=n) for n in fixation_counts if n < fixations]
            + [MapVariant(aggregation=a) for a in aggregations if a != "sum"])
ablation = rescore_scanpath_variants(model, images, targets, [stored[i] for i in ids], variants, image_ids=ids,
                                     step=step_px, batch_size=16)
summary = ablation.groupby("variant", sort=False)[["deletion_auc", "insertion_auc"]].agg(["mean", "sem"]).round(3)
summary

# %% tags=["hide-input"]
figure, axes = plt.subplots(1, 3, figsize=(13, 3.2), constrained_layout=True)
full = ablation[(ablation["upto"].isna()) & (ablation["aggregation"] == "sum") & (ablation["heatmap_s"] == 0.15)]
panels = [
    ("heat-map s", ablation[(ablation["aggregation"] == "sum") & ablation["upto"].isna()], "heatmap_s"),
    ("fixations used", ablation[ablation["aggregation"] == "sum"].assign(upto=lambda f: f["upto"].fillna(fixations)), "upto"),
    ("aggregation", ablation[(ablation["heatmap_s"] == 0.15) & ablation["upto"].isna()], "aggregation"),
]
for axis, (title, frame, column) in zip(axes, panels):
    if column == "heatmap_s":
        frame = frame[frame["heatmap_s"].isin(s_values)]
    if column == "upto":
        frame = frame[frame["heatmap_s"] == 0.15]
    grouped = frame.groupby(column)[["deletion_auc", "insertion_auc"]].mean()
    positions = np.arange(len(grouped))
    axis.plot(positions, grouped["insertion_auc"], "o-", label="insertion ↑")
    axis.plot(positions, grouped["deletion_auc"], "s-", label="deletion ↓")
    axis.set_xticks(positions, [str(v) for v in grouped.index])
    axis.set_title(title, fontsize=9)
axes[0].legend(fontsize=8)
figure.suptitle(f"{model_name}, {dataset}, {count} images: maps rebuilt from the published-setting scanpaths", fontsize=8)
plt.show()
