"""Evaluation metrics for attribution maps and scanpaths (book/spec.md §2).

Submodules:

- :mod:`fovex.metrics.faithfulness`: %Drop / %Increase, RISE insertion and deletion.
- :mod:`fovex.metrics.substrates`: what insertion starts from and deletion leaves (RISE blur, mean).
- :mod:`fovex.metrics.localization`: pointing game, energy-based pointing game.
- :mod:`fovex.metrics.plausibility`: NSS, CC, KLD, SIM, AUC-Judd, sAUC against human gaze,
  fixation densities (the centre and random reference maps are in :mod:`fovex.explain.floors`).
- :mod:`fovex.metrics.scanpath`: DTW and string-edit scanpath comparisons with humans.

The main functions are re-exported here.
"""

from . import faithfulness, localization, plausibility, scanpath, substrates
from .faithfulness import (
    DropIncreaseResult,
    InsertionDeletionResult,
    PerturbationCurve,
    average_drop_increase,
    insertion_deletion,
)
from .localization import (
    PointingGameAccuracy,
    argmax_point,
    energy_pointing_game,
    pointing_game,
    pointing_game_accuracy,
    region_mask,
)
from .plausibility import (
    auc_judd,
    cc,
    fixation_density,
    fixation_map,
    kld,
    nss,
    saliency_ceiling,
    sauc,
    sim,
)
from .scanpath import (
    ScanpathComparison,
    compare_to_humans,
    dtw_distance,
    inter_observer_ceiling,
    string_edit_similarity,
)
from .substrates import rise_blur

__all__ = [
    "faithfulness",
    "localization",
    "plausibility",
    "scanpath",
    "substrates",
    "DropIncreaseResult",
    "InsertionDeletionResult",
    "PerturbationCurve",
    "average_drop_increase",
    "insertion_deletion",
    "rise_blur",
    "PointingGameAccuracy",
    "argmax_point",
    "energy_pointing_game",
    "pointing_game",
    "pointing_game_accuracy",
    "region_mask",
    "auc_judd",
    "cc",
    "fixation_density",
    "fixation_map",
    "kld",
    "nss",
    "sauc",
    "sim",
    "ScanpathComparison",
    "compare_to_humans",
    "dtw_distance",
    "inter_observer_ceiling",
    "saliency_ceiling",
    "string_edit_similarity",
]
