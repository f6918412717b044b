# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Explorer: replaying a FovEx scanpath
#
# FovEx explains a classifier's decision with a scanpath: NeVA moves a fovea over the blurred image,
# one fixation after the other, to where the sharp pixels help the model most, and the heat map is
# the sum of Gaussians at those fixations. This page's explorer (`fovex.widgets.Explorer`) lets you
# pick an **image**, a **model**, an **explainer** (FovEx or a baseline: Grad-CAM, Grad-CAM++, RISE,
# Meaningful Perturbation) and a **target class** (the model's top-1, one of its top-5, or any class
# name or index typed in), and replays the scanpath with the **fixations shown** slider (or the play
# button): at position *n* the overlay is the heat map built from the first *n* fixations only, next to
# the numbered scanpath up to fixation *n*. Explanations are cached, so the slider never recomputes.
#
# The live widget needs a running Python kernel (open this notebook in Jupyter). On the static page
# it shows nothing; the replay figures below it show what the slider shows, for every fixation count.

# %% tags=["parameters"]
profile = "quick"
model = "efficientnet_lite0"  # a name from fovex.list_models()
image_paths = []  # empty: labelled ImageNet photos bundled with foolbox
fixations = 10  # FovEx fixations per scanpath (T, published: 10)
steps = 20  # gradient steps per fixation (K, published: 20)
max_images = 3

# %% tags=["hide-input"]
import re
from pathlib import Path

import foolbox
from IPython.display import display

from fovex.models import imagenet_class_names
from fovex.widgets import Explorer

if not image_paths:
    # foolbox ships ImageNet validation photos named imagenet_<nr>_<label>.jpg.
    image_paths = sorted((Path(foolbox.__file__).parent / "data").glob("imagenet_*.jpg"))
paths = [Path(p) for p in image_paths][:max_images]


def image_name(path: Path) -> str:
    """File stem, plus the true ImageNet label when the name carries one."""
    match = re.fullmatch(r"imagenet_\d+_(\d+)", path.stem)
    return f"{path.stem} ({imagenet_class_names()[int(match[1])]})" if match else path.stem


images = {image_name(path): path for path in paths}
# FovEx at the chosen settings; the slower baselines get quick settings so the live explorer answers in
# seconds on a CPU (RISE: 500 masks instead of 4000; Meaningful Perturbation: 100 steps instead of 300).
explainer_settings = {
    "fovex": {"fixations": fixations, "steps": steps},
    "rise": {"masks": 500},
    "meaningful_perturbation": {"steps": 100},
}
print(f"model: {model}; FovEx: {fixations} fixations x {steps} steps; images: {', '.join(images)}")

# %% [markdown]
# ## The live explorer
#
# Needs a running kernel: in Jupyter, change the dropdowns, type a class into *target* and press
# Enter, or drag *fixations shown*. The line under the figure gives the explained class, the model's
# probability for it on the clean image, the model passes the explanation cost and its time.

# %% tags=["hide-input"]
explorer = Explorer(images, [model], explainer_settings=explainer_settings)
display(explorer.widget)

# %% [markdown]
# ## The replay, frame by frame
#
# For each image, FovEx's explanation of the model's top-1 class: the top row is the heat map of the
# first *n* fixations (min-max normalised), the bottom row the scanpath up to fixation *n*; the last
# column is the final FovEx attribution. Titles give the model, image, settings, target and its
# probability.

# %% tags=["hide-input"]
for name in images:
    explorer.image_dropdown.value = name  # what a click on the dropdown does
    display(explorer.static_figure())
explorer.image_dropdown.value = next(iter(images))  # leave the live widget on the first image (cached)
