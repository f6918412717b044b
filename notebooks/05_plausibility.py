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
# The paper uses MIT1003 (its eye traces give each observer's scanpath; without its `DATA/` folder there is
# no human ceiling, and the chapter says so). The committed study runs on the eye-tracking sets in
# `../shared/data`, OSIE and the NUS 500-scene set; each is used wherever it is found.

# %% tags=["parameters"]
profile = "quick"
source = "export"  # study rows: "export" (committed, book/measurements/) or "run" (build/eval/study-* first)
ceiling_images = None  # study images whose human ceiling is computed during the build (None: all)
model_name = "efficientnet_lite0"
datasets = ["mit1003", "osie", "nus-scene500"]  # each run when found; the chapter says which are absent
num_images = 8
explainers = ["fovex", "gradcam", "rise", "centre", "random"]
explainer_settings = {}  # name -> settings; none: every method at its own defaults (the published budgets)
batch_size = 4
results_dir = "build/results/quick"
overwrite = False  # True (fovex book --overwrite): replace results of another config in results_dir
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from IPython.display import Markdown, display

import fovex
from fovex.study import chapter_opening, load_axis
from fovex.study.chapters.plausibility import (
    availability,
    ceiling_tables,
    difference_figures,
    gaze_figures,
    run_datasets,
    saliency_parts,
    scanpath_parts,
    study_ceilings,
)
from fovex.study.judged import judged_study

study = load_axis("plausibility", prefer=source)
judged = judged_study(prefer=source)
display(Markdown(chapter_opening("plausibility", prefer=source) or "No study measurements yet."))
saliency = ["nss", "cc", "kld", "sim", "auc_judd", "sauc"]
scanpaths = ["scanpath_dtw_px", "scanpath_string_edit"]

# %% [markdown]
# ## The study
#
# The study's eye-tracking sets at the study's scale, every method at its published budget (its
# measurements; the committed study's are in `book/measurements/`). `centre_scanpath` draws its *T*
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
    ceilings = study_ceilings(study, fovex.load_model(model_name).input_size, ceiling_images)  # per data set
    display(*ceiling_tables(study, ceilings, saliency, lines=True))

# %% [markdown]
# FovEx against each method on the same images, every saliency metric, per data set and pooled (the
# judged intervals; the opening's table gives the words):

# %% tags=["hide-input"]
display(*difference_figures(judged, saliency))  # one per data set, and pooled

# %% [markdown]
# Scanpaths: FovEx's against each observer's, next to the centre-bias floor and the observers' own
# agreement (the ceiling: each observer against the others, computed while this book is built, on the
# first `ceiling_images` study images; the three rows of a table are on the same images).

# %% tags=["hide-input"]
if study is not None:
    display(*ceiling_tables(study, ceilings, scanpaths, explainers=["fovex", "centre_scanpath"], axis="scanpath of"))

# %% [markdown]
# ## Computed while this book is built
#
# A small run with this chapter's parameters, for the examples below; its numbers are illustrations.

# %% tags=["hide-input"]
found, note = availability(datasets)
print(note)

# %% tags=["hide-input"]
runs = run_datasets(
    found,
    results_dir,
    profile,
    model=model_name,
    explainers=explainers,
    explainer_settings=explainer_settings,
    num_images=num_images,
    metrics=[*saliency, "scanpath_dtw", "scanpath_string_edit"],
    batch_size=batch_size,
    device=device,
    threads=threads,
    seed=seed,
    overwrite=overwrite,
)

# %% [markdown]
# ## Saliency metrics
#
# Higher is better for all but KLD. sAUC discounts the centre bias: a centre map scores ~0.5 there.

# %% tags=["hide-input"]
display(*saliency_parts(runs, saliency, model_name))  # per data set: a line, the table, the bars

# %% [markdown]
# ## Scanpaths: FovEx against people
#
# DTW: the total distance in pixels over the best monotone alignment of the two scanpaths' first *T*
# fixations (lower is closer); string edit: 1 − normalised Levenshtein distance between the sequences of
# visited cells of a 5 × 5 grid (higher is closer). The ceiling is each observer compared with the other
# observers (leave one out), cut to the same *T* fixations.

# %% tags=["hide-input"]
display(*scanpath_parts(runs, scanpaths))  # per data set: a line and the table

# %% [markdown]
# ## Examples

# %% tags=["hide-input"]
display(*gaze_figures(runs, model_name))
