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
# # Findings: the published claims, tested
#
# The FovEx paper makes claims about ResNet-50 and ViT-B/16 on ImageNet and MIT1003 (see
# {doc}`../methods`). **This study runs on another model and other data**: the bundled
# EfficientNet-Lite0 (the only ImageNet classifier whose pretrained weights install offline here) on
# the real photos and eye-tracking sets of `../shared/data`, at the published settings and budgets
# (FovEx T = 10, K = 20, seed 42; Meaningful Perturbation 300 steps; RISE 4000 masks;
# insertion/deletion with the RISE protocol, differences named on the methods page). A verdict here
# says whether the claim carries over to this model and data, not whether the paper's own numbers are right.
#
# How a verdict is reached: for each claim, FovEx is compared with every method of the published
# tables (Grad-CAM, Grad-CAM++, Meaningful Perturbation, RISE) and with the floors (the random map,
# the centre map and, for NSS, the centre scanpath) on the same images: the mean of the per-image
# differences with its 95 % paired bootstrap interval (100,000 resamples of the photos; a VOC photo's
# classes are resampled together) and a two-sided p-value (the difference over its bootstrap standard
# error). **The page makes many
# comparisons, so each p is Holm-adjusted over all of them** (the count is in the first line below), and
# a comparison counts as a difference only at Holm-adjusted p < 0.05. **Supported**: FovEx is better
# than every rival; **contradicted**: it is worse than at least one; **inconclusive**: otherwise. The
# deletion claim is the published tables' own finding *against* FovEx (its deletion AUC is the
# highest): its "supported" is no win. NSS is judged on OSIE and the 500-scene set pooled and on each.

# %% tags=["parameters"]
profile = "quick"
source = "export"  # "export": the committed measurements (book/measurements/); "run": build/eval/study-* first

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from fovex.study import FAITHFULNESS_METRICS, chapter_opening, findings, variant_outcome
from fovex.study.chapters.overview import (
    describe_axes,
    faithfulness_comparisons,
    load_axes,
    paragraphs,
    verdicts,
    without,
)
from fovex.study.findings import findings_summary, for_reader, summary_table
from fovex.study.openings import spread_rows
from fovex.viz import paired_differences_figure, photo_spread_figure

claims, comparisons = findings(prefer=source)
axes = load_axes(prefer=source)  # faithfulness, localisation, plausibility
display(Markdown(findings_summary(claims, comparisons=len(comparisons))))

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(verdicts(claims))

# %% [markdown]
# The faithfulness verdicts in one figure: FovEx minus each rival and floor, per photo, averaged, with
# paired 95 % bootstrap intervals (left of the dashed line is better for %Drop and deletion, right of it for
# %Increase and insertion).

# %% tags=["hide-input"]
if axes["faithfulness"] is not None:
    differences = faithfulness_comparisons(comparisons)
    display(paired_differences_figure(differences, title="the study's faithfulness photos"))

# %% [markdown]
# ## What was measured

# %% tags=["hide-input"]
print(describe_axes(axes))

# %% [markdown]
# ## Faithfulness at a glance
#
# Mean over the photos every method has scored, with its 95 % bootstrap interval; lower is better
# for %Drop and deletion, higher for %Increase and insertion ({doc}`03_faithfulness` has the paired
# comparisons).

# %% tags=["hide-input"]
faithfulness = axes["faithfulness"]
if faithfulness is not None:
    display(for_reader(summary_table(faithfulness.scored_by_all(), FAITHFULNESS_METRICS, by="explainer")))

# %% [markdown]
# ## Beyond the claims: why FovEx's %Drop is high, the fovea's size, a variant for deletion
#
# %Drop multiplies the image by the map, so a map that keeps more of the image may drop less; whether
# it does is measured below, per photo, not assumed: across methods the relation need not be monotone.
# The fovea's $s$ sets how much of the image one fixation sees; and a map variant chosen on development
# photos by a rule stated in advance is FovEx's attempt at its weak deletion.
# {doc}`02_receptive_field` has the tables, the paired differences and the figures.

# %% tags=["hide-input"]
opening = chapter_opening("receptive-field", prefer=source)
outcome = variant_outcome()
display(Markdown(paragraphs(opening, outcome) or "No receptive-field measurements yet."))

# %% [markdown]
# Each photo's %Drop against the mean value of its map, for every method whose map means were recorded
# (large markers: the method's means).

# %% tags=["hide-input"]
spread = spread_rows(prefer=source)
if spread is not None:
    display(photo_spread_figure(without(spread), title="per photo"))  # every method but the floors
