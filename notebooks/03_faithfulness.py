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
# insertion are better. A mean's interval is its 95 % bootstrap interval; a comparison's word and interval
# come from the study's judged table, one standard for the whole book ({doc}`00_findings` says which).
#
# The first part shows **the study**: its measurements (computed by `fovex study run`; the committed
# study's are exported into `book/measurements/`), read as they are. The second part is **computed
# while this book is built**, on a few photos, to show the pipeline and the mean curves.
#
# Score-CAM is not among the study's faithfulness methods: it is not in the published tables, and it costs
# one forward pass per channel of the last convolution per photo ({doc}`07_cost` times it). It is in the
# committed study's localisation runs.

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
from fovex.study.chapters import count, run_chapter, scored_maps, study_tables, weights_line
from fovex.study.chapters.overview import comparison_figures, comparison_tables, faithfulness_comparisons
from fovex.study.findings import for_reader, published_table, summary_table
from fovex.study.judged import judged_study
from fovex.viz import curves_figure

study = load_axis("faithfulness", prefer=source)
judged = judged_study(prefer=source)
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
    display(*study_tables(study, FAITHFULNESS_METRICS, bars=True))  # per model: the photos all its methods scored

# %% [markdown]
# FovEx against each method on the photos every method scored: the mean per-photo difference (FovEx −
# method) with its judged interval and word. An interval clear of the dashed zero line is a difference
# under the book's standard.

# %% tags=["hide-input"]
comparisons = faithfulness_comparisons(judged)  # FovEx − method, judged, per data set (and model)
display(*comparison_figures(comparisons), *comparison_tables(comparisons))

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
print(weights_line(run))
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
