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
source = "export"  # study rows: "export" (committed, book/measurements/) or "run" (build/eval/study-* first)
model_name = "efficientnet_lite0"
explainers = ["fovex", "gradcam", "gradcam++", "scorecam", "meaningful_perturbation", "rise", "random", "centre"]
explainer_settings = {}  # name -> settings; none: every method at its own defaults (the published budgets)
batch_size = 2
fovex_batch_sizes = [1, 2]
fixations = 10
steps = 20
device = "auto"  # a GPU when there is one
benchmark_csv = "build/benchmarks/cpu.csv"
compute_fast = False  # True: compare the presets on a few photos here instead of reading the study's runs
fast_num_images = 4  # when compared here: this many photos
fast_step_px = None  # ... and this many pixels per insertion/deletion step (None: the RISE reference's 224 steps)
results_dir = "build/results/quick"
overwrite = False  # True (fovex book --overwrite): replace results of another config in results_dir
gpu_runs = "build/eval/gpu"  # the study recomputed on a GPU (`make run PROFILE=gpu`), when it is there

# %% tags=["hide-input"]
from pathlib import Path

import fovex
from fovex.benchmark import machine_description
from fovex.data import open_dataset
from fovex.study.chapters import weights_line
from fovex.study.chapters.cost import (
    agreement_view,
    cost_table,
    device_lines,
    full_benchmark,
    preset_differences,
    preset_passes,
    sample_images,
    study_cost_line,
    study_cost_table,
    time_explainers,
)
from fovex.viz import cost_figure, relative_differences_figure

model = fovex.load_model(model_name, device=device)
dataset = open_dataset("samples", image_size=model.input_size)
count = max([batch_size, *fovex_batch_sizes])
images = sample_images(dataset, count, device)
machine = machine_description(device)
print(f"machine: {machine}; model {model_name}; {count} bundled sample photos at {model.input_size} px")
print(weights_line(model))

# %% tags=["hide-input"]
fovex_settings = {"fixations": fixations, "steps": steps}  # under the profile's explainer_settings
cost, skipped = time_explainers(
    model, images, explainers, explainer_settings, fovex_settings, fovex_batch_sizes, batch_size
)
if skipped:
    print(skipped)
cost_table(cost)

# %% tags=["hide-input"]
display(cost_figure(cost, title=f"{model_name} on {machine}; FovEx T={fixations}, K={steps}"))

# %% [markdown]
# ## The full benchmark
#
# `make benchmark` (or `benchmarks/run.py --preset full`) measures every explainer on the bundled model,
# ResNet-50 and ViT-B/16 (random weights: speed does not depend on weight values) and FovEx at batch
# sizes 1 to 64. `tflops_per_s` is the FLOP count of the explainer's model passes (2 per multiply-add,
# input gradients only) over its time; `fraction_of_peak` divides it by the GPU's data-sheet peak for
# the dtype (`--dtype bfloat16` runs FovEx under autocast); CPUs have no peak in the table.

# %% tags=["hide-input"]
full = full_benchmark(benchmark_csv)  # (table, machine), None when the CSV is not there
if full is None:
    print(f"{Path(benchmark_csv)} not found: run `make benchmark` to produce it.")
else:
    print(f"{Path(benchmark_csv)}: measured on {full[1]}")
    display(full[0])

# %% [markdown]
# ## The study's own cost
#
# What each run of the study has cost so far and what it still needs, summed from the seconds every
# study row records (the wall clock of its explanation and of its metrics; the runs ran one process per
# core of the 2-core CPU machine their provenance names). *left* projects the images not reached yet at
# the run's current rate, the median cost of its last 20 images. The map variants re-score stored
# scanpaths and record no seconds, so they are not listed.

# %% tags=["hide-input"]
from fovex.study import study_cost
from fovex.viz import study_cost_figure

study_costs = study_cost(prefer=source)
display(study_cost_table(study_costs))
print(study_cost_line(study_costs))
display(study_cost_figure(study_costs, title="the study's runs: hours of one CPU core"))

