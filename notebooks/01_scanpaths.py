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
# # Scanpaths and explanations
#
# NeVA looks at an image one fixation at a time; each fixation goes where the sharp view most lowers
# the classifier's loss for the explained class. This chapter draws scanpaths step by step on real
# photographs, puts the FovEx map next to the established explainers, and explains the same image for
# two different classes.

# %% tags=["parameters"]
profile = "quick"
model_name = "efficientnet_lite0"
dataset = "samples"  # any fovex.data set with photos: samples, imagenet-sample, imagenet-val
max_images = 3
fixations = 10  # T
steps = 20  # K
seed = 42
baselines = ["gradcam", "gradcam++", "meaningful_perturbation", "rise"]
explainer_settings = {"rise": {"masks": 1000}, "meaningful_perturbation": {"steps": 150}}  # below the published budgets
other_models = ["resnet50", "vit_base_patch16_224"]
device = "auto"  # a GPU when there is one

# %% tags=["hide-input"]
import torch
from IPython.display import display

import fovex
from fovex.data import open_dataset
from fovex.study.chapters import explainers_for, weights_line
from fovex.study.chapters.scanpaths import (
    baseline_maps,
    class_names,
    class_titles,
    first_samples,
    map_difference,
    other_model_figures,
    replay_figures,
    stack_images,
    top_two,
)
from fovex.viz import comparison_grid

torch.manual_seed(seed)
model = fovex.load_model(model_name, device=device)
samples = first_samples(open_dataset(dataset, image_size=model.input_size), max_images)
images = stack_images(samples, device)
fovex_settings = {"fixations": fixations, "steps": steps, "seed": seed}
print(
    f"model: {model_name}; data: {dataset}, {len(samples)} images at {model.input_size} px; "
    f"FovEx T={fixations}, K={steps}, seed {seed}"
)
print(weights_line(model))

# %% [markdown]
# ## A scanpath, fixation by fixation
#
# Each panel shows the attribution built from the first *t* fixations (published sum of Gaussians,
# heat-map $s = 0.15$) and the numbered scanpath so far.

# %% tags=["hide-input"]
explanation = fovex.explainer("fovex", model, **fovex_settings).explain(images)
names = class_names(model, explanation.targets)
display(*replay_figures(images, explanation, samples, names, model_name))  # one per photo

# %% [markdown]
# ## FovEx next to the baselines
#
# All maps explain the model's top-1 class and are min-max normalised per image.

# %% tags=["hide-input"]
baselines = explainers_for(model_name, baselines)  # GAE for Grad-CAM++ on a ViT, as the published tables
maps, skipped = baseline_maps(model, images, explanation.targets, baselines, explainer_settings)
if skipped:
    print(skipped)
attributions = {"fovex": explanation.attribution.cpu(), **maps}
scanpaths = {"fovex": explanation.fixations_xy.cpu()}
title = f"{model_name}, {dataset}: top-1 class explained"
display(comparison_grid(images.cpu(), attributions, row_titles=names, fixations_xy=scanpaths, title=title))

# %% [markdown]
# ## Class-specific explanations
#
# The same image explained for its top-1 and its top-2 class: FovEx looks for different evidence.

# %% tags=["hide-input"]
top2 = top_two(model, images[:1])
pair = images[:1].expand(2, -1, -1, -1)
class_specific = fovex.explainer("fovex", model, **fovex_settings).explain(pair, top2)
titles = class_titles(model, top2)
figure = comparison_grid(
    pair.cpu(),
    {"fovex": class_specific.attribution.cpu()},
    row_titles=titles,
    fixations_xy={"fovex": class_specific.fixations_xy.cpu()},
    title=f"{samples[0].id}: top-1 vs top-2 class ({model_name})",
)
display(figure)
print(f"mean absolute difference between the two maps: {map_difference(class_specific):.3f}")

# %% [markdown]
# ## ResNet-50 and ViT-B/16
#
# These need timm's pretrained ImageNet weights (Hugging Face hub or a local checkpoint). Where the
# weights cannot be loaded, nothing is shown for that model: FovEx never substitutes another model.

# %% tags=["hide-input"]
display(*other_model_figures(other_models, samples, fovex_settings, dataset, device))  # one per model
