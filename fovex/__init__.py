"""FovEx: explain image classifiers with foveated scanpaths (NeVA) turned into attribution maps."""

from .evaluation.reader import Run, open_run
from .evaluation.store import load_maps, load_results
from .explain import (
    Explainer,
    Explanation,
    FovEx,
    create_explainer,
    explainer,
    explainers,
    list_explainers,
    scanpath_heatmap,
)
from .io import ImageLoadError, load_image
from .models import Classifier, imagenet_class_names, list_models, load_model
from .neva import NevaSettings, neva_scanpaths

__version__ = "0.1.0"

__all__ = [
    "Classifier",
    "Explainer",
    "Explanation",
    "FovEx",
    "ImageLoadError",
    "NevaSettings",
    "Run",
    "create_explainer",
    "explainer",
    "explainers",
    "imagenet_class_names",
    "list_explainers",
    "list_models",
    "load_image",
    "load_maps",
    "load_model",
    "load_results",
    "neva_scanpaths",
    "open_run",
    "scanpath_heatmap",
]
