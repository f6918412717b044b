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
# # Faithfulness
#
# Does the map point at what the model uses? %Drop and %Increase multiply the image by the map;
# deletion removes the most important pixels first and insertion restores them into a blurred copy
# (see {doc}`../methods` for the exact protocol). Lower %Drop and deletion, higher %Increase and
# insertion are better. Intervals are 95 % bootstrap intervals of the mean over images.

# %% tags=["parameters"]
profile = "quick"
model_name = "efficientnet_lite0"
dataset = "imagenet-sample"
fallback_dataset = "samples"  # used when `dataset` is not found (bundled photos, no download)
num_images = 8
explainers = [
    {"name": "fovex"},
    {"name": "gradcam"},
    {"name": "gradcam++"},
    {"name": "meaningful_perturbation", "settings": {"steps": 300}},
    {"name": "rise", "settings": {"masks": 4000}},
    {"name": "random"},
    {"name": "centre"},
]
batch_size = 4
step_px = None  # pixels changed per insertion/deletion step; None: the RISE reference (224 steps)
metric_batch_size = 16
results_dir = "build/results/quick"
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import fovex
from fovex.data import first_available
from fovex.evaluate import run_study
from fovex.report import bootstrap_ci, published_table, summary_table

dataset = first_available([dataset, fallback_dataset])
out = Path(results_dir) / "faithfulness"
results = run_study(
    out, name=f"faithfulness-{profile}", model=model_name, explainers=explainers, dataset=dataset,
    num_images=num_images, metrics=["drop_increase", "insertion", "deletion"],
    metric_settings={"faithfulness": {"batch_size": metric_batch_size, "step": step_px}},
    batch_size=batch_size, device=device, threads=threads, seed=seed,
)
ok = results[results["status"] == "ok"].copy()
ok["increase_pct"] = ok["increase"].astype(float) * 100
images = ok["image_id"].nunique()
steps_text = "224 steps (RISE reference)" if step_px is None else f"{step_px} px per step (coarser than RISE's 224 px)"
protocol = (f"{model_name}, {dataset}, {images} images; insertion/deletion: {steps_text}, mean-colour deletion, "
            f"blur k=11 σ=5 insertion, softmax score")
print(protocol)

# %% tags=["hide-input"]
metrics = ["drop_pct", "increase_pct", "deletion_auc", "insertion_auc"]
table = summary_table(ok, metrics, by="explainer")
table.columns = [{"drop_pct": "%Drop ↓", "increase_pct": "%Increase ↑", "deletion_auc": "Deletion ↓",
                  "insertion_auc": "Insertion ↑"}.get(c, c) for c in table.columns]
table

# %% tags=["hide-input"]
order = [label for label in (e.get("label", e["name"]) for e in explainers) if label in set(ok["explainer"])]
figure, axes = plt.subplots(1, 4, figsize=(14, 3.2), constrained_layout=True)
titles = {"drop_pct": "%Drop (lower is better)", "increase_pct": "%Increase (higher is better)",
          "deletion_auc": "Deletion AUC (lower is better)", "insertion_auc": "Insertion AUC (higher is better)"}
for axis, metric in zip(axes, metrics):
    means = [ok.loc[ok["explainer"] == e, metric].mean() for e in order]
    intervals = np.array([bootstrap_ci(ok.loc[ok["explainer"] == e, metric]) for e in order])
    errors = np.abs(intervals.T - np.array(means))
    colours = ["tab:red" if e == "fovex" else "tab:gray" for e in order]
    axis.barh(order, means, xerr=errors, color=colours, capsize=3)
    axis.invert_yaxis()
    axis.set_title(titles[metric], fontsize=9)
figure.suptitle(protocol, fontsize=9)
plt.show()

# %% [markdown]
# ## Mean deletion and insertion curves

# %% tags=["hide-input"]
figure, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
for explainer_label in order:
    maps = fovex.load_maps(out, model=model_name, explainer=explainer_label)
    for axis, curve in zip(axes, ["deletion_curve", "insertion_curve"]):
        curves = np.stack([entry[curve] for entry in maps.values() if curve in entry])
        fraction = np.linspace(0, 1, curves.shape[1])
        axis.plot(fraction, curves.mean(0), label=explainer_label,
                  linewidth=2.2 if explainer_label == "fovex" else 1.0)
for axis, name in zip(axes, ["deletion", "insertion"]):
    axis.set_xlabel("fraction of pixels " + ("removed" if name == "deletion" else "restored"))
    axis.set_ylabel("softmax score of the explained class")
    axis.set_title(f"{name} ({model_name}, {dataset}, {images} images)", fontsize=9)
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Published numbers (other models, other data)
#
# For orientation only: the FovEx authors' numbers for ViT-B/16 and ResNet-50 (FovEx README; the data set
# is presumably ImageNet val and the protocol is not documented). They were **not** measured here and
# are not comparable one to one with the table above (different model, images and possibly protocol).

# %% tags=["hide-input"]
display(published_table("resnet50").rename_axis("published, ResNet-50"))
display(published_table("vit_base_patch16_224").rename_axis("published, ViT-B/16"))
