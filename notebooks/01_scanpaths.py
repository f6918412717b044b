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
device = "cpu"

# %% tags=["hide-input"]
import torch
from IPython.display import display

import fovex
from fovex.data import open_dataset
from fovex.viz import comparison_grid
from fovex.widgets import replay_figure

torch.manual_seed(seed)
model = fovex.load_model(model_name, device=device)
samples = open_dataset(dataset, image_size=model.input_size)
samples = [samples[i] for i in range(min(max_images, len(samples)))]
images = torch.stack([s.image for s in samples]).to(device)
fovex_settings = {"fixations": fixations, "steps": steps, "seed": seed}
print(
    f"model: {model_name}; data: {dataset}, {len(samples)} images at {model.input_size} px; "
    f"FovEx T={fixations}, K={steps}, seed {seed}"
)

# %% [markdown]
# ## A scanpath, fixation by fixation
#
# Each panel shows the attribution built from the first *t* fixations (published sum of Gaussians,
# heat-map $s = 0.15$) and the numbered scanpath so far.

# %% tags=["hide-input"]
explanation = fovex.explainer("fovex", model, **fovex_settings).explain(images)
names = [model.class_names[int(t)] for t in explanation.targets]
for index in range(len(samples)):
    figure = replay_figure(
        images[index], explanation[index], title=f"{samples[index].id}: {names[index]} ({model_name})"
    )
    display(figure)

# %% [markdown]
# ## FovEx next to the baselines
#
# All maps explain the model's top-1 class and are min-max normalised per image.

# %% tags=["hide-input"]
attributions = {"fovex": explanation.attribution.cpu()}
scanpaths = {"fovex": explanation.fixations_xy.cpu()}
available = fovex.explainers()
for name in baselines:
    if name not in available:
        print(f"{name}: not registered in this version of fovex, skipped")
        continue
    result = fovex.explainer(name, model, **explainer_settings.get(name, {})).explain(images, explanation.targets)
    attributions[name] = result.attribution.cpu()
title = f"{model_name}, {dataset}: top-1 class explained"
display(comparison_grid(images.cpu(), attributions, row_titles=names, fixations_xy=scanpaths, title=title))

# %% [markdown]
# ## Class-specific explanations
#
# The same image explained for its top-1 and its top-2 class: FovEx looks for different evidence.

# %% tags=["hide-input"]
with torch.no_grad():
    top2 = model(images[:1]).topk(2, dim=1).indices[0]
pair = images[:1].expand(2, -1, -1, -1)
class_specific = fovex.explainer("fovex", model, **fovex_settings).explain(pair, top2)
titles = [f"{model.class_names[int(c)]} ({int(c)})" for c in top2]
figure = comparison_grid(
    pair.cpu(),
    {"fovex": class_specific.attribution.cpu()},
    row_titles=titles,
    fixations_xy={"fovex": class_specific.fixations_xy.cpu()},
    title=f"{samples[0].id}: top-1 vs top-2 class ({model_name})",
)
display(figure)
difference = (class_specific.attribution[0] - class_specific.attribution[1]).abs().mean()
print(f"mean absolute difference between the two maps: {float(difference):.3f}")

# %% [markdown]
# ## ResNet-50 and ViT-B/16
#
# These need timm's pretrained ImageNet weights (Hugging Face hub or a local checkpoint). Where the
# weights cannot be loaded, nothing is shown for that model: FovEx never substitutes another model.

# %% tags=["hide-input"]
for name in other_models:
    try:
        other = fovex.load_model(name, device=device)
    except RuntimeError as error:
        print(f"{name}: pretrained weights not available here, not shown.\n  {str(error)[:300]}")
        continue
    other_images = torch.stack([fovex.load_image(s.path, other.input_size) for s in samples]).to(device)
    result = fovex.explainer("fovex", other, **fovex_settings).explain(other_images)
    labels = [other.class_names[int(t)] for t in result.targets]
    figure = comparison_grid(
        other_images.cpu(),
        {"fovex": result.attribution.cpu()},
        row_titles=labels,
        fixations_xy={"fovex": result.fixations_xy.cpu()},
        title=f"{name}, {dataset}",
    )
    display(figure)
