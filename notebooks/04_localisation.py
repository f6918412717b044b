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
# # Localisation
#
# Does the map fall on the object? On PASCAL VOC images, each object class present is explained
# with an ImageNet classifier through a documented mapping from VOC classes to sets of ImageNet classes
# (`fovex.data.VOC_TO_IMAGENET`; the explained class is the highest-scoring ImageNet class within the
# set). The pointing game counts a hit when the map's maximum lies within 15 px of a box of the class
# (accuracy: mean over classes of the per-class hit rate, TorchRay's convention); EBPG is the share of
# the map's energy inside the class's boxes.

# %% tags=["parameters"]
profile = "quick"
source = "export"  # study rows: "export" (committed, book/measurements/) or "run" (build/eval/study-* first)
model_name = "efficientnet_lite0"
dataset = "voc-sample"  # voc2012 / voc2007 at full scale
num_images = None  # None: all
explainers = [
    {"name": "fovex"},
    {"name": "gradcam"},
    {"name": "gradcam++"},
    {"name": "rise", "settings": {"masks": 4000}},
    {"name": "random"},
    {"name": "centre"},
]
tolerance_px = 15
batch_size = 4
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
from fovex.data import VOC_TO_IMAGENET, is_available, open_dataset
from fovex.evaluate import run_study
from fovex.report import localisation_table, paired_differences, summary_table
from fovex.study import load_axis
from fovex.viz import paired_differences_figure, plot_attribution

study = load_axis("localisation", prefer=source)

# %% [markdown]
# ## The study
#
# Every annotated object of the shared VOC images, every CNN explainer at its published budget
# (committed measurements, `book/measurements/study-localisation.csv`). One row per (image, VOC class
# present); the explained ImageNet class is the model's best within the VOC class's set.

# %% tags=["hide-input"]
if study is None:
    print("No study measurements yet: `fovex study run localisation`, then `fovex study export`.")
else:
    print(study.describe())
    display(localisation_table(study.ok))
    skipped = study.rows[(study.rows["status"] == "skipped") & (study.rows["explainer"] == "fovex")]
    print(f"skipped (no ImageNet counterpart): {len(skipped)} (image, class) pairs: {sorted(set(skipped['object_class']))}")

# %% [markdown]
# FovEx against each method on the same (image, class) pairs: the mean difference in EBPG and in
# pointing-game hits (in %), with paired 95 % bootstrap intervals.

# %% tags=["hide-input"]
if study is not None:
    pairs = study.ok.assign(pointing_pct=study.ok["pointing_hit"].astype(float) * 100)
    paired_differences_figure(paired_differences(pairs, ["ebpg_pct", "pointing_pct"], unit="unit"),
                              title=f"{pairs['unit'].nunique()} (image, class) pairs")  # fmt: skip
    plt.show()

# %% [markdown]
# ## Computed while this book is built
#
# A small run with this chapter's parameters, for the figures below; its numbers are illustrations.

# %% tags=["hide-input"]
available = is_available(dataset)
if not available:
    print(f"The localisation chapter needs {dataset}, which is not available here, so it shows no numbers. "
          f"Get it with `fovex data fetch {dataset}` (see `fovex data list`).")

# %% tags=["hide-input"]
if available:
    out = Path(results_dir) / "localisation"
    results = run_study(
        out, name=f"localisation-{profile}", model=model_name, explainers=explainers, dataset=dataset,
        num_images=num_images, metrics=["pointing_game", "ebpg"],
        metric_settings={"localisation": {"tolerance_px": tolerance_px}},
        batch_size=batch_size, device=device, threads=threads, seed=seed,
    )
    ok = results[results["status"] == "ok"].copy()
    skipped = results[(results["status"] == "skipped") & (results["explainer"] == results["explainer"].iloc[0])]
    protocol = (f"{model_name}, {dataset}: {ok['image_id'].nunique()} images, "
                f"{len(ok) // max(1, ok['explainer'].nunique())} (image, class) pairs; tolerance {tolerance_px} px")
    print(protocol)
    print(f"skipped (no ImageNet counterpart): {len(skipped)} (image, class) pairs, "
          f"classes {sorted(set(skipped['object_class']))}")

# %% [markdown]
# ## Pointing game and EBPG

# %% tags=["hide-input"]
if available:
    accuracy = (ok.assign(hit=ok["pointing_hit"].astype(float))
                  .groupby(["explainer", "object_class"])["hit"].mean()
                  .groupby("explainer").mean() * 100)
    table = summary_table(ok, ["ebpg_pct"], by="explainer")
    table.insert(0, "pointing game % (mean over classes)", accuracy.round(1))
    display(table)

# %% tags=["hide-input"]
if available:
    per_class = (ok.assign(hit=ok["pointing_hit"].astype(float) * 100)
                   .pivot_table(index="object_class", columns="explainer", values="hit", aggfunc="mean"))
    figure, axis = plt.subplots(figsize=(9, 3.6), constrained_layout=True)
    im = axis.imshow(per_class.to_numpy(), cmap="viridis", vmin=0, vmax=100, aspect="auto")
    axis.set_xticks(range(per_class.shape[1]), per_class.columns, rotation=30, fontsize=8)
    axis.set_yticks(range(per_class.shape[0]), per_class.index, fontsize=8)
    figure.colorbar(im, ax=axis, label="pointing-game hit rate, %")
    axis.set_title(f"per-class pointing game: {protocol}", fontsize=9)
    plt.show()

# %% [markdown]
# ## What the maps look like on the boxes

# %% tags=["hide-input"]
if available:
    samples = open_dataset(dataset)
    by_id = {samples[i].id: samples[i] for i in range(len(samples))}
    shown = ok[ok["explainer"] == "fovex"].head(4)
    labels = [e.get("label", e["name"]) for e in explainers]
    maps = {label: fovex.load_maps(out, model=model_name, explainer=label) for label in labels}
    figure, axes = plt.subplots(len(shown), len(labels), figsize=(2.1 * len(labels), 2.2 * len(shown)),
                                squeeze=False, constrained_layout=True)
    for r, (_, row) in enumerate(shown.iterrows()):
        sample = by_id[row["image_id"]]
        key = f"{row['image_id']}/{row['object_class']}"
        for c, label in enumerate(labels):
            attribution = torch.as_tensor(maps[label][key]["attribution"].astype(np.float32))
            plot_attribution(axes[r, c], sample.image, attribution)
            for obj in sample.objects:
                if obj.name == row["object_class"]:
                    x0, y0, x1, y1 = obj.box
                    axes[r, c].add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="white", linewidth=1.2))
            if r == 0:
                axes[r, c].set_title(label, fontsize=9)
        axes[r, 0].set_ylabel(row["object_class"])
        axes[r, 0].text(2, 12, f"{row['object_class']} → {row['target_name']}", color="white", fontsize=7,
                        bbox={"facecolor": "black", "alpha": 0.6, "pad": 1})
    figure.suptitle(protocol, fontsize=9)
    plt.show()

# %% [markdown]
# The VOC → ImageNet mapping used above (classes without an ImageNet counterpart are skipped):

# %% tags=["hide-input"]
{voc: (len(classes) if classes else "none") for voc, classes in VOC_TO_IMAGENET.items()}
