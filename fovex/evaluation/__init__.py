"""The evaluation engine behind ``fovex evaluate``: configs, metrics per data set, the sharded loop.

- :mod:`fovex.evaluation.config`: parse and validate configs (:func:`load_config`, :class:`ConfigError`).
- :mod:`fovex.evaluation.metrics`: metric names, which data sets they apply to, how rows are scored.
- :mod:`fovex.evaluation.runner`: :func:`run` (resumable, torchrun-aware) and :func:`summarize`.
- :mod:`fovex.evaluation.distributed`: ranks and devices from torchrun's environment.

Results are read back with :func:`fovex.store.load_results` and :func:`fovex.store.load_maps`.
"""
from .config import CONFIG_VERSION, ConfigError, EvalConfig, load_config
from .metrics import DATASET_KINDS, DEFAULT_METRICS, METRICS, VALID_METRICS
from .runner import EvaluationError, run, row_columns, summarize

__all__ = [
    "CONFIG_VERSION",
    "ConfigError",
    "EvalConfig",
    "EvaluationError",
    "DATASET_KINDS",
    "DEFAULT_METRICS",
    "METRICS",
    "VALID_METRICS",
    "load_config",
    "row_columns",
    "run",
    "summarize",
]
