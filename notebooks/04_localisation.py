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
# set). The pointing game counts a hit when the map's maximum lies within the chapter's tolerance of a box
# of the class; the book's one pointing-game figure is the hit rate over (image, class) pairs, the same
# per-pair hits its comparisons use. EBPG is the share of the map's energy inside the class's boxes.
# Intervals of a mean resample whole photos (the classes of one photo are not independent); a comparison's
# word and interval come from the study's judged table ({doc}`00_findings`).

# %% tags=["parameters"]
profile = "quick"
source = "export"  # study rows: "export" (committed, book/measurements/) or "run" (build/eval/study-* first)
model_name = "efficientnet_lite0"
dataset = "voc-sample"  # voc2012 / voc2007 at full scale
num_images = None  # None: all
explainers = ["fovex", "gradcam", "gradcam++", "rise", "random", "centre"]
explainer_settings = {}  # name -> settings; none: every method at its own defaults (the published budgets)
tolerance_px = 15
batch_size = 4
results_dir = "build/results/quick"
overwrite = False  # True (fovex book --overwrite): replace results of another config in results_dir
device = "auto"
threads = None
seed = 42

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display

from fovex.data import is_available
from fovex.study import chapter_opening, load_axis
from fovex.study.chapters import count, run_chapter, weights_line
from fovex.study.chapters.localisation import (
    examples,
    judged_differences,
    localisation_tables,
    pairs_per_method,
    skipped_pairs,
    voc_mapping,
)
from fovex.study.chapters.overview import comparison_figures, comparison_tables
from fovex.study.findings import for_reader, localisation_table, pointing_by_class
from fovex.study.judged import judged_study
from fovex.viz import localisation_figure, table_heatmap

study = load_axis("localisation", prefer=source)
judged = judged_study(prefer=source)
display(Markdown(chapter_opening("localisation", prefer=source) or "No study measurements yet."))

# %% [markdown]
# ## The study
#
# Every annotated object of the study's VOC images, every explainer at its published budget (the study's
# measurements; the committed study's are in `book/measurements/`). One row per (image, VOC class
# present); the explained ImageNet class is the model's best within the VOC class's set.

# %% tags=["hide-input"]
if study is None:
    print("No study measurements yet: `fovex study run localisation`, then `fovex study export`.")
else:
    print(study.describe())
    display(*localisation_tables(study))  # one table per model
    skipped, classes = skipped_pairs(study.rows)
    print(f"skipped (no ImageNet counterpart): {skipped} (image, class) pairs: {classes}")

# %% [markdown]
# FovEx against each method on the same (image, class) pairs: the mean difference in EBPG and in
# pointing-game hits (in %), with the judged intervals and words (photos resampled whole).

# %% tags=["hide-input"]
comparisons = judged_differences(judged)  # per data set (and model)
display(*comparison_figures(comparisons, "(image, class) pairs"), *comparison_tables(comparisons))

# %% [markdown]
# ## Computed while this book is built
#
# A small run with this chapter's parameters, for the figures below; its numbers are illustrations.

# %% tags=["hide-input"]
available = is_available(dataset)
if not available:
    print(
        f"The localisation chapter needs {dataset}, which is not available here, so it shows no numbers. "
        f"Get it with `fovex data fetch {dataset}` (see `fovex data list`)."
    )

# %% tags=["hide-input"]
if available:
    run = run_chapter(
        Path(results_dir) / "localisation",
        name=f"localisation-{profile}",
        model=model_name,
        explainers=explainers,
        explainer_settings=explainer_settings,
        dataset=dataset,
        num_images=num_images,
        metrics=["pointing_game", "ebpg"],
        metric_settings={"localisation": {"tolerance_px": tolerance_px}},
        batch_size=batch_size,
        device=device,
        threads=threads,
        seed=seed,
        overwrite=overwrite,
    )
    ok = run.ok
    skipped, classes = skipped_pairs(run.results, run.explainers[0])
    protocol = (
        f"{model_name}, {dataset}: {count(ok, 'image_id')} images, "
        f"{pairs_per_method(ok)} (image, class) pairs; tolerance {tolerance_px} px"
    )
    print(protocol)
    print(weights_line(run))
    print(f"skipped (no ImageNet counterpart): {skipped} (image, class) pairs, classes {classes}")

# %% [markdown]
# ## Pointing game and EBPG

# %% tags=["hide-input"]
if available:
    display(for_reader(localisation_table(ok)))

# %% tags=["hide-input"]
if available:
    display(
        table_heatmap(pointing_by_class(ok), "pointing-game hit rate, %", title=f"per-class pointing game\n{protocol}")
    )

# %% [markdown]
# ## What the maps look like on the boxes

# %% tags=["hide-input"]
if available:
    display(localisation_figure(run, examples(ok, "fovex", 4), title=protocol))

# %% [markdown]
# The VOC → ImageNet mapping used above (classes without an ImageNet counterpart are skipped):

# %% tags=["hide-input"]
voc_mapping()
