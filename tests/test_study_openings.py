"""Chapter openings and the findings page on the committed rows (issue 34): one word per comparison
everywhere, every metric shown, best said among all methods, claims judged on what they claim."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from fovex.metrics.registry import COLUMN_NAMES, column_sense, format_difference
from fovex.study.openings import chapter_opening

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_an_axis_without_rows_has_no_opening(tmp_path):
    (tmp_path / "configs" / "study").mkdir(parents=True)
    assert chapter_opening("faithfulness", root=tmp_path) == ""
    with pytest.raises(ValueError, match="axes with one: faithfulness"):
        chapter_opening("cost", root=tmp_path)


@pytest.fixture(scope="module")
def judged():
    from fovex.study.judged import judged_study

    found = judged_study()
    if found.table.empty:
        pytest.skip("no committed study rows")
    return found


@pytest.fixture(scope="module")
def pages(judged):
    """Every text the book's pages generate from the judged table: the openings, the findings summary and
    claims table, the standing tables, the sweep, variant and preset parts."""
    from fovex.study.chapters.cost import preset_finding
    from fovex.study.chapters.overview import axis_standings
    from fovex.study.chapters.receptive_field import PUBLISHED_MAP, apply_variant_rule
    from fovex.study.findings import findings_summary, judge_claims
    from fovex.study.judged import VARIANTS
    from fovex.study.presets import compare_presets, preset_sources

    texts = {
        axis: chapter_opening(axis) for axis in ("faithfulness", "localisation", "plausibility", "receptive-field")
    }
    claims = judge_claims(judged)
    texts["findings"] = findings_summary(judged, claims)
    texts["verdicts"] = claims.to_string()
    standings = [part for part in axis_standings(judged) if isinstance(part, pd.DataFrame)]
    texts["standings"] = "\n".join(table.to_string() for table in standings)
    candidates, _ = apply_variant_rule(judged, VARIANTS, PUBLISHED_MAP)
    texts["variants"] = candidates.to_string()
    presets = compare_presets(preset_sources("export"), reference="fovex-published")
    texts["presets"] = preset_finding(judged, presets) if presets is not None else ""
    return {"texts": texts, "claims": claims, "standings": standings}


def _names() -> str:
    from fovex.explain import display_name, list_explainers

    names = sorted({display_name(key) for key in list_explainers()}, key=len, reverse=True)
    return "|".join(re.escape(name) for name in names)


INTERVAL = r"([−+0-9.]+ \[[^\]]+\])"
ITEM = re.compile(rf"(?:the )?({_names()}) \({INTERVAL}\)")
LISTED = re.compile(rf"behind [^(;]*\(({_names()}): {INTERVAL}\)")
PHRASES = {"better than": "better", "worse than": "worse", "tied with": "tied", "behind": "worse"}


def _worded(text: str):
    """Every (word, method, interval) a text states: "tied with A (d [lo, hi]), B (...)" gives one per
    method, the word being the last phrase before it in its clause; "behind A, B (A: d [...])" gives A."""
    for match in ITEM.finditer(text):
        clause = re.split(r"[;.:]\s", text[: match.start()])[-1]
        said = [(clause.rfind(phrase), phrase) for phrase in PHRASES if phrase in clause]
        if said:
            yield PHRASES[max(said)[1]], match.group(1), match.group(2)
    for match in LISTED.finditer(text):
        yield "worse", match.group(1), match.group(2)


def test_no_comparison_gets_two_words_anywhere_in_the_book(judged, pages):
    """Every "<word> <method> (<d> [<low>, <high>])" printed on any page is the judged table's word for that
    comparison, and no (pair, metric, data) was handed two words."""
    from fovex.explain import display_name

    rows = judged.table
    checked = 0
    for page, text in pages["texts"].items():
        for word, name, interval in _worded(text):
            found = []
            for _, row in rows.iterrows():
                for b, sign in ((row["reference"], 1), (row["candidate"], -1)):
                    if display_name(b) != name.strip():
                        continue
                    d, low, high = sign * row["difference"], *sorted((sign * row["ci_low"], sign * row["ci_high"]))
                    if format_difference(row["metric"], d, low, high) == interval:
                        w = (
                            row["word"]
                            if sign == 1
                            else {"better": "worse", "worse": "better"}.get(row["word"], "tied")
                        )
                        found.append(w)
            assert found, f"{page}: '{word} {name} ({interval})' matches no judged comparison"
            assert word in found, f"{page}: '{word}: {name} ({interval})' but the judged word is {found}"
            checked += 1
    assert checked > 100  # the openings and the findings page word well over a hundred comparisons
    assert all(len(words) == 1 for words in judged.handed_out.values())


def test_every_measured_metric_is_in_its_chapters_opening_and_on_the_findings_page(pages):
    from fovex.study import load_axis

    for axis in ("faithfulness", "localisation", "plausibility"):
        rows = load_axis(axis).ok
        if axis == "localisation":
            rows = rows.assign(pointing_pct=rows["pointing_hit"].astype(float) * 100)
        measured = [c for c in rows.columns if c in COLUMN_NAMES and c != "pointing_hit" and rows[c].notna().any()]
        measured = [c for c in measured if pd.api.types.is_float_dtype(rows[c])]
        assert measured, axis
        for column in measured:
            name = column_sense(column).name
            assert f"- {name}:" in pages["texts"][axis], (axis, column)
            assert any(name in table.index.get_level_values("metric") for table in pages["standings"]), (axis, column)


def test_best_includes_the_floors_and_says_when_no_method_beats_the_centre_map(pages):
    plausibility = pages["texts"]["plausibility"]
    nss = next(line for line in plausibility.splitlines() if line.startswith("- NSS"))
    assert "the centre map (" in nss.split(";")[0]  # the centre map has the best NSS mean, and is named so
    assert "no method beats the centre map" in nss


def test_the_size_claim_reads_contradicted_and_the_counts_are_honest(pages):
    claims = pages["claims"]
    size = claims[claims["id"] == "nss-gradcam"]
    assert set(size["verdict"]) == {"contradicted"} and all("excludes the published +203 %" in w for w in size["why"])
    counted = claims[claims["counted"]]
    assert not counted["data"].str.contains(r" \+ ").any()  # the pooled set is shown, not counted
    assert counted.groupby(["id", "data"]).size().max() == 1  # one verdict per claim and data set
    summary = pages["texts"]["findings"]
    assert "tested here**" in summary and f"of the {len(set(claims['id']))} distinct published claims" in summary


def test_localisation_is_told_at_its_size(pages):
    localisation = pages["texts"]["localisation"]
    assert "cannot rank these methods" in localisation and "from 14 photos" in localisation
    assert "pointing-game hit rate %" in localisation  # the one pointing-game definition
