"""Numbers pinned across refactors: a fixed set of rows recomputed and compared with a stored fixture.

The fixture (``tests/fixtures/regression-rows.csv``) was written by the code before the explainers /
engine restructuring (issue 13). Every explainer, every metric family, on CPU with one thread, on real
photos of the shared data. Map summaries (mean, standard deviation, a position-weighted sum of the stored
float16 map, the scanpath's coordinates) pin the maps too, not only the scores computed from them.

The code after any change must reproduce every value on any x86-64 CPU: within 3e-5 of the column's
scale, booleans, classes and counts exactly (``tests/reproducibility.py`` says why, with the measured
moves between instruction sets). Meaningful Perturbation runs 1 Adam step here, not 15: after 15 its
maps differ between AVX-512 and AVX2 kernels by up to 7.5e-3, after 3 by 2.4e-7 (enough to reorder
near-tied pixels of its insertion curve by 3e-5 AUC), after 1 not at all, so 1 step pins its code path
on every CPU (its two rows were rewritten when the check moved to 1 step; every other row is as the
fixture was written).

Regenerate only when a number is *meant* to move (and say why in the commit):
``python tests/test_regression.py --write``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reproducibility import TIGHT, compare, skip_where_seeds_differ

FIXTURE = Path(__file__).parent / "fixtures" / "regression-rows.csv"

_COMMON = {"config_version": 1, "device": "cpu", "seed": 42, "threads": 1, "save_maps": True}
_COARSE = {"faithfulness": {"step": 1024}}  # 16 steps per curve at 128 px: the protocol, cheaper

#: name -> config. Budgets are far below the published ones: the point is every code path, pinned.
CONFIGS: dict[str, dict] = {
    "classification": {
        **_COMMON,
        "models": ["efficientnet_lite0"],
        "explainers": [
            "fovex",
            "gradcam",
            "gradcam++",
            {"name": "scorecam", "settings": {"batch_size": 64}},
            {"name": "meaningful_perturbation", "settings": {"steps": 1}},  # stable on every CPU (see above)
            {"name": "rise", "settings": {"masks": 120, "batch_size": 50}},  # 50: as the fixture was computed
            "random",
            "centre",
            "centre_scanpath",
            {
                "name": "fovex",
                "label": "fovex-loss-weighted",
                "settings": {"preset": "fast", "aggregation": "loss_weighted"},
            },
        ],
        "dataset": {"name": "imagenet-sample", "num_images": 2, "order": "spread", "image_size": 128},
        "metrics": ["drop_increase", "insertion", "deletion"],
        "metric_settings": _COARSE,
        "batch_size": 2,
    },
    "localisation": {
        **_COMMON,
        "models": ["efficientnet_lite0"],
        "explainers": [
            {"name": "fovex", "settings": {"fixations": 3, "steps": 4}},
            "gradcam",
            {"name": "rise", "settings": {"masks": 60, "batch_size": 50}},
            "centre",
        ],
        "dataset": {"name": "voc-sample", "num_images": 2, "image_size": 128},
        "metrics": ["pointing_game", "ebpg", "deletion"],
        "metric_settings": _COARSE,
        "batch_size": 2,
    },
    "plausibility": {
        **_COMMON,
        "models": ["efficientnet_lite0"],
        "explainers": [
            {"name": "fovex", "settings": {"fixations": 4, "steps": 3}},
            "gradcam",
            "random",
            "centre_scanpath",
        ],
        "dataset": {"name": "osie", "num_images": 3, "order": "spread", "image_size": 128},
        "metrics": ["nss", "cc", "kld", "sim", "auc_judd", "sauc", "scanpath_dtw", "scanpath_string_edit"],
        "batch_size": 3,
    },
    "transformer": {
        **_COMMON,
        "models": [{"name": "vit_base_patch16_224", "weights": "none"}],  # random weights: code path only
        "explainers": ["gae", "gradcam"],
        "dataset": {"name": "imagenet-sample", "num_images": 1, "image_size": 224},
        "metrics": ["drop_increase", "deletion"],
        "metric_settings": {"faithfulness": {"step": 5000}},
        "batch_size": 1,
    },
}

#: Columns that depend on the machine, not on the code's arithmetic.
_UNPINNED = ("explain_seconds", "metric_seconds", "dataset", "split")


def _run_dir_rows(name: str, config: dict, out: Path) -> pd.DataFrame:
    from fovex.evaluation import run
    from fovex.evaluation.store import load_maps

    rows = run({**config, "name": f"regression-{name}"}, out, quiet=True)
    rows = rows.drop(columns=[c for c in _UNPINNED if c in rows]).copy()
    rows.insert(0, "config", name)
    summaries = {}
    for model in rows["model"].unique():
        for explainer in rows["explainer"].unique():
            for key, arrays in load_maps(out, model, explainer).items():
                attribution = arrays["attribution"].astype(np.float64)
                height, width = attribution.shape
                weights = np.arange(height * width, dtype=np.float64).reshape(height, width) / (height * width)
                entry = {
                    "map_mean": attribution.mean(),
                    "map_std": attribution.std(),
                    "map_weighted_sum": float((attribution * weights).sum()),
                }
                if "fixations_xy" in arrays:
                    fixations = arrays["fixations_xy"].astype(np.float64)
                    entry["fixations_x_sum"] = fixations[:, 0].sum()
                    entry["fixations_y_sum"] = fixations[:, 1].sum()
                summaries[(model, explainer, key)] = entry
    keys = [
        (model, explainer, image if pd.isna(cls) else f"{image}/{cls}")
        for model, explainer, image, cls in rows[["model", "explainer", "image_id", "object_class"]].itertuples(
            index=False
        )
    ]
    extra = pd.DataFrame([summaries.get(key, {}) for key in keys], index=rows.index)
    return pd.concat([rows, extra], axis=1)


def compute_rows(out_root: Path) -> pd.DataFrame:
    """Every config's rows with map summaries, in a fixed order."""
    frames = [_run_dir_rows(name, config, out_root / name) for name, config in CONFIGS.items()]
    return pd.concat(frames, ignore_index=True)


