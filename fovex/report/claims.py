"""The published FovEx numbers and claims, and a verdict on each from paired comparisons."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .statistics import paired_differences, paired_relative_difference

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


@dataclass(frozen=True)
class Claim:
    """A published claim: FovEx ranks first on a metric among the published methods (``best="low"``:
    its value is the lowest, ``"high"``: the highest), or, with ``reference``, FovEx is
    ``published_pct`` % above (``"high"``) that one method."""

    text: str
    metric: str
    best: str
    published_model: str
    needs: str | None = None  # what this claim needs that may be unavailable here (model / data)
    reference: str | None = None  # a claim against one method: FovEx relative to it, in %
    published_pct: float | None = None  # ... by this much


#: The methods the published tables rank FovEx against on CNNs (book/spec.md §3).
PUBLISHED_RIVALS = ("gradcam", "gradcam++", "meaningful_perturbation", "rise")

#: The published claims (book/spec.md §3), for the findings page.
CLAIMS: tuple[Claim, ...] = (
    Claim("FovEx has the lowest %Drop", "drop_pct", "low", "ResNet-50 and ViT-B/16"),
    Claim("FovEx has the highest %Increase", "increase_pct", "high", "ResNet-50 and ViT-B/16"),
    Claim("FovEx has the highest insertion AUC", "insertion_auc", "high", "ResNet-50 and ViT-B/16"),
    Claim(
        "FovEx has the weakest (highest) deletion AUC of the non-random methods",
        "deletion_auc",
        "high",
        "ResNet-50 and ViT-B/16",
    ),
    Claim(
        "FovEx has the highest EBPG on ViT-B/16",
        "ebpg_pct",
        "high",
        "ViT-B/16",
        needs="pretrained ViT-B/16 weights (the model hub is unreachable here)",
    ),
    Claim(
        "FovEx's NSS is 14 % above RISE's on MIT1003",
        "nss",
        "high",
        "paper abstract, MIT1003",
        needs="MIT1003 (a user download; not on this machine)",
        reference="rise",
        published_pct=14.0,
    ),
    Claim(
        "FovEx's NSS is 203 % above Grad-CAM's on MIT1003",
        "nss",
        "high",
        "paper abstract, MIT1003",
        needs="MIT1003 (a user download; not on this machine)",
        reference="gradcam",
        published_pct=203.0,
    ),
    Claim(
        "... the same NSS claim against RISE, on another free-viewing set",
        "nss",
        "high",
        "paper abstract, MIT1003",
        reference="rise",
        published_pct=14.0,
    ),
    Claim(
        "... the same NSS claim against Grad-CAM, on another free-viewing set",
        "nss",
        "high",
        "paper abstract, MIT1003",
        reference="gradcam",
        published_pct=203.0,
    ),
)


def claim_verdict(differences: pd.DataFrame, best: str) -> str:
    """Verdict on "FovEx ranks first" from its paired differences with every other method.

    With ``d = FovEx - other`` and its interval ``[low, high]``, FovEx is *better* than ``other``
    when the interval lies entirely on the claimed side of 0 (``high < 0`` for ``best="low"``,
    ``low > 0`` for ``"high"``) and *worse* when it lies entirely on the other side.
    ``supported``: better than every other method; ``contradicted``: worse than at least one;
    ``inconclusive``: otherwise (some interval spans 0). No multiple-comparison correction.
    """
    better, worse = _sides(differences, best)
    if worse.any():
        return "contradicted"
    if better.all():
        return "supported"
    return "inconclusive"


def _sides(differences: pd.DataFrame, best: str) -> tuple[pd.Series, pd.Series]:
    """Per compared method: is FovEx significantly better, significantly worse (interval clear of 0)?"""
    if best not in ("low", "high"):
        raise ValueError(f"best must be 'low' or 'high', got {best!r}")
    if differences.empty:
        raise ValueError("no paired differences to judge")
    if best == "low":
        return differences["ci_high"] < 0, differences["ci_low"] > 0
    return differences["ci_low"] > 0, differences["ci_high"] < 0


def claims_table(
    rows_by_metric: dict[str, pd.DataFrame],
    model: str,
    data: str,
    claims=CLAIMS,
    exclude: tuple[str, ...] = ("random", "centre"),
    candidate: str = "fovex",
    unit: str = "image_id",
    rivals: tuple[str, ...] = PUBLISHED_RIVALS,
) -> pd.DataFrame:
    """One row per published claim: what was measured here and a verdict.

    ``rows_by_metric``: metric -> rows (one per image x explainer, column ``explainer``) where that
    metric was measured; a claim whose metric has no rows, or whose ``needs`` is set, is "not tested
    here". "FovEx" and "closest rival" are means over the photos the two share; "N" is the
    smallest number of shared photos over the rivals. Comparisons are paired over images against every
    method but ``exclude`` (the claims
    compare the published tables' methods; random and centre maps are floors, not rivals). A claim
    that FovEx ranks first cannot be "supported" while one of ``rivals`` has no rows: it is then
    "inconclusive" until that method is measured (it can still be "contradicted"). Columns: claim,
    published on, measured on, N, FovEx (mean [interval]), closest rival and FovEx minus it [paired
    interval], verdict, why.
    """
    table = []
    for claim in claims:
        frame = rows_by_metric.get(claim.metric)
        entry = {"claim": claim.text, "published on": claim.published_model}
        if claim.needs is not None or frame is None or candidate not in set(frame["explainer"]):
            why = f"needs {claim.needs}" if claim.needs else f"no {candidate} measurement of {claim.metric} here yet"
            table.append(
                {
                    **entry,
                    "measured on": "-",
                    "N": 0,
                    "FovEx": "-",
                    "closest rival": "-",
                    "FovEx - rival": "-",
                    "verdict": "not tested here",
                    "why": why,
                }
            )
            continue
        if claim.reference is not None:
            table.append({**entry, **_relative_claim(frame, claim, candidate, unit), "measured on": f"{model}, {data}"})
            continue
        frame = frame[~frame["explainer"].isin(exclude)]
        differences = paired_differences(frame, [claim.metric], candidate, unit=unit)
        verdict = claim_verdict(differences, claim.best)
        missing = [name for name in rivals if name not in set(frame["explainer"])]
        why = _why(verdict, differences, claim.best)
        if verdict == "supported" and missing:
            verdict, why = "inconclusive", f"{why}, but not yet compared with {', '.join(missing)}"
        # The closest rival: the method FovEx leads by the least (or trails by the most) on the claimed side.
        closest = differences.loc[(differences["difference"] * (-1 if claim.best == "low" else 1)).idxmin()]
        places = 1 if claim.metric.endswith("_pct") else 3  # percentages: a tenth of a point is enough
        low, high = closest["ci_low"], closest["ci_high"]
        table.append(
            {
                **entry,
                "measured on": f"{model}, {data}",
                "N": int(differences["n"].min()),
                # FovEx on the closest rival's photos, as the rival's mean
                "FovEx": f"{closest['candidate_mean']:.{places}f}",
                "closest rival": f"{closest['reference']} {closest['reference_mean']:.{places}f}",
                "FovEx - rival": f"{closest['difference']:+.{places}f} [{low:+.{places}f}, {high:+.{places}f}]",
                "verdict": verdict,
                "why": why,
            }
        )
    return pd.DataFrame(table)


def _why(verdict: str, differences: pd.DataFrame, best: str) -> str:
    better, worse = _sides(differences, best)
    if verdict == "supported":
        return f"FovEx better than all {len(differences)} other methods (every paired interval excludes 0)"
    if verdict == "contradicted":
        return "FovEx significantly worse than " + ", ".join(differences.loc[worse, "reference"])
    return "paired interval includes 0 against " + ", ".join(differences.loc[~better, "reference"])


def _relative_claim(frame: pd.DataFrame, claim: Claim, candidate: str, unit: str) -> dict:
    """FovEx relative to ``claim.reference`` in % (paired interval); the verdict is on the direction."""
    if claim.reference not in set(frame["explainer"]):
        return {
            "N": 0,
            "FovEx": "-",
            "closest rival": claim.reference,
            "FovEx - rival": "-",
            "verdict": "not tested here",
            "why": f"{claim.reference} was not run on this data",
        }
    result = paired_relative_difference(frame, claim.metric, candidate, claim.reference, unit=unit)
    low, high = result["ci_low_pct"], result["ci_high_pct"]
    verdict = "supported" if low > 0 else "contradicted" if high < 0 else "inconclusive"
    inside = "inside" if low <= claim.published_pct <= high else "outside"
    return {
        "N": result["n"],
        "FovEx": f"{result[candidate]:.3f}",
        "closest rival": f"{claim.reference} {result[claim.reference]:.3f}",
        "FovEx - rival": f"{result['difference_pct']:+.1f} % [{low:+.1f}, {high:+.1f}]",
        "verdict": verdict,
        "why": f"direction of the difference; the published {claim.published_pct:+g} % is {inside} the interval",
    }


def findings_summary(claims: pd.DataFrame) -> str:
    """Markdown sentences that sum up a :func:`claims_table`: the verdict counts, then one line per tested claim."""
    counts = claims["verdict"].value_counts()
    tested = claims[claims["verdict"] != "not tested here"]
    parts = [f"{counts.get(v, 0)} {v}" for v in ("supported", "contradicted", "inconclusive") if counts.get(v, 0)]
    lines = [
        f"**{len(tested)} of {len(claims)} published claims tested here**"
        + (f": {', '.join(parts)}." if parts else ".")
    ]
    for _, row in tested.iterrows():
        lines.append(
            f"- *{row['claim']}* ({row['measured on']}, N = {row['N']}): **{row['verdict']}**; "
            f"FovEx {row['FovEx']}, against {row['closest rival']}: {row['FovEx - rival']}."
        )
    untested = claims[claims["verdict"] == "not tested here"]
    if len(untested):
        reasons = sorted(set(untested["why"]))
        lines.append(f"- Not tested here ({len(untested)}): " + "; ".join(reasons) + ".")
    return "\n".join(lines)
