"""The published FovEx claims, the paired comparisons each calls for, and a verdict on each."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...report.resampling import holm
from ...report.statistics import paired_difference, paired_relative_difference
from .wording import FLOORS, METRIC_SENSES, method_name


@dataclass(frozen=True)
class Claim:
    """A published claim: FovEx ranks first on a metric among the published methods (``best="low"``:
    its value is the lowest, ``"high"``: the highest), or, with ``reference``, FovEx is
    ``published_pct`` % above (``"high"``) that one method. ``weakness``: the claim is that FovEx ranks
    *last* (the published tables' own finding against it), so "supported" is no win for FovEx."""

    text: str
    metric: str
    best: str
    published_model: str
    needs: str | None = None  # what this claim needs that may be unavailable here (model / data)
    reference: str | None = None  # a claim against one method: FovEx relative to it, in %
    published_pct: float | None = None  # ... by this much
    weakness: bool = False


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
        weakness=True,
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


def claim_verdict(differences: pd.DataFrame, best: str, alpha: float = 0.05) -> str:
    """Verdict on "FovEx ranks first" from its paired differences with every other method.

    With ``d = FovEx - other``, FovEx is *better* than ``other`` when ``d`` is on the claimed side of 0
    (``d < 0`` for ``best="low"``, ``d > 0`` for ``"high"``) and clear of it, *worse* when clear of it
    on the other side. Clear of 0: Holm-adjusted ``p_holm < alpha`` when the frame has that column
    (the findings page's family), else the 95 % interval excludes 0. ``supported``: better than every
    other method; ``contradicted``: worse than at least one; ``inconclusive``: otherwise.
    """
    better, worse = _sides(differences, best, alpha)
    if worse.any():
        return "contradicted"
    if better.all():
        return "supported"
    return "inconclusive"


def _sides(differences: pd.DataFrame, best: str, alpha: float = 0.05) -> tuple[pd.Series, pd.Series]:
    """Per compared method: is FovEx significantly better, significantly worse?"""
    if best not in ("low", "high"):
        raise ValueError(f"best must be 'low' or 'high', got {best!r}")
    if differences.empty:
        raise ValueError("no paired differences to judge")
    if "p_holm" in differences:
        clear = differences["p_holm"] < alpha
        lower, higher = clear & (differences["difference"] < 0), clear & (differences["difference"] > 0)
    else:
        lower, higher = differences["ci_high"] < 0, differences["ci_low"] > 0
    return (lower, higher) if best == "low" else (higher, lower)


def claim_comparisons(
    rows_by_metric: dict[str, pd.DataFrame],
    measured_on: str,
    claims=CLAIMS,
    candidate: str = "fovex",
    unit: str = "image_id",
    cluster: str | None = None,
    floors: tuple[str, ...] = FLOORS,
    seed: int = 0,
) -> pd.DataFrame:
    """Every paired comparison the published claims call for on one data set, one row each.

    ``rows_by_metric``: metric -> rows (one per unit x explainer, column ``explainer``). A claim that
    FovEx ranks first gets FovEx minus every other method but the floors (``role="rival"``); a claim
    against one method, ``100 (mean(FovEx) - mean(ref)) / mean(ref)`` (``relative``, in %). Each
    metric also gets FovEx minus each floor present once (``role="floor"``, ``claim=""``). Columns:
    claim, measured on, metric, role, reference, relative, candidate_mean, reference_mean, difference,
    ci_low, ci_high, p (two-sided bootstrap, uncorrected), n. Claims with ``needs`` are skipped. ``seed``
    seeds every bootstrap.
    """
    rows, floored = [], set()
    for claim in claims:
        frame = rows_by_metric.get(claim.metric)
        if claim.needs is not None or frame is None or candidate not in set(frame["explainer"]):
            continue
        names = list(dict.fromkeys(frame["explainer"]))
        entry = {"claim": claim.text, "measured on": measured_on, "metric": claim.metric, "role": "rival"}
        if claim.reference is not None:
            if claim.reference not in names:
                continue
            r = paired_relative_difference(
                frame, claim.metric, candidate, claim.reference, unit=unit, cluster=cluster, seed=seed
            )
            rows.append(
                {
                    **entry,
                    "reference": claim.reference,
                    "relative": True,
                    "candidate_mean": r[candidate],
                    "reference_mean": r[claim.reference],
                    "difference": r["difference_pct"],
                    "ci_low": r["ci_low_pct"],
                    "ci_high": r["ci_high_pct"],
                    "p": r["p"],
                    "n": r["n"],
                }
            )
        else:
            for other in (name for name in names if name != candidate and name not in floors):
                d = paired_difference(frame, claim.metric, candidate, other, unit=unit, cluster=cluster, seed=seed)
                rows.append({**entry, **_row(d), "relative": False})
        if claim.metric in floored:
            continue
        floored.add(claim.metric)
        for floor in (name for name in floors if name in names):
            d = paired_difference(frame, claim.metric, candidate, floor, unit=unit, cluster=cluster, seed=seed)
            rows.append({**entry, "claim": "", "role": "floor", **_row(d), "relative": False})
    columns = ["claim", "measured on", "metric", "role", "reference", "relative", "candidate_mean", "reference_mean"]
    return pd.DataFrame(rows, columns=[*columns, "difference", "ci_low", "ci_high", "p", "n"])


def _row(d: dict) -> dict:
    keys = ("reference", "candidate_mean", "reference_mean", "difference", "ci_low", "ci_high", "p", "n")
    return {key: d[key] for key in keys}


def claims_table(
    comparisons: pd.DataFrame,
    claims=CLAIMS,
    rivals: tuple[str, ...] = PUBLISHED_RIVALS,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per published claim and data set it was measured on: what was measured and a verdict.

    ``comparisons``: :func:`claim_comparisons` rows (of one or several data sets). Their p-values are
    Holm-adjusted together (``p_holm``, :func:`fovex.report.holm`: the family is every comparison
    given, floors included) unless a ``p_holm`` column is there already; a comparison counts as a
    difference when ``p_holm < alpha``. A claim that FovEx ranks first cannot be "supported" while one
    of ``rivals`` has no rows (it can still be "contradicted"). Columns: claim, published on, measured
    on, N, FovEx (mean), closest rival (mean) and FovEx minus it [paired 95 % interval], Holm p (of that
    comparison), verdict, floors (FovEx minus each floor, worded), why.
    """
    if "p_holm" not in comparisons:
        comparisons = comparisons.assign(p_holm=holm(comparisons["p"]))
    table = []
    for claim in claims:
        entry = {"claim": claim.text, "published on": claim.published_model}
        mine = comparisons[(comparisons["claim"] == claim.text) & (comparisons["role"] == "rival")]
        if claim.needs is not None or mine.empty:
            why = f"needs {claim.needs}" if claim.needs else f"no measurement of {claim.metric} here yet"
            if claim.needs is None and claim.reference is not None:
                why = f"{claim.reference} was not run on this data"
            untested = {"measured on": "-", "N": 0, "FovEx": "-", "closest rival": "-", "FovEx - rival": "-"}
            table.append({**entry, **untested, "Holm p": "-", "verdict": "not tested here", "floors": "-", "why": why})
            continue
        for measured_on, rows in mine.groupby("measured on", sort=False):
            floors = comparisons[
                (comparisons["role"] == "floor")
                & (comparisons["measured on"] == measured_on)
                & (comparisons["metric"] == claim.metric)
            ]
            judged = _relative_verdict(rows.iloc[0], claim, alpha) if claim.reference else _verdict(rows, claim, alpha)
            verdict, why, closest = judged
            if verdict == "supported" and claim.reference is None:
                missing = [name for name in rivals if name not in set(rows["reference"])]
                if missing:
                    names = ", ".join(method_name(name) for name in missing)
                    verdict, why = "inconclusive", f"{why}, but not yet compared with {names}"
            table.append(
                {
                    **entry,
                    "measured on": measured_on,
                    "N": int(rows["n"].min()),
                    **_cells(closest, claim.metric),
                    "Holm p": p_text(closest["p_holm"]),
                    "verdict": verdict,
                    "floors": "; ".join(_floor_text(row, claim.metric, alpha) for _, row in floors.iterrows()) or "-",
                    "why": why,
                }
            )
    return pd.DataFrame(table)


def _possessives(names: list[str]) -> str:
    """``["Grad-CAM", "RISE"]`` -> ``"Grad-CAM's and RISE's"``."""
    owned = [f"{name}'s" for name in names]
    return owned[0] if len(owned) == 1 else ", ".join(owned[:-1]) + " and " + owned[-1]


def p_text(p: float) -> str:
    """A p-value as printed: two decimals, ``"< 0.01"`` below (a third decimal moves between seeds)."""
    return "< 0.01" if p < 0.01 else f"{p:.2f}"


def _places(metric: str) -> int:
    return METRIC_SENSES[metric].places if metric in METRIC_SENSES else 3


def _cells(closest: pd.Series, metric: str) -> dict:
    """FovEx's mean, the closest rival's, and the difference with its interval, as printed."""
    # Relative differences print in whole percent: their interval ends move by up to 0.6 % between seeds.
    places = 0 if closest["relative"] else _places(metric)
    value = 3 if closest["relative"] else places
    unit = " %" if closest["relative"] else ""
    d, low, high = closest["difference"], closest["ci_low"], closest["ci_high"]
    return {
        "FovEx": f"{closest['candidate_mean']:.{value}f}",
        "closest rival": f"{method_name(closest['reference'])} {closest['reference_mean']:.{value}f}",
        "FovEx - rival": f"{d:+.{places}f}{unit} [{low:+.{places}f}, {high:+.{places}f}]",
    }


def _floor_text(row: pd.Series, metric: str, alpha: float) -> str:
    """``"tied with the random map (+0.010 [-0.013, +0.033], Holm p 1.000)"``."""
    sense = METRIC_SENSES.get(metric)
    if row["p_holm"] >= alpha:
        word = "tied with"
    else:
        lower_is_better = sense is not None and not sense.higher_is_better
        word = "better than" if (row["difference"] < 0) == lower_is_better else "worse than"
    places = _places(metric)
    d, low, high = row["difference"], row["ci_low"], row["ci_high"]
    interval = f"{d:+.{places}f} [{low:+.{places}f}, {high:+.{places}f}]"
    return f"{word} the {method_name(row['reference'])} ({interval}, Holm p {p_text(row['p_holm'])})"


def _verdict(rows: pd.DataFrame, claim: Claim, alpha: float) -> tuple[str, str, pd.Series]:
    """Verdict, why, and the closest rival's row for a claim that FovEx ranks first (or last)."""
    verdict = claim_verdict(rows, claim.best, alpha)
    better, worse = _sides(rows, claim.best, alpha)
    # The closest rival: the method FovEx leads by the least (or trails by the most) on the claimed side.
    closest = rows.loc[(rows["difference"] * (-1 if claim.best == "low" else 1)).idxmin()]
    sense = METRIC_SENSES.get(claim.metric)
    label = sense.label if sense else claim.metric
    # Which way the claimed side is in the metric's own terms: "higher (worse)" for deletion AUC.
    side = "lower" if claim.best == "low" else "higher"
    good = sense is None or (claim.best == "high") == sense.higher_is_better
    claimed = f"{side} ({'better' if good else 'worse'})"
    largest = p_text(rows["p_holm"].max())
    p = f"every Holm p {largest if largest.startswith('<') else f'<= {largest}'}"
    if verdict == "supported":
        why = f"FovEx's {label} is {claimed} than each of the {len(rows)} other methods' ({p})"
        if claim.weakness:
            why += ": the published weakness carries over"
    elif verdict == "contradicted":
        names = _possessives([method_name(name) for name in rows.loc[worse, "reference"]])
        other_side = "higher" if side == "lower" else "lower"
        why = f"FovEx's {label} is {other_side} ({'worse' if good else 'better'}) than {names} (Holm p < {alpha:g})"
    else:
        names = ", ".join(method_name(name) for name in rows.loc[~better, "reference"])
        why = f"no difference at Holm p < {alpha:g} against {names}"
    return verdict, why, closest


def _relative_verdict(row: pd.Series, claim: Claim, alpha: float) -> tuple[str, str, pd.Series]:
    """Verdict on the direction of FovEx relative to one method; says where the published % falls."""
    clear = row["p_holm"] < alpha
    verdict = "supported" if clear and row["difference"] > 0 else "contradicted" if clear else "inconclusive"
    inside = "inside" if row["ci_low"] <= claim.published_pct <= row["ci_high"] else "outside"
    above = "FovEx above the rival" if row["difference"] > 0 else "FovEx below the rival"
    direction = above if clear else "neither direction established"
    published = f"the published {claim.published_pct:+g} % is {inside} the interval"
    why = f"{direction} (Holm p {p_text(row['p_holm'])}); {published}"
    return verdict, why, row


def findings_summary(claims: pd.DataFrame, comparisons: int | None = None) -> str:
    """Markdown sentences that sum up a :func:`claims_table`: the verdict counts, then one line per tested
    claim and data set. A claim of a FovEx weakness (deletion) is counted apart: its "supported" is no win.
    ``comparisons``: the size of the Holm family, stated in the first line."""
    weak = {claim.text for claim in CLAIMS if claim.weakness}
    tested = claims[claims["verdict"] != "not tested here"]
    strengths, weaknesses = tested[~tested["claim"].isin(weak)], tested[tested["claim"].isin(weak)]
    counts = strengths["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v}" for v in ("supported", "contradicted", "inconclusive")]
    family = f" over the page's {comparisons} paired comparisons" if comparisons else ""
    lines = [
        f"**{tested['claim'].nunique()} of {claims['claim'].nunique()} published claims tested here** "
        f"(verdicts at Holm-adjusted p < 0.05{family}). Verdicts on the claims that FovEx is better, one per "
        f"data set: {', '.join(parts)}."
    ]
    for _, row in weaknesses.iterrows():
        held = {"supported": "holds", "contradicted": "does not hold", "inconclusive": "is not settled"}[row["verdict"]]
        lines[0] += f" The published weakness, *{row['claim']}*, {held} here, which is no win for FovEx"
        lines[0] += f"; against the floors FovEx is {row['floors']}." if row["floors"] != "-" else "."
    for _, row in tested.iterrows():
        floors = f"; against the floors: {row['floors']}" if row["floors"] != "-" else ""
        lines.append(
            f"- *{row['claim']}* ({row['measured on']}, N = {row['N']}): **{row['verdict']}** "
            f"(Holm p {row['Holm p']}); FovEx {row['FovEx']}, against {row['closest rival']}: "
            f"{row['FovEx - rival']}{floors}."
        )
    untested = claims[claims["verdict"] == "not tested here"]
    if len(untested):
        reasons = sorted(set(untested["why"]))
        lines.append(f"- Not tested here ({len(untested)}): " + "; ".join(reasons) + ".")
    return "\n".join(lines)
