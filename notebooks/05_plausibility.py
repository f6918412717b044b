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
# # Plausibility: explanations against human gaze
#
# Do explanations look where people look? Maps are compared with the fixations of human observers
# freely viewing the same images (all observers pooled) using NSS, CC, KLD, SIM, AUC-Judd and shuffled
# AUC ({doc}`../methods`), next to a centre-bias map and a random map. FovEx also produces a scanpath,
# which is compared with each observer's scanpath (DTW in pixels, string edit on a 5 × 5 grid); the
# observers' agreement with each other is the ceiling.
#
# The paper uses MIT1003; when it is absent, this chapter runs on the real eye-tracking sets in
# `../shared/data`: OSIE (700 images × 15 observers) and the NUS 500-scene set (~12 observers).

# %% tags=["parameters"]
profile = "quick"
source = "export"  # study rows: "export" (committed, book/measurements/) or "run" (build/eval/study-* first)
ceiling_images = None  # study images whose human ceiling is computed during the build (None: all)
model_name = "efficientnet_lite0"
datasets = ["mit1003", "osie", "nus-scene500"]  # each run when found; the chapter says which are absent
num_images = 8
explainers = [
    {"name": "fovex"},
    {"name": "gradcam"},
    {"name": "rise", "settings": {"masks": 4000}},
    {"name": "centre"},
    {"name": "random"},
]
batch_size = 4
results_dir = "build/results/quick"
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import fovex
from fovex.data import is_available, open_dataset
from fovex.evaluate import run_study
from fovex.metrics.scanpath import inter_observer_ceiling
from fovex.report import paired_differences, summary_table
from fovex.study import load_axis, observer_ceiling
from fovex.viz import METRIC_LABELS, paired_differences_figure, plot_attribution, plot_scanpath

study = load_axis("plausibility", prefer=source)
saliency = ["nss", "cc", "kld", "sim", "auc_judd", "sauc"]

# %% [markdown]
# ## The study
#
# OSIE and the 500-scene set at the study's scale, every method at its published budget (committed
# measurements, `book/measurements/study-plausibility-*.csv`). `centre_scanpath` draws its *T*
# fixations from the centre-bias density: a scanpath that knows only where people tend to look, the
# floor for the scanpath similarities.

# %% tags=["hide-input"]
if study is None:
    print("No study measurements yet: `fovex study run plausibility-osie plausibility-nus-scene500`, "
          "then `fovex study export`.")
else:
    print(study.describe())
    for name, rows in study.ok.groupby("dataset", sort=False):
        display(summary_table(rows, saliency, by="explainer").rename(columns=METRIC_LABELS)
                .rename_axis(f"{name}: explainer"))  # fmt: skip

# %% [markdown]
# FovEx against each method on the same images (per data set; paired 95 % bootstrap intervals):

# %% tags=["hide-input"]
if study is not None:
    for name, rows in study.ok.groupby("dataset", sort=False):
        floors = rows[~rows["explainer"].isin(["centre_scanpath"])]
        paired_differences_figure(paired_differences(floors, ["nss", "cc", "sauc", "kld"], unit="unit"),
                                  title=f"{name}: {rows['unit'].nunique()} images")  # fmt: skip
        plt.show()

# %% [markdown]
# Scanpaths: FovEx's against each observer's, next to the centre-bias floor and the observers' own
# agreement (the ceiling: each observer against the others, computed while this book is built, on the
# first `ceiling_images` study images; the three rows of a table are on the same images).

# %% tags=["hide-input"]
if study is not None:
    size = fovex.load_model(model_name).input_size
    for name, rows in study.ok.groupby("dataset", sort=False):
        paths = rows[rows["explainer"].isin(["fovex", "centre_scanpath"])]
        ids = list(dict.fromkeys(paths["image_id"]))[:ceiling_images]
        ceiling = observer_ceiling(name, ids, image_size=size).assign(explainer="humans (leave one out)")
        table = summary_table(pd.concat([paths[paths["image_id"].isin(ids)], ceiling]),
                              ["scanpath_dtw_px", "scanpath_string_edit"], by="explainer")  # fmt: skip
        print(f"{name}: {len(ids)} images (the human ceiling computed during this build)")
        display(table.rename(columns=METRIC_LABELS).rename_axis(f"{name}: scanpath of"))

# %% [markdown]
# ## Computed while this book is built
#
# A small run with this chapter's parameters, for the examples below; its numbers are illustrations.

# %% tags=["hide-input"]

found = [name for name in datasets if is_available(name)]
for name in sorted(set(datasets) - set(found)):
    print(f"{name}: not available here, no numbers shown for it (get it with `fovex data fetch {name}`).")
print(f"running on: {found}")

# %% tags=["hide-input"]
metrics = ["nss", "cc", "kld", "sim", "auc_judd", "sauc", "scanpath_dtw", "scanpath_string_edit"]
results = {}
for name in found:
    out = Path(results_dir) / f"plausibility-{name}"
    frame = run_study(
        out, name=f"plausibility-{name}-{profile}", model=model_name, explainers=explainers, dataset=name,
        num_images=num_images, metrics=metrics, batch_size=batch_size, device=device, threads=threads, seed=seed,
    )
    results[name] = (out, frame[frame["status"] == "ok"])

