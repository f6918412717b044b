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
# insertion are better. Intervals are 95 % bootstrap intervals of the mean over images; comparisons
# with FovEx are paired over the same images.
#
# The first part shows **the study**: its committed measurements (`book/measurements/study-faithfulness*.csv`,
# computed by `fovex study run` on `../shared/data`), read as they are. The second part is **computed
# while this book is built**, on a few photos, to show the pipeline and the mean curves.
#
# Score-CAM is not among the study's faithfulness methods: it is not in the published tables, and
# on EfficientNet-Lite0 it costs 1 + 1280 forward passes per photo: measured at about two CPU-minutes
# per photo with its metrics, while other runs shared the machine (some 6 core-hours for the 200
# photos), more than the study's budget left.
# It is in the localisation study and in {doc}`07_cost`.

# %% tags=["parameters"]
profile = "quick"
source = "export"  # study rows: "export" (committed, book/measurements/) or "run" (build/eval/study-* first)
model_name = "efficientnet_lite0"
dataset = "imagenet-sample"
fallback_dataset = "samples"  # used when `dataset` is not found (bundled photos, no download)
num_images = 8
explainers = ["fovex", "gradcam", "gradcam++", "meaningful_perturbation", "rise", "random", "centre"]
explainer_settings = {}  # name -> settings; none: every method at its own defaults (the published budgets)
batch_size = 4
step_px = None  # pixels changed per insertion/deletion step; None: the RISE reference (224 steps)
metric_batch_size = 16
results_dir = "build/results/quick"
overwrite = False  # True (fovex book --overwrite): replace results of another config in results_dir
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display

from fovex.data import first_available
from fovex.study import FAITHFULNESS_METRICS, chapter_opening, load_axis
from fovex.study.chapters import count, pair_counts, run_chapter, scored_maps
from fovex.study.findings import (
    for_reader,
    paired_differences,
    paired_differences_table,
    published_table,
    summary_table,
)
from fovex.viz import curves_figure, interval_bars, paired_differences_figure

study = load_axis("faithfulness", prefer=source)
display(Markdown(chapter_opening("faithfulness", prefer=source) or "No study measurements yet."))

# %% [markdown]
# ## The study

# %% tags=["hide-input"]
if study is None:
    print(
        "No study measurements yet: compute them with `fovex study run faithfulness faithfulness-rise`, "
        "then `fovex study export`."
    )
else:
    print(study.describe())
    paired = study.scored_by_all()  # the photos every method scored
    differences = paired_differences(study.ok, FAITHFULNESS_METRICS, unit="unit")  # each pair on the photos both scored
    display(Markdown(f"Photos scored by every method: **{count(paired)}** (the table and bars use these)."))
    display(for_reader(summary_table(paired, FAITHFULNESS_METRICS, by="explainer")))

# %% tags=["hide-input"]
if study is not None:
    display(
        interval_bars(paired, FAITHFULNESS_METRICS, title=f"{count(paired)} photos; bars: 95 % bootstrap intervals")
    )

# %% [markdown]
# FovEx against each method on the photos both scored (all the photos each pair shares, so a method
# whose run is ahead or behind does not shrink the others' comparisons): the mean per-photo
# difference (FovEx − method) and its paired 95 % bootstrap interval. An interval clear of the dashed
# zero line is a difference this sample resolves.

# %% tags=["hide-input"]
if study is not None:
    table = paired_differences_table(differences)  # FovEx − method [95 % interval], N: photos per pair
    display(paired_differences_figure(differences, title=f"paired; photos per method: {pair_counts(table)}"))
    display(for_reader(table))

# %% [markdown]
# ## Computed while this book is built
#
# A small run with this chapter's parameters (its own photos and budgets, stated below), for the mean
# deletion and insertion curves; its numbers are illustrations, not the study.

# %% tags=["hide-input"]
dataset = first_available([dataset, fallback_dataset])
run = run_chapter(
    Path(results_dir) / "faithfulness",
    name=f"faithfulness-{profile}",
    model=model_name,
    explainers=explainers,
    explainer_settings=explainer_settings,
    dataset=dataset,
    num_images=num_images,
    metrics=["drop_increase", "insertion", "deletion"],
    metric_settings={"faithfulness": {"batch_size": metric_batch_size, "step": step_px}},
    batch_size=batch_size,
    device=device,
    threads=threads,
    seed=seed,
    overwrite=overwrite,
)
images = count(run.ok, "image_id")
steps_text = "224 steps (RISE reference)" if step_px is None else f"{step_px} px per step (coarser than RISE's 224 px)"
protocol = (
    f"computed during the build: {model_name}, {dataset}, {images} images; insertion/deletion: {steps_text}, "
    "mean-colour deletion, the RISE reference's blurred insertion start, softmax score"
)
print(protocol)
display(for_reader(summary_table(run.ok, FAITHFULNESS_METRICS, by="explainer")))

# %% tags=["hide-input"]
display(curves_figure(scored_maps(run)))  # every method with rows

# %% [markdown]
# ## Published numbers (other models, other data)
#
# For orientation only: the FovEx authors' numbers for ViT-B/16 and ResNet-50 (FovEx README; the data set
# is presumably ImageNet val and the protocol is not documented). They were **not** measured here and
# are not comparable one to one with the tables above (different model, images and possibly protocol).

# %% tags=["hide-input"]
display(for_reader(published_table("resnet50")).rename_axis("published, ResNet-50"))
display(for_reader(published_table("vit_base_patch16_224")).rename_axis("published, ViT-B/16"))
