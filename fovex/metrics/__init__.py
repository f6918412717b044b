"""Evaluation metrics for attribution maps and scanpaths (SPEC §2).

Submodules:

- :mod:`fovex.metrics.faithfulness`: %Drop / %Increase, RISE insertion and deletion.
- :mod:`fovex.metrics.localization`: pointing game, energy-based pointing game.
- :mod:`fovex.metrics.plausibility`: NSS, CC, KLD, SIM, AUC-Judd, sAUC against human gaze,
  fixation densities and the centre / random baselines.
- :mod:`fovex.metrics.scanpath`: DTW and string-edit scanpath comparisons with humans.

The main functions are re-exported here.
"""

from . import faithfulness, localization, plausibility, scanpath
from .faithfulness import (
    DropIncreaseResult,
    InsertionDeletionResult,
    PerturbationCurve,
    average_drop_increase,
    insertion_deletion,
    rise_blur,
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
    centre_bias_map,
    fixation_density,
    fixation_map,
    kld,
    nss,
    random_map,
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

__all__ = [
    "faithfulness",
    "localization",
    "plausibility",
    "scanpath",
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
    "centre_bias_map",
    "fixation_density",
    "fixation_map",
    "kld",
    "nss",
    "random_map",
    "sauc",
    "sim",
    "ScanpathComparison",
    "compare_to_humans",
    "dtw_distance",
    "inter_observer_ceiling",
    "string_edit_similarity",
]