# %% [markdown]
# ## Saliency metrics
#
# Higher is better for all but KLD. sAUC discounts the centre bias: a centre map scores ~0.5 there.

# %% tags=["hide-input"]
columns = ["nss", "cc", "kld", "sim", "auc_judd", "sauc"]
for name, (out, ok) in results.items():
    print(f"{model_name} on {name}: {ok['image_id'].nunique()} images; density σ = 1 degree of visual angle")
    display(summary_table(ok, columns, by="explainer"))

# %% tags=["hide-input"]
for name, (out, ok) in results.items():
    figure, axes = plt.subplots(1, len(columns), figsize=(2.3 * len(columns), 3), constrained_layout=True)
    order = list(dict.fromkeys(ok["explainer"]))
    for axis, metric in zip(axes, columns):
        means = [ok.loc[ok["explainer"] == e, metric].mean() for e in order]
        axis.barh(order, means, color=["tab:red" if e == "fovex" else "tab:gray" for e in order])
        axis.invert_yaxis()
        axis.set_title(metric + (" ↓" if metric == "kld" else " ↑"), fontsize=9)
        if metric != columns[0]:
            axis.set_yticklabels([])
    figure.suptitle(f"{model_name} vs human fixations on {name} ({ok['image_id'].nunique()} images)", fontsize=9)
    plt.show()

# %% [markdown]
# ## Scanpaths: FovEx against people
#
# DTW: the total distance in pixels over the best monotone alignment of the two scanpaths' first *T*
# fixations (lower is closer); string edit: 1 − normalised Levenshtein distance between the sequences of
# visited cells of a 5 × 5 grid (higher is closer). The ceiling is each observer compared with the other
# observers (leave one out), cut to the same *T* fixations.

# %% tags=["hide-input"]
for name, (out, ok) in results.items():
    fovex_rows = ok[ok["explainer"] == "fovex"]
    samples = open_dataset(name, image_size=fovex.load_model(model_name).input_size)
    by_id = {samples[i].id: samples[i] for i in range(min(len(samples), num_images or len(samples)))}
    ceilings = []
    for image_id in fovex_rows["image_id"]:
        humans = [path for path in by_id[image_id].fixations.scanpaths().values() if len(path)]
        steps = int(fovex.load_maps(out, model=model_name, explainer="fovex")[image_id]["fixations_xy"].shape[0])
        ceilings.append({
            "image_id": image_id,
            "human_dtw_px": inter_observer_ceiling(humans, "dtw", max_fixations=steps).mean,
            "human_string_edit": inter_observer_ceiling(humans, "string_edit", max_fixations=steps, grid=5,
                                                        image_shape=tuple(by_id[image_id].image.shape[-2:])).mean,
        })
    ceiling = pd.DataFrame(ceilings)
    table = pd.DataFrame({
        "FovEx vs humans": [fovex_rows["scanpath_dtw_px"].mean(), fovex_rows["scanpath_string_edit"].mean()],
        "human vs humans (ceiling)": [ceiling["human_dtw_px"].mean(), ceiling["human_string_edit"].mean()],
    }, index=["DTW, px ↓", "string edit ↑"])
    print(f"{name}: {len(fovex_rows)} images")
    display(table.round(3))

# %% [markdown]
# ## Examples

# %% tags=["hide-input"]
for name, (out, ok) in results.items():
    samples = open_dataset(name, image_size=fovex.load_model(model_name).input_size)
    by_id = {samples[i].id: samples[i] for i in range(min(len(samples), num_images or len(samples)))}
    fovex_maps = fovex.load_maps(out, model=model_name, explainer="fovex")
    shown = list(fovex_maps)[:3]
    figure, axes = plt.subplots(len(shown), 3, figsize=(7.5, 2.5 * len(shown)), squeeze=False, constrained_layout=True)
    for r, image_id in enumerate(shown):
        sample = by_id[image_id]
        axes[r, 0].imshow(sample.density, cmap="magma")
        axes[r, 0].set_axis_off()
        axes[r, 0].set_title(f"{image_id}: human density", fontsize=8)
        plot_attribution(axes[r, 1], sample.image, torch.as_tensor(fovex_maps[image_id]["attribution"].astype(np.float32)))
        axes[r, 1].set_title("FovEx map", fontsize=8)
        plot_scanpath(axes[r, 2], sample.image, torch.as_tensor(fovex_maps[image_id]["fixations_xy"]))
        first = next(iter(sample.fixations.scanpaths().values()))
        axes[r, 2].plot(first[:, 0], first[:, 1], "c.-", linewidth=1, label="observer 1")
        axes[r, 2].set_title("FovEx (yellow) and one observer (cyan)", fontsize=8)
    figure.suptitle(f"{model_name} on {name}", fontsize=9)
    plt.show()
