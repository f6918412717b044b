"""The evaluation engine behind ``fovex evaluate`` (``python -m fovex.evaluation``, torchrun-aware).

- :mod:`~fovex.evaluation.config`: parse and validate configs (:func:`load_config`, :class:`ConfigError`).
- :mod:`~fovex.evaluation.plan`: the selection, its batches, the explanations per image (VOC classes).
- :mod:`~fovex.evaluation.scoring`: metric names, which data sets they apply to, how rows are scored.
- :mod:`~fovex.evaluation.schema`: row columns and the arrays stored with the maps.
- :mod:`~fovex.evaluation.runner`: the loop and :func:`run` (resumable, sharded over ranks).
- :mod:`~fovex.evaluation.manifest`, :mod:`~fovex.evaluation.provenance`: what a run records.
- :mod:`~fovex.evaluation.summary`: :func:`summarize`, means per model x explainer.
- :mod:`~fovex.evaluation.command`: the command line; :mod:`~fovex.evaluation.distributed`: ranks, devices.

Read results with :func:`fovex.open_run` (:mod:`~fovex.evaluation.reader`), or with
:func:`fovex.evaluation.store.load_results` / :func:`~fovex.evaluation.store.load_maps`.
"""

from .config import CONFIG_VERSION, ConfigError, EvalConfig, EvaluationError, load_config
from .plan import spread_order
from .runner import run
from .schema import row_columns
from .scoring import COLUMN_NAMES, DATASET_KINDS, DEFAULT_METRICS, METRICS, VALID_METRICS, metric_label, metric_name
from .summary import summarize

__all__ = [
    "COLUMN_NAMES",
    "CONFIG_VERSION",
    "DATASET_KINDS",
    "DEFAULT_METRICS",
    "METRICS",
    "VALID_METRICS",
    "ConfigError",
    "EvalConfig",
    "EvaluationError",
    "load_config",
    "metric_label",
    "metric_name",
    "row_columns",
    "run",
    "spread_order",
    "summarize",
]
