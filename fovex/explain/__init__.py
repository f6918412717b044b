"""Explainers (``fovex.explain``): one base class, one registry, one file per family.

Importing this package registers every explainer (``fovex.explainers()`` lists them):

- :mod:`~fovex.explain.fovex`: ``fovex`` (NeVA scanpath -> heat map; 1 + T*K forwards, T*K backwards).
- :mod:`~fovex.explain.cam`: ``gradcam``, ``gradcam++`` (1 + 1), ``scorecam`` (1 + K forwards).
- :mod:`~fovex.explain.perturbation`: ``meaningful_perturbation`` (steps + 1 forwards, steps
  backwards), ``rise`` (``masks`` forwards).
- :mod:`~fovex.explain.attention`: ``gae`` (timm ViTs; 1 + 1).
- :mod:`~fovex.explain.floors`: ``random``, ``centre``, ``centre_scanpath`` (no passes).

Target selection (``targets=None``) adds one forward pass, counted once by the base class.
"""

from .attention import GAE
from .base import (
    Attribution,
    Explainer,
    Explanation,
    NoSettings,
    check_images,
    create_explainer,
    display_name,
    explainer,
    explainer_class,
    explainers,
    list_explainers,
    normalize_per_image,
    register_explainer,
    resolve_targets,
)
from .cam import CamSettings, GradCAM, GradCAMPlusPlus, ScoreCAM, ScoreCamSettings, cam_target_layer
from .floors import CentreBaseline, CentreScanpath, RandomBaseline, centre_bias_map, floor_names, is_floor, random_map
from .fovex import AGGREGATIONS, PRESETS, FovEx, FovExSettings, loss_drops, scanpath_attribution, scanpath_heatmap
from .perturbation import RISE, MeaningfulPerturbation, MeaningfulPerturbationSettings, RiseSettings

__all__ = [
    "AGGREGATIONS",
    "PRESETS",
    "Attribution",
    "CamSettings",
    "CentreBaseline",
    "CentreScanpath",
    "Explainer",
    "Explanation",
    "FovEx",
    "FovExSettings",
    "GAE",
    "GradCAM",
    "GradCAMPlusPlus",
    "MeaningfulPerturbation",
    "MeaningfulPerturbationSettings",
    "NoSettings",
    "RISE",
    "RandomBaseline",
    "RiseSettings",
    "ScoreCAM",
    "ScoreCamSettings",
    "cam_target_layer",
    "centre_bias_map",
    "check_images",
    "display_name",
    "explainer",
    "explainer_class",
    "explainers",
    "floor_names",
    "is_floor",
    "list_explainers",
    "create_explainer",
    "loss_drops",
    "normalize_per_image",
    "random_map",
    "register_explainer",
    "resolve_targets",
    "scanpath_attribution",
    "scanpath_heatmap",
]
