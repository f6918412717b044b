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
# the sum of Gaussians at those fixations. Below, pick an **image**, an **explainer** (FovEx or one of
# the CNN baselines of the study) and, for FovEx, a **target class** (the model's top-1 or another of
# its top-5: the explanation is class-specific), then replay the scanpath with the **fixations shown**
# slider or the **replay** button: at position *n* the left panel is the heat map built from the first
# *n* fixations only, the right one the numbered scanpath up to fixation *n*. The line under the figure
# gives the explained class, the model's probability for it on the clean image, the model passes the
# explanation cost and its time when this page was built.
#
# The explorer on this page needs no kernel and no network: every view was rendered while the book was
# built, by the live explorer's own drawing code (`fovex.study.explorer_page`), and the page switches between
# them. In Jupyter, the live `fovex.widgets.Explorer` (last cell) computes explanations for any image,
# model and class you type in.

# %% tags=["parameters"]
profile = "quick"
model_name = "efficientnet_lite0"  # a name from fovex.list_models()
dataset = "imagenet-sample"  # photos in the study's spread order (every class family); else foolbox's photos
num_images = 12
image_size = None  # None: the model's input size
explainers = ["fovex", "gradcam", "gradcam++", "scorecam", "meaningful_perturbation", "rise"]
explainer_settings = {}  # name -> settings; the profile's (e.g. RISE 1000 masks) reach this chapter
other_targets = 1  # FovEx explains the top-1 and this many more of the top-5 classes
quality = 82  # WebP quality of the frames (page weight)

# %% tags=["hide-input"]
from IPython.display import HTML, display

from fovex.study.chapters import explainers_for, weights_line
from fovex.study.explorer_page import explorer_images, render_frames
from fovex.widgets import Explorer

images = explorer_images(dataset, num_images, model_name, image_size)
explainers = explainers_for(model_name, explainers)  # GAE for Grad-CAM++ and Score-CAM on a ViT
explorer = Explorer(images, [model_name], explainers=explainers, explainer_settings=explainer_settings)
frames = render_frames(explorer, other_targets=other_targets, quality=quality, progress=False)
display(HTML(frames.html()))

# %% [markdown]
# What the explorer holds: the model, the settings each explainer ran with, and the page weight.

# %% tags=["hide-input"]
print(frames.describe(model_name, explainer_settings))
print(weights_line(explorer.model(model_name)))

# %% [markdown]
# ## The live explorer (in Jupyter)
#
# With a running kernel this cell shows the same controls, computing explanations on demand: type any
# class name or index into *target* and press Enter. On this static page its output is left out.

# %% tags=["hide-input", "remove-output"]
display(explorer.widget)
