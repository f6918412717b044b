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
# {doc}`../methods`). Each claim is tested here on the study's measurements, on the model and data the
# study ran (the table says, per verdict, whether that is the claim's own model and data or a
# substitute): a verdict on a substitute says whether the claim carries over, not whether the paper's own
# numbers are right. Which study this book reads is stated below the parameters: by default the committed
# study (the bundled EfficientNet-Lite0 on `../shared/data`); `fovex book --profile paper` computes and
# reads the paper's own models and data.
#
# **How every word in this book is decided.** Each comparison is the mean of the per-unit differences
# (per photo; a VOC photo's classes resampled together) between two methods on the same units, with its
# bootstrap standard error (100,000 resamples). Every comparison the book puts a word to — on this page,
# in every chapter opening, table and figure — is one family, judged once under one standard (stated
# with its family size below): *better* or *worse* when the adjusted p is below the level, else *tied*,
# and the interval printed beside a word is the matching simultaneous interval. A claim is judged on what
# it claims: that FovEx ranks first (**supported** when it is better than every published rival,
# **contradicted** when it is worse than one, **inconclusive** otherwise); that it ranks last (the published
# deletion weakness: "supported" is no win); or a size ("NSS 203 % above Grad-CAM's": **contradicted** when
# the interval of the difference in % excludes the size, **supported** when it includes it and FovEx is
# better, **inconclusive** otherwise). The *rival* of a row is the published method that decides it: the
# best-placed one for "first", the worst-placed for "last", the named one for a size.

# %% tags=["parameters"]
profile = "quick"
source = "export"  # "export": the committed measurements (book/measurements/); "run": build/eval/study-* first

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from fovex.study import FAITHFULNESS_METRICS, chapter_opening, variant_outcome
from fovex.study.chapters import study_tables
from fovex.study.chapters.overview import (
    axis_standings,
    comparison_figures,
    describe_axes,
    faithfulness_comparisons,
    load_axes,
    paragraphs,
    seed_spread,
    verdicts,
    without,
)
from fovex.study.findings import findings_summary, judge_claims
from fovex.study.judged import judged_study
from fovex.study.studies import study_heading
from fovex.study.variants import spread_rows
from fovex.viz import photo_spread_figure

judged = judged_study(prefer=source)  # every comparison of the book, judged once
claims = judge_claims(judged)
display(Markdown(study_heading()))
axes = load_axes(prefer=source)  # faithfulness, localisation, plausibility
display(Markdown(findings_summary(judged, claims)))

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(verdicts(claims))

# %% [markdown]
# ## Every axis: FovEx against the best method, floors included
#
# Per data set and metric: the method with the best mean (a floor when no method beats it), FovEx's mean,
# FovEx against the best and against each floor, in the judged words; the chapters have the details.

# %% tags=["hide-input"]
display(*axis_standings(judged))

# %% [markdown]
# The faithfulness comparisons in one figure: FovEx minus each method and floor, per photo, averaged, with
# the judged (simultaneous) intervals (left of the dashed line is better for %Drop and deletion, right of
# it for %Increase and insertion).

# %% tags=["hide-input"]
display(*comparison_figures(faithfulness_comparisons(judged)))  # one per data set (and model)

# %% [markdown]
# ## Seeds
#
# FovEx's scanpath search restarts at random and RISE draws random masks: both depend on a seed. Each
# faithfulness verdict above is recomputed with FovEx's and RISE's other seeds (column *at other seeds*);
# below, how far a seed moves each method's mean, beside how far apart the methods' means are.

# %% tags=["hide-input"]
spread = seed_spread(prefer=source)
display(
    spread
    if len(spread)
    else Markdown("No seed runs yet: `fovex study run faithfulness-seeds faithfulness-rise-seeds`.")
)

# %% [markdown]
# ## What was measured

# %% tags=["hide-input"]
print(describe_axes(axes))

# %% [markdown]
# ## Faithfulness at a glance
#
# Mean over the photos every method has scored, with its 95 % bootstrap interval of the mean (an interval of
# one mean, not a comparison); lower is better for %Drop and deletion, higher for %Increase and insertion
# ({doc}`03_faithfulness` has the comparisons).

# %% tags=["hide-input"]
faithfulness = axes["faithfulness"]
if faithfulness is not None:
    display(*study_tables(faithfulness, FAITHFULNESS_METRICS))  # one table per model

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