# %% [markdown]
# ## A fast setting
#
# The `fast` preset (`fovex.FovEx(model, preset="fast")`) takes T = 6 fixations of K = 8 gradient steps
# instead of 10 × 20: 48 passes instead of 200, 4.2× fewer. Whether its maps stay as faithful is measured,
# not assumed: insertion and deletion AUCs (224 steps, the RISE protocol with the differences named on the
# methods page) of the fast preset and of the published setting on the same photos, compared image by image
# (difference of the means in % of the published mean, with the judged interval and word).
#
# `fovex-published-seed43` is the published setting itself with another seed: NeVA's random restarts make
# scanpaths seed-dependent, and its row shows how much the AUCs move for that reason alone. Its run used the
# older insertion substrate, so it is compared with the published setting's rows *of that substrate, on the
# same photos*; every comparison below pairs only rows scored under the same metric settings (a
# comparison of rows whose settings differ is refused), and each line names its settings. What was
# measured so far (each run stopped at the N it names; a comparison at the N reached is a finding at that
# N, not an established one):

# %% tags=["hide-input"]
from IPython.display import Markdown

from fovex.study.chapters import run_chapter
from fovex.study.chapters.cost import preset_finding, preset_judged
from fovex.study.judged import judged_study
from fovex.study.presets import compare_presets, preset_sources

presets = None if compute_fast else compare_presets(preset_sources(source), reference="fovex-published")
judged = judged_study(prefer=source)
if presets is None:  # no committed comparison: a small one computed here, judged on its own
    dataset = "imagenet-sample" if fovex.data.is_available("imagenet-sample") else "samples"
    computed = run_chapter(
        Path(results_dir) / "fast-vs-published",
        name=f"fast-vs-published-{profile}",
        model=model_name,
        explainers=[
            {"name": "fovex", "label": "fovex-published", "settings": {"fixations": fixations, "steps": steps}},
            {"name": "fovex", "label": "fovex-fast", "settings": {"preset": "fast"}},
        ],
        dataset=dataset,
        num_images=fast_num_images,
        metrics=["insertion", "deletion"],
        metric_settings={"faithfulness": {"batch_size": 16, "step": fast_step_px}},
        device=device,
        overwrite=overwrite,
    )
    print(f"{fast_num_images} photos run here ({dataset}); judged as their own family")
    presets = compare_presets([[str(computed.directory)]], reference="fovex-published")
    judged = preset_judged(presets)
print("\n".join(presets.sources))
display(Markdown(preset_finding(judged, presets)))
display(preset_passes(presets.rows))
if presets.unmatched:  # e.g. the published run has not reached these photos yet
    print(f"no photos shared with the published setting under the same metric settings: {', '.join(presets.unmatched)}")
print(f"{model_name}; 224 insertion/deletion steps. Insertion: higher is better; deletion: lower is better.")

# %% tags=["hide-input"]
differences = preset_differences(judged)
if len(differences):  # one line per candidate and metric setting
    display(relative_differences_figure(differences, title="judged intervals"))
else:
    print("nothing to compare yet: no candidate shares photos with the published setting")

# %% [markdown]
# ## The study on a GPU
#
# `make run PROFILE=gpu` recomputes the whole study on one GPU into its own folder (`gpu_runs`), with the
# GPU's default fast kernels (TF32 convolutions) unless its profile asks for `deterministic: true`. Here
# those rows are set beside the committed CPU rows, per run, method and metric, on the photos both scored:
# both means, the paired difference GPU − CPU with its bootstrap 95 % interval, Pearson's r between the
# two, and the largest difference on a single photo (`max_unit` names it). Closed-form methods should agree
# to float rounding; FovEx's scanpath and Meaningful Perturbation's mask are optimisations, so float order
# can move single photos while their means agree.

# %% tags=["hide-input"]
from fovex.study import agreement_with_committed

agreement, devices = agreement_with_committed(gpu_runs)
if agreement.empty:
    print(
        f"No GPU rows: the study was not recomputed for this book ({gpu_runs} holds no run), so only the "
        "committed CPU rows appear in it. `make run PROFILE=gpu` on a GPU machine computes them."
    )
else:
    print(device_lines(devices))
    display(agreement_view(agreement))
