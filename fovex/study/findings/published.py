"""The published FovEx numbers (book/spec.md §3)."""

from __future__ import annotations

import pandas as pd

__all__ = ["PUBLISHED", "published_table"]

# book/spec.md §3: the FovEx README's numbers (ImageNet val presumed, protocol not documented).
PUBLISHED = {
    "vit_base_patch16_224": {
        "%Drop": {
            "fovex": 13.970,
            "gradcam": 40.057,
            "gae": 86.207,
            "cls_emb": 34.862,
            "meaningful_perturbation": 29.753,
            "rise": 15.763,
            "random": 80.714,
        },
        "%Increase": {
            "fovex": 30.389,
            "gradcam": 11.469,
            "gae": 0.799,
            "cls_emb": 13.329,
            "meaningful_perturbation": 20.549,
            "rise": 22.189,
            "random": 1.789,
        },
        "Deletion": {
            "fovex": 0.240,
            "gradcam": 0.157,
            "gae": 0.172,
            "cls_emb": 0.155,
            "meaningful_perturbation": 0.200,
            "rise": 0.158,
            "random": 0.395,
        },
        "Insertion": {
            "fovex": 0.840,
            "gradcam": 0.818,
            "gae": 0.806,
            "cls_emb": 0.817,
            "meaningful_perturbation": 0.674,
            "rise": 0.782,
            "random": 0.682,
        },
        "EBPG": {
            "fovex": 47.705,
            "gradcam": 41.667,
            "gae": 39.812,
            "cls_emb": 39.350,
            "meaningful_perturbation": 40.646,
            "rise": 42.633,
            "random": 35.708,
        },
    },
    "resnet50": {
        "%Drop": {
            "fovex": 11.780,
            "gradcam": 21.718,
            "gradcam++": 19.863,
            "meaningful_perturbation": 85.973,
            "rise": 11.885,
            "random": 61.317,
        },
        "%Increase": {
            "fovex": 61.849,
            "gradcam": 43.669,
            "gradcam++": 45.069,
            "meaningful_perturbation": 4.700,
            "rise": 55.489,
            "random": 16.729,
        },
        "Deletion": {
            "fovex": 0.151,
            "gradcam": 0.108,
            "gradcam++": 0.113,
            "meaningful_perturbation": 0.082,
            "rise": 0.100,
            "random": 0.212,
        },
        "Insertion": {
            "fovex": 0.374,
            "gradcam": 0.368,
            "gradcam++": 0.361,
            "meaningful_perturbation": 0.280,
            "rise": 0.372,
            "random": 0.287,
        },
        "EBPG": {
            "fovex": 46.977,
            "gradcam": 48.658,
            "gradcam++": 47.412,
            "meaningful_perturbation": 42.725,
            "rise": 43.312,
            "random": 38.118,
        },
    },
}


def published_table(model: str) -> pd.DataFrame:
    """The published table for ``model`` (rows: metrics, columns: explainers)."""
    if model not in PUBLISHED:
        raise ValueError(f"no published numbers for {model!r}; available: {', '.join(PUBLISHED)}")
    return pd.DataFrame(PUBLISHED[model]).T
