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
explainers = ["fovex", "gradcam", "rise", "centre", "random"]
explainer_settings = {"meaningful_perturbation": {"steps": 300}, "rise": {"masks": 4000}}  # the published budgets
batch_size = 4
results_dir = "build/results/quick"
overwrite = False  # True (fovex book --overwrite): replace results of another config in results_dir
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display

import fovex
from fovex.data import is_available
from fovex.study import chapter_opening, load_axis, observer_ceiling, run_selection
from fovex.study.chapters import run_chapter
from fovex.study.findings import ceiling_table, for_reader, paired_differences, summary_table
from fovex.viz import gaze_figure, interval_bars, paired_differences_figure

study = load_axis("plausibility", prefer=source)
display(Markdown(chapter_opening("plausibility", prefer=source) or "No study measurements yet."))
saliency = ["nss", "cc", "kld", "sim", "auc_judd", "sauc"]
scanpaths = ["scanpath_dtw_px", "scanpath_string_edit"]

# %% [markdown]
# ## The study
#
# OSIE and the 500-scene set at the study's scale, every method at its published budget (committed
# measurements, `book/measurements/study-plausibility-*.csv`). `centre_scanpath` draws its *T*
# fixations from the centre-bias density: a scanpath that knows only where people tend to look, the
# floor for the scanpath similarities.
#
# The last row of each table is people predicting people, the ceiling: each observer's fixations
# scored by the density of the other observers' fixations (leave one out, same blur of one degree,
# same sAUC negatives as the methods'), computed while this book is built on the first
# `ceiling_images` study images. It exists for the metrics that score a map at fixations (NSS,
# AUC-Judd, sAUC); CC, KLD and SIM compare a map with all observers' density, which contains the
# held-out observer, so they have no such ceiling here (`-`).

# %% tags=["hide-input"]
if study is None:
    print(
        "No study measurements yet: `fovex study run plausibility-osie plausibility-nus-scene500`, "
        "then `fovex study export`."
    )
else:
    print(study.describe())
    size = fovex.load_model(model_name).input_size
    ceilings = {}
    for (run_name, name), rows in study.ok.groupby(["run", "dataset"], sort=False):
        ids = list(dict.fromkeys(rows["image_id"]))[:ceiling_images]
        negatives = run_selection(study.provenance[run_name]["config"])  # the negatives the rows had
        ceilings[name] = observer_ceiling(name, ids, image_size=size, negatives_from=negatives)
        print(f"{name}: the human ceiling computed during this build on {len(ids)} images")
        display(
            ceiling_table(
                rows, ceilings[name], saliency, explainers=sorted(set(rows["explainer"]) - {"centre_scanpath"})
            )
            .pipe(for_reader)
            .rename_axis(f"{name}: method")
        )

# %% [markdown]
# FovEx against each method on the same images (per data set; paired 95 % bootstrap intervals):

# %% tags=["hide-input"]
if study is not None:
    for name, rows in study.ok.groupby("dataset", sort=False):
        floors = rows[~rows["explainer"].isin(["centre_scanpath"])]
        display(
            paired_differences_figure(
                paired_differences(floors, ["nss", "cc", "sauc", "kld"], unit="unit"),
                title=f"{name}: {rows['unit'].nunique()} images",
            )
        )

# %% [markdown]
# Scanpaths: FovEx's against each observer's, next to the centre-bias floor and the observers' own
# agreement (the ceiling: each observer against the others, computed while this book is built, on the
# first `ceiling_images` study images; the three rows of a table are on the same images).

# %% tags=["hide-input"]
if study is not None:
    for name, rows in study.ok.groupby("dataset", sort=False):
        table = ceiling_table(rows, ceilings[name], scanpaths, explainers=["fovex", "centre_scanpath"])
        display(for_reader(table).rename_axis(f"{name}: scanpath of"))

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
runs = {
    name: run_chapter(
        Path(results_dir) / f"plausibility-{name}",
        name=f"plausibility-{name}-{profile}",
        model=model_name,
        explainers=explainers,
        explainer_settings=explainer_settings,
        dataset=name,
        num_images=num_images,
        metrics=[*saliency, "scanpath_dtw", "scanpath_string_edit"],
        batch_size=batch_size,
        device=device,
        threads=threads,
        seed=seed,
        overwrite=overwrite,
    )
    for name in found
}

# %% [markdown]
# ## Saliency metrics
#
# Higher is better for all but KLD. sAUC discounts the centre bias: a centre map scores ~0.5 there.

# %% tags=["hide-input"]
for name, run in runs.items():
    images = run.ok["image_id"].nunique()
    print(f"{model_name} on {name}: {images} images; density σ = 1 degree of visual angle")
    display(for_reader(summary_table(run.ok, saliency, by="explainer")))
    title = f"{model_name} vs human fixations on {name}, {images} images; bars: 95 % bootstrap intervals"
    display(interval_bars(run.ok, saliency, columns=3, title=title))

# %% [markdown]
# ## Scanpaths: FovEx against people
#
# DTW: the total distance in pixels over the best monotone alignment of the two scanpaths' first *T*
# fixations (lower is closer); string edit: 1 − normalised Levenshtein distance between the sequences of
# visited cells of a 5 × 5 grid (higher is closer). The ceiling is each observer compared with the other
# observers (leave one out), cut to the same *T* fixations.

# %% tags=["hide-input"]
for name, run in runs.items():
    ids = list(dict.fromkeys(run.ok.loc[run.ok["explainer"] == "fovex", "image_id"]))
    fixations = len(next(iter(run.maps("fovex", ids=ids[:1]).values()))["fixations_xy"])  # FovEx's T
    ceiling = observer_ceiling(name, ids, image_size=run.image_size(), max_fixations=fixations)
    print(f"{name}: {len(ids)} images, the first {fixations} fixations of every scanpath")
    table = ceiling_table(run.ok, ceiling, scanpaths, explainers=["fovex", "centre_scanpath"])
    display(for_reader(table).rename_axis(f"{name}: scanpath of"))

# %% [markdown]
# ## Examples

# %% tags=["hide-input"]
for name, run in runs.items():
    shown = list(dict.fromkeys(run.ok.loc[run.ok["explainer"] == "fovex", "image_id"]))[:3]
    display(gaze_figure(run, shown, title=f"{model_name} on {name}"))
