"""The published FovEx claims, keyed by id, and their verdicts read from the judged table.

A claim is judged on what it claims (:func:`claim_verdict`):

- *first* ("FovEx has the lowest %Drop"): **supported** when FovEx is better than every published rival,
  **contradicted** when it is worse than at least one, **inconclusive** otherwise;
- *last*, a published weakness ("FovEx has the highest deletion AUC of the non-random methods"): the same
  with the sides swapped, so its "supported" is no win for FovEx;
- *size* ("FovEx's NSS is 203 % above Grad-CAM's"): **contradicted** when the interval of FovEx's
  difference in % of the reference's mean excludes the published size, **supported** when it includes
  it and FovEx is better than the reference, **inconclusive** otherwise.

Better / worse are the judged table's words (:class:`~fovex.study.findings.judgement.Judged`), under the
study's one standard, and the interval is its printed interval; nothing here decides a word itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...metrics.registry import column_sense, format_value
from .judgement import Judged, Judgement
from .wording import method_name, model_name, names_list, rivals_and_floors

__all__ = [
    "CLAIMS",
    "CNN_RIVALS",
    "Claim",
    "ClaimVerdict",
    "VIT_RIVALS",
    "claim_verdict",
    "findings_summary",
    "judge_claims",
]

#: The methods the published CNN table ranks FovEx against (book/spec.md §3).
CNN_RIVALS = ("gradcam", "gradcam++", "meaningful_perturbation", "rise")
#: ... and the published ViT-B/16 table.
VIT_RIVALS = ("gradcam", "gae", "cls_emb", "meaningful_perturbation", "rise")
#: The published models (registry names) and the families of data the claims were made on.
PUBLISHED_MODELS = ("resnet50", "vit_base_patch16_224")


@dataclass(frozen=True)
class Claim:
    """A published claim. ``kind``: ``"first"`` (FovEx ranks first among the published rivals), ``"last"``
    (a published weakness: FovEx ranks last) or ``"size"`` (FovEx is ``published_pct`` % above
    ``reference``). ``models``: the models it was made about (registry names); ``data``: the data set it
    was made on; ``axis``: the study axis that measures ``metric``; ``only_models``: the claim is about
    these models alone and is not tested on any other."""

    id: str
    text: str
    metric: str
    kind: str
    models: tuple[str, ...]
    data: str
    axis: str
    published_on: str
    reference: str | None = None
    published_pct: float | None = None
    only_models: bool = False

    def __post_init__(self):
        if self.kind not in ("first", "last", "size"):
            raise ValueError(f"kind must be first, last or size, got {self.kind!r}")
        if (self.kind == "size") != (self.reference is not None and self.published_pct is not None):
            raise ValueError(f"claim {self.id!r}: a size claim, and only one, names reference and published_pct")

    def rivals(self, model: str) -> tuple[str, ...]:
        """The published methods this claim ranks FovEx against on ``model`` (the ViT table's for ViTs)."""
        if self.kind == "size":
            return (self.reference,)
        return VIT_RIVALS if model.startswith("vit") else CNN_RIVALS

    def tested_on(self, model: str, data: str) -> str:
        """How directly a measurement on ``model`` and ``data`` tests the claim: ``"directly"``, or what
        stands in for the published model and data."""
        own_model = model in self.models
        own_data = _data_family(data) == _data_family(self.data)
        if own_model and own_data:
            return "directly"
        parts = ([] if own_model else [f"a substitute model ({model_name(model)})"]) + (
            [] if own_data else [f"substitute data ({data})"]
        )
        return "on " + " and ".join(parts)


def _data_family(name: str) -> str:
    """ImageNet val and a sample of it, VOC of any year, one eye-tracking set: the same data for a claim."""
    for family in ("imagenet", "voc", "mit1003"):
        if name.startswith(family):
            return family
    return name


#: The published claims (book/spec.md §3), one per id.
CLAIMS: tuple[Claim, ...] = (
    Claim("drop", "FovEx has the lowest %Drop", "drop_pct", "first", PUBLISHED_MODELS, "imagenet-val",
          "faithfulness", "ResNet-50 and ViT-B/16, ImageNet val (presumed)"),
    Claim("increase", "FovEx has the highest %Increase", "increase_pct", "first", PUBLISHED_MODELS, "imagenet-val",
          "faithfulness", "ResNet-50 and ViT-B/16, ImageNet val (presumed)"),
    Claim("insertion", "FovEx has the highest insertion AUC", "insertion_auc", "first", PUBLISHED_MODELS,
          "imagenet-val", "faithfulness", "ResNet-50 and ViT-B/16, ImageNet val (presumed)"),
    Claim("deletion", "FovEx has the highest (worst) deletion AUC of the non-random methods", "deletion_auc", "last",
          PUBLISHED_MODELS, "imagenet-val", "faithfulness", "ResNet-50 and ViT-B/16, ImageNet val (presumed)"),
    Claim("ebpg-vit", "FovEx has the highest EBPG on ViT-B/16", "ebpg_pct", "first", ("vit_base_patch16_224",),
          "imagenet-val", "localisation", "ViT-B/16 (presumed ImageNet val boxes)", only_models=True),
    Claim("nss-rise", "FovEx's NSS is 14 % above RISE's", "nss", "size", PUBLISHED_MODELS, "mit1003",
          "plausibility", "paper abstract, MIT1003", reference="rise", published_pct=14.0),
    Claim("nss-gradcam", "FovEx's NSS is 203 % above Grad-CAM's", "nss", "size", PUBLISHED_MODELS, "mit1003",
          "plausibility", "paper abstract, MIT1003", reference="gradcam", published_pct=203.0),
)  # fmt: skip


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim's verdict on one scope (model and data), with what it rests on."""

    verdict: str
    why: str
    rival: Judgement | None  # FovEx against the rival the row names (size claims: the reference)


def claim_verdict(judged: Judged, claim: Claim, scope: str, model: str, words=None) -> ClaimVerdict | None:
    """``claim`` judged on ``scope``; None when the scope has no comparison of FovEx on the claim's metric.

    ``words``: ``(scope, metric, candidate, reference) -> word``, to judge at other seeds (default: the
    judged table's words)."""
    metric = claim.metric
    if not any(judged.has(scope, metric, "fovex", other) for other in claim.rivals(model)):
        return None
    word = words or (lambda s, m, a, b: judged.get(s, m, a, b).word)
    label = column_sense(metric).name
    if claim.kind == "size":
        j = judged.get(scope, metric, "fovex", claim.reference)
        inside = j.relative_low <= claim.published_pct <= j.relative_high
        w = word(scope, metric, "fovex", claim.reference)
        name = method_name(claim.reference)
        own = f"FovEx minus {name}: {j.relative_interval()} of {name}'s mean"
        if not inside:
            return ClaimVerdict("contradicted", f"{own}, which excludes the published {claim.published_pct:+g} %", j)
        if w == "better":
            return ClaimVerdict("supported", f"{own}, which includes the published {claim.published_pct:+g} %", j)
        return ClaimVerdict(
            "inconclusive", f"{own}: includes the published {claim.published_pct:+g} % and no difference", j
        )
    present = [other for other in claim.rivals(model) if judged.has(scope, metric, "fovex", other)]
    missing = [other for other in claim.rivals(model) if other not in present]
    judged_words = {other: word(scope, metric, "fovex", other) for other in present}
    # The rival that decides the claim: the best-placed for "first", the worst-placed for "last".
    placed = [name for name in judged.method_means(scope, metric).index if name in present]
    rival = judged.get(scope, metric, "fovex", placed[0] if claim.kind == "first" else placed[-1])
    ahead = "better" if claim.kind == "first" else "worse"
    behind = "worse" if claim.kind == "first" else "better"
    against = [other for other, w in judged_words.items() if w == behind]
    tied = [other for other, w in judged_words.items() if w == "tied"]
    side = "better" if claim.kind == "first" else "worse"
    if against:
        return ClaimVerdict(
            "contradicted",
            f"FovEx's {label} is {behind} than {_possessives(against)}",
            rival,
        )
    if tied:
        return ClaimVerdict("inconclusive", f"FovEx's {label} is tied with {_possessives(tied)}", rival)
    if missing:
        names = names_list([method_name(o) for o in missing])
        return ClaimVerdict("inconclusive", f"{side} than every rival measured, but {names} not measured here", rival)
    assert all(w == ahead for w in judged_words.values())
    return ClaimVerdict(
        "supported", f"FovEx's {label} is {side} than each of the {len(present)} published rivals'", rival
    )


def _possessives(keys) -> str:
    """``["gradcam", "rise"]`` -> ``"Grad-CAM's and RISE's"``."""
    return names_list([method_name(key) + "'s" for key in keys])


def _claim_scopes(judged: Judged, claim: Claim) -> list[tuple[str, str, str, bool]]:
    """(scope, model, data, counted) for every scope of the claim's axis: each data set counts, a pooled
    scope (several data sets) is shown but not counted."""
    family = claim.axis
    rows = judged.table[(judged.table["family"] == family) & (judged.table["metric"] == claim.metric)]
    found = []
    for scope, part in rows.groupby("scope", sort=False):
        model = str(part["model"].iloc[0])
        data = scope.split(": ", 1)[1] if ": " in scope else scope
        found.append((scope, model, data, " + " not in data))
    return found


def judge_claims(judged: Judged, claims=CLAIMS) -> pd.DataFrame:
    """One row per claim and scope it can be judged on (one per claim when it cannot be tested here):
    claim id and text, published on, model, data, tested (how directly), counted (pooled scopes are shown,
    not counted), N, FovEx's mean, the rival and FovEx minus it, adjusted p, verdict, at other seeds,
    floors, why."""
    table = []
    for claim in claims:
        entry = {"id": claim.id, "claim": claim.text, "published on": claim.published_on}
        scopes = _claim_scopes(judged, claim)
        judged_any = False
        for scope, model, data, counted in scopes:
            if claim.only_models and model not in claim.models:
                continue
            result = claim_verdict(judged, claim, scope, model)
            if result is None:
                continue
            judged_any = True
            j = result.rival
            table.append(
                {
                    **entry,
                    "model": model,
                    "data": data,
                    "scope": scope,
                    "tested": claim.tested_on(model, data),
                    "counted": counted,
                    "N": int(j.n),
                    "FovEx": format_value(claim.metric, j.candidate_mean),
                    "rival": f"{method_name(j.reference)} {format_value(claim.metric, j.reference_mean)}",
                    "FovEx − rival": j.relative_interval() if claim.kind == "size" else j.interval(),
                    "adjusted p": p_text(j.p_adjusted),
                    "verdict": result.verdict,
                    "at other seeds": seed_verdicts(judged, claim, scope, model, result.verdict),
                    "floors": floors_text(judged, scope, claim.metric),
                    "why": result.why,
                }
            )
        if not judged_any:
            if claim.only_models:
                why = f"made about {', '.join(model_name(m) for m in claim.models)} alone, which this study did not run"
            elif scopes and claim.reference is not None:
                why = f"{method_name(claim.reference)} was not run where {column_sense(claim.metric).name} was measured"
            else:
                why = f"no measurement of {column_sense(claim.metric).name} here"
            table.append({**entry, "model": "-", "data": "-", "scope": "-", "tested": "not tested", "counted": False,
                          "N": 0, "FovEx": "-", "rival": "-", "FovEx − rival": "-", "adjusted p": "-",
                          "verdict": "not tested here", "at other seeds": "-", "floors": "-", "why": why})  # fmt: skip
    return pd.DataFrame(table)


def p_text(p: float) -> str:
    """A p-value as printed: two decimals, ``"< 0.01"`` below (a third decimal moves between bootstrap seeds)."""
    return "< 0.01" if p < 0.01 else f"{p:.2f}"


def floors_text(judged: Judged, scope: str, metric: str, candidate: str = "fovex") -> str:
    """``"better than the random map (<d> [<low>, <high>]); tied with the centre map (...)"``: the candidate's
    judged word and interval against each floor."""
    _, floors = rivals_and_floors(judged.method_means(scope, metric).index, candidate)
    phrases = {"better": "better than", "worse": "worse than", "tied": "tied with"}
    parts = []
    for floor in floors:
        if judged.has(scope, metric, candidate, floor):
            j = judged.get(scope, metric, candidate, floor)
            parts.append(f"{phrases[j.word]} the {method_name(floor)} ({j.interval()})")
    return "; ".join(parts) or "-"


def seed_verdicts(judged: Judged, claim: Claim, scope: str, model: str, verdict: str) -> str:
    """The claim's verdict at every other seed combination the study has (FovEx seeds x RISE mask
    seeds): ``"the same at all 14 other seed pairs"`` or the pairs where it differs; ``"seed 42 only"``
    without seed runs for this scope."""
    seeds = judged.seeds
    if seeds is None or seeds.empty or scope not in set(seeds["scope"]):
        return "seed 42 only"
    combos = seeds[["fovex_seed", "rise_seed"]].drop_duplicates().itertuples(index=False)
    differ, total = [], 0
    for fovex_seed, rise_seed in combos:
        at = seeds[(seeds["fovex_seed"] == fovex_seed) & (seeds["rise_seed"] == rise_seed) & (seeds["scope"] == scope)]
        if at.empty:
            continue

        def word(s, m, a, b, at=at):
            hit = at[(at["metric"] == m) & (at["candidate"] == a) & (at["reference"] == b)]
            if len(hit):
                return str(hit["word"].iloc[0])
            hit = at[(at["metric"] == m) & (at["candidate"] == b) & (at["reference"] == a)]
            if len(hit):
                return {"better": "worse", "worse": "better", "tied": "tied"}[str(hit["word"].iloc[0])]
            return judged.get(s, m, a, b).word  # a comparison no seed changes

        other = claim_verdict(judged, claim, scope, model, words=word)
        if other is None:
            continue
        total += 1
        if other.verdict != verdict:
            differ.append(f"{other.verdict} at FovEx seed {fovex_seed}, RISE seed {rise_seed}")
    if total == 0:
        return "seed 42 only"
    if not differ:
        return f"the same at all {total} other seed pairs"
    return f"{verdict} at {total - len(differ)} of {total} other seed pairs; " + "; ".join(differ)


def findings_summary(judged: Judged, claims: pd.DataFrame) -> str:
    """Markdown that sums up :func:`judge_claims`: how many distinct claims were tested and how directly,
    the verdict counts (one per claim and data set; pooled scopes shown, not counted), the standard, then
    one line per verdict."""
    tested = claims[claims["verdict"] != "not tested here"]
    counted = tested[tested["counted"]]
    weak = {claim.id for claim in CLAIMS if claim.kind == "last"}
    strengths, weaknesses = counted[~counted["id"].isin(weak)], counted[counted["id"].isin(weak)]
    counts = strengths["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v}" for v in ("supported", "contradicted", "inconclusive")]
    direct = tested.groupby("id")["tested"].apply(lambda t: (t == "directly").any())
    how = (
        f"{int(direct.sum())} of them directly (on the model and data they were made about), "
        f"{int((~direct).sum())} only on substitutes"
    )
    lines = [
        f"**{tested['id'].nunique()} of the {claims['id'].nunique()} distinct published claims are tested here**, "
        f"{how}. Verdicts, one per claim and data set (a pooled set is shown, not counted): on the claims that "
        f"FovEx is better, {', '.join(parts)}."
    ]
    for _, row in weaknesses.iterrows():
        held = {"supported": "holds", "contradicted": "does not hold", "inconclusive": "is not settled"}[row["verdict"]]
        lines[0] += (
            f" The published weakness, *{row['claim']}*, {held} on {model_name(row['model'])}, {row['data']}, "
            "which is no win for FovEx"
        )
        lines[0] += f"; against the floors FovEx is {row['floors']}." if row["floors"] != "-" else "."
    lines[0] += " " + judged.describe()
    for _, row in tested.iterrows():
        floors = f"; against the floors: {row['floors']}" if row["floors"] != "-" else ""
        seeds = "" if row["at other seeds"] == "seed 42 only" else f"; at other seeds: {row['at other seeds']}"
        pooled = "" if row["counted"] else " (pooled, not counted)"
        lines.append(
            f"- *{row['claim']}* ({model_name(row['model'])}, {row['data']}{pooled}, N = {row['N']}; "
            f"tested {row['tested']}): "
            f"**{row['verdict']}**: {row['why']}. FovEx {row['FovEx']}, {row['rival']}: {row['FovEx − rival']} "
            f"(adjusted p {row['adjusted p']}){floors}{seeds}."
        )
    untested = claims[claims["verdict"] == "not tested here"]
    for _, row in untested.iterrows():
        lines.append(f"- *{row['claim']}*: not tested here: {row['why']}.")
    return "\n".join(lines)
