"""The plausibility chapter's tables (fovex.study.chapters.plausibility), on small hand-made rows."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from IPython.lib.pretty import pretty

import fovex.data
from fovex.study.chapters import Text
from fovex.study.chapters.plausibility import availability, ceiling_tables, difference_figures, saliency_parts


def _study() -> SimpleNamespace:
    """Two data sets; on osie three methods and the centre scanpath, on nus one method."""
    osie = pd.DataFrame(
        {
            "model": "efficientnet_lite0",
            "dataset": "osie",
            "image_id": ["1", "2", "3"] * 4,
            "unit": ["osie/1", "osie/2", "osie/3"] * 4,
            "explainer": ["fovex"] * 3 + ["gradcam"] * 3 + ["centre"] * 3 + ["centre_scanpath"] * 3,
            "nss": [1.0, 2.0, 9.0, 0.5, 0.5, 9.0, 0.2, 0.4, 9.0, float("nan")] + [float("nan")] * 2,
            "scanpath_dtw_px": [100.0, 200.0, 900.0] + [float("nan")] * 6 + [300.0, 400.0, 900.0],
        }
    )
    nus = pd.DataFrame(
        {
            "model": "efficientnet_lite0",
            "dataset": "nus",
            "image_id": ["7"],
            "unit": ["nus/7"],
            "explainer": ["fovex"],
            "nss": [3.0],
        }
    )
    return SimpleNamespace(ok=pd.concat([osie, nus], ignore_index=True))


CEILINGS = {
    "osie": pd.DataFrame({"image_id": ["1", "2"], "nss": [2.0, 4.0], "scanpath_dtw_px": [50.0, 70.0]}),
    "nus": pd.DataFrame({"image_id": ["7"], "nss": [5.0], "scanpath_dtw_px": [10.0]}),
}


def test_text_is_shown_without_quotes():
    line = Text("osie: 2 images")
    assert pretty(line) == "osie: 2 images" and line == "osie: 2 images"


def test_ceiling_tables_set_the_methods_beside_the_humans_on_the_ceilings_images():
    parts = ceiling_tables(_study(), CEILINGS, ["nss"], lines=True)
    assert parts[0] == "osie: the human ceiling computed during this build on 2 images"
    assert isinstance(parts[0], Text) and isinstance(parts[2], Text)
    osie, nus = parts[1], parts[3]
    assert osie.index.name == "osie: method"
    # every method but the centre scanpath, sorted, then the humans; image 3 (no ceiling) left out
    assert osie.index.tolist() == ["centre map", "FovEx", "Grad-CAM", "humans (leave one out)"]
    assert osie.loc["FovEx"].iloc[0].startswith("1.50")  # mean NSS of images 1, 2
    assert osie.loc["humans (leave one out)"].iloc[0].startswith("3.00")
    assert nus.index.tolist() == ["FovEx", "humans (leave one out)"]


def test_scanpath_ceiling_tables_show_fovex_and_the_floor_only():
    parts = ceiling_tables(
        _study(), CEILINGS, ["scanpath_dtw_px"], explainers=["fovex", "centre_scanpath"], axis="scanpath of"
    )
    assert len(parts) == 2  # no lines: one table per data set
    osie = parts[0]
    assert osie.index.name == "osie: scanpath of"
    assert osie.index.tolist() == ["centre scanpath", "FovEx", "humans (leave one out)"]
    # DTW on images 1 and 2: the centre scanpath 300, 400; FovEx 100, 200; the humans 50, 70
    assert [osie.iloc[i, 0].split()[0] for i in range(3)] == ["350.000", "150.000", "60.000"]


def test_difference_figures_draw_one_figure_per_data_set():
    from fovex.study.judged import Scope, judge_scopes

    osie = _study().ok[lambda f: f["dataset"] == "osie"]
    maps = osie[osie["explainer"] != "centre_scanpath"]
    judged = judge_scopes([Scope("plausibility", "osie", maps, ("nss",), "fovex")])
    figures = difference_figures(judged, ["nss"])
    assert len(figures) == 1
    shown = [text.get_text() for text in figures[0].findobj(lambda artist: hasattr(artist, "get_text"))]
    assert any("osie: 3 images; judged intervals" in text for text in shown)


def test_availability_names_the_absent_sets_and_what_runs(monkeypatch):
    monkeypatch.setattr(fovex.data, "is_available", lambda name: name == "osie")
    found, note = availability(["mit1003", "osie", "cat2000"])
    assert found == ["osie"]
    assert note.splitlines() == [
        "cat2000: not available here, no numbers shown for it (get it with `fovex data fetch cat2000`).",
        "mit1003: not available here, no numbers shown for it (get it with `fovex data fetch mit1003`).",
        "running on: ['osie']",
    ]


def test_saliency_parts_are_a_line_a_table_and_bars_per_run():
    ok = _study().ok[lambda f: f["dataset"] == "osie"]
    parts = saliency_parts({"osie": SimpleNamespace(ok=ok)}, ["nss"], "lite0")
    assert parts[0] == "lite0 on osie: 3 images; density σ = 1 degree of visual angle"
    assert isinstance(parts[1], Text) and parts[1].startswith("weights of")  # no manifest here: said so
    table = parts[2]
    assert table.loc["FovEx"].iloc[0].startswith("4.00")  # mean NSS of 1, 2, 9
    assert table.loc["Grad-CAM"].iloc[0].startswith("3.33")  # 0.5, 0.5, 9
    assert len(parts) == 4 and hasattr(parts[3], "savefig")