def _compare(expected: pd.DataFrame, actual: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(problems, notes): every column of the fixture, with the tolerances of ``tests/reproducibility.py``."""

    def describe(i: int) -> str:
        return "/".join(str(expected.loc[i, c]) for c in ("config", "explainer", "image_id", "object_class"))

    return compare(expected, actual, list(expected.columns), describe, method="method", group=["config", "explainer"])


def _read_fixture() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, dtype={"image_id": str, "object_class": str}, keep_default_na=True)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as it reads back from CSV (the fixture's own round trip), for a like-for-like comparison."""
    import io

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.17g")
    buffer.seek(0)
    return pd.read_csv(buffer, dtype={"image_id": str, "object_class": str})


@pytest.mark.slow
def test_every_explainer_and_metric_family_reproduces_the_pinned_rows(tmp_path, shared_data):
    skip_where_seeds_differ()
    expected = _read_fixture()
    assert set(expected["config"]) == set(CONFIGS)
    # The fixture covers every registered explainer and every metric family.
    import fovex
    from fovex.evaluation import METRICS

    assert set(expected["method"]) == set(fovex.explainers())
    families = {METRICS[m].family for config in CONFIGS.values() for m in config["metrics"]}
    assert families == {spec.family for spec in METRICS.values()}
    actual = _normalised(compute_rows(tmp_path))
    problems, notes = _compare(expected, actual)
    assert not problems, "numbers moved:\n" + "\n".join(problems + notes)
    for note in notes:
        warnings.warn(note, stacklevel=1)


def test_the_comparison_catches_a_moved_number():
    expected = _read_fixture()
    assert not _compare(expected, _normalised(expected))[0]  # missing values of any kind compare equal
    gradcam = int(expected.index[(expected["method"] == "gradcam") & expected["deletion_auc"].notna()][0])
    moved = expected.copy()
    moved.loc[gradcam, "deletion_auc"] += 2 * TIGHT  # a closed-form path: float order moves it far less
    assert any("deletion_auc" in problem for problem in _compare(expected, moved)[0])
    moved.loc[gradcam, "deletion_auc"] = expected.loc[gradcam, "deletion_auc"] + TIGHT / 2
    assert _compare(expected, moved) == ([], [])
    moved = expected.copy()
    moved.loc[gradcam, "drop_pct"] += 50 * TIGHT  # percentages: within 3e-5 of 100 points
    assert _compare(expected, moved) == ([], [])
    moved.loc[gradcam, "drop_pct"] += 100 * TIGHT
    assert any("drop_pct" in problem for problem in _compare(expected, moved)[0])
    renamed = expected.copy()
    renamed.loc[0, "target_name"] = "something else"
    assert any("target_name" in problem for problem in _compare(expected, renamed)[0])
    assert _compare(expected, expected.iloc[:-1])[0] == [
        f"{len(expected) - 1} rows, the pinned rows are {len(expected)}"
    ]


def test_one_photo_on_another_optimisation_path_is_reported_more_are_a_change():
    expected = _read_fixture()
    fovex_rows = expected.index[(expected["config"] == "classification") & (expected["explainer"] == "fovex")]
    first, second = (int(i) for i in fovex_rows[:2])
    other_path = expected.copy()
    other_path.loc[first, ["insertion_auc", "fixations_x_sum"]] += [0.09, 12.0]  # a fixation moved
    problems, notes = _compare(expected, other_path)
    assert problems == [] and len(notes) == 1 and "insertion_auc" in notes[0] and "another" in notes[0]
    too_far = other_path.copy()
    too_far.loc[first, "insertion_auc"] += 0.2  # beyond what another path gives
    assert any("insertion_auc" in problem for problem in _compare(expected, too_far)[0])
    class_moved = other_path.copy()
    class_moved.loc[first, "target_score"] += 1e-3  # no path changes the model's score of the class
    assert any("target_score" in problem for problem in _compare(expected, class_moved)[0])
    both = other_path.copy()
    both.loc[second, "deletion_auc"] += 0.01  # every photo moved: the method changed
    assert any("2 photos" in problem for problem in _compare(expected, both)[0])
    gradcam = int(expected.index[expected["method"] == "gradcam"][0])
    closed_form = expected.copy()
    closed_form.loc[gradcam, "insertion_auc"] += 0.01  # Grad-CAM has no path to take
    assert any("insertion_auc" in problem for problem in _compare(expected, closed_form)[0])


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_regression.py --write   (regenerates the fixture)")
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        rows = compute_rows(Path(scratch))
    FIXTURE.parent.mkdir(exist_ok=True)
    rows.to_csv(FIXTURE, index=False, float_format="%.17g")
    print(f"{FIXTURE}: {len(rows)} rows")


def test_the_seed_guard_skips_only_for_other_float_bits_and_fails_for_other_pixels(shared_data, monkeypatch):
    import reproducibility

    name, size, digest, pixel_sum = reproducibility.PINNED_PHOTO
    monkeypatch.setattr(reproducibility, "PINNED_PHOTO", (name, size, digest + 1, pixel_sum))
    with pytest.raises(pytest.skip.Exception, match="every per-image seed differs"):
        reproducibility.skip_where_seeds_differ()  # same pixels to float precision, other bits: a skip
    monkeypatch.setattr(reproducibility, "PINNED_PHOTO", (name, size, digest + 1, pixel_sum * 1.001))
    with pytest.raises(AssertionError, match="preprocesses to other pixels"):
        reproducibility.skip_where_seeds_differ()  # other pixels: a change, never skipped
