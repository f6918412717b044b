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
# tables (Grad-CAM, Grad-CAM++, Meaningful Perturbation, RISE; random and centre maps are floors,
# not rivals) on the same images: the mean of the per-image differences with its 95 % paired
# bootstrap interval. **Supported**: FovEx is better than every rival (each interval excludes 0);
# **contradicted**: it is worse than at least one (an interval excludes 0 on the other side);
# **inconclusive**: otherwise. No correction for multiple comparisons.

# %% tags=["parameters"]
profile = "quick"
source = "export"  # "export": the committed measurements (book/measurements/); "run": build/eval/study-* first

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from fovex.report import findings_summary, paired_differences, summary_table
from fovex.study import FAITHFULNESS_METRICS, chapter_opening, findings, load_axis, variant_outcome
from fovex.viz import METRIC_LABELS, paired_differences_figure

claims = findings(prefer=source)
axes = {axis: load_axis(axis, prefer=source) for axis in ("faithfulness", "localisation", "plausibility")}
display(Markdown(findings_summary(claims)))

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(claims.set_index("claim"))

# %% [markdown]
# The faithfulness verdicts in one figure: FovEx minus each rival, per photo, averaged, with paired 95 %
# bootstrap intervals (left of the dashed line is better for %Drop and deletion, right of it for
# %Increase and insertion).

# %% tags=["hide-input"]
if axes["faithfulness"] is not None:
    rivals = axes["faithfulness"].ok[~axes["faithfulness"].ok["explainer"].isin(["random", "centre"])]
    differences = paired_differences(rivals, FAITHFULNESS_METRICS, unit="unit")
    display(paired_differences_figure(differences, title="the study's faithfulness photos, paired per rival"))

# %% [markdown]
# ## What was measured

# %% tags=["hide-input"]
for axis, study in axes.items():
    if study is None:
        print(f"{axis}: no study run yet (compute it with `fovex study run`)")
        continue
    print(study.describe())

# %% [markdown]
# ## Faithfulness at a glance
#
# Mean over the photos every method has scored, with its 95 % bootstrap interval; lower is better
# for %Drop and deletion, higher for %Increase and insertion ({doc}`03_faithfulness` has the paired
# comparisons).

# %% tags=["hide-input"]
faithfulness = axes["faithfulness"]
if faithfulness is not None:
    display(
        summary_table(faithfulness.scored_by_all(), FAITHFULNESS_METRICS, by="explainer").rename(columns=METRIC_LABELS)
    )

# %% [markdown]
# ## Beyond the claims: why FovEx's %Drop is high, the fovea's size, a variant for deletion
#
# %Drop multiplies the image by the map, so it rewards maps that keep much of the image; the
# fovea's $s$ sets how much of the image one fixation sees; and a map variant chosen on development
# photos by a rule stated in advance is FovEx's attempt at its weak deletion.
# {doc}`02_receptive_field` has the tables, the paired differences and the figures.

# %% tags=["hide-input"]
opening = chapter_opening("receptive-field", prefer=source)
outcome = variant_outcome()
display(Markdown("\n\n".join(part for part in (opening, outcome) if part) or "No receptive-field measurements yet."))
