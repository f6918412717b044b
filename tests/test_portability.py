"""The tests of the tests: do the pinned-number bounds hold on other float paths than this CPU's?

``test_the_pinned_number_tests_pass_on_every_emulated_path`` (slow; ``make test-portability``) re-runs the
tests that compare recomputed floats with pinned ones in subprocesses, once per emulated configuration:
PyTorch's AVX2 kernels (``ATEN_CPU_CAPABILITY=avx2``), oneDNN limited to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``),
oneDNN off (``FOVEX_MKLDNN=0``, honoured by tests/conftest.py) and 1 and 2 threads (``FOVEX_TEST_THREADS``).
A bound that holds only on this machine's own path fails here, before it fails on a user's machine.
``FOVEX_PORTABILITY_FULL=1`` adds tests/test_reproduce.py's recomputations (about 5 minutes more per path).

The fast tests check that the bounds of tests/reproducibility.py are the measured maxima of
book/measurements/portability.csv (``benchmarks/portability.py``'s summary) times their stated margin, and
that the figures book/methods.md quotes ("Across machines") are that file's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import reproducibility as rep

REPO = Path(__file__).resolve().parents[1]
MEASURED = REPO / "book" / "measurements" / "portability.csv"

#: Emulated paths: name -> environment. Thread counts matter only to tests that do not pin them.
PATHS = {
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "onednn-off": {"FOVEX_MKLDNN": "0"},
    "threads-1": {"FOVEX_TEST_THREADS": "1"},
    "threads-2": {"FOVEX_TEST_THREADS": "2"},
}
#: The pinned-number tests (node ids), and the paths each is re-run on.
PINNED = {
    "tests/test_regression.py::test_every_explainer_and_metric_family_reproduces_the_pinned_rows": (
        "aten-avx2",
        "onednn-avx2",
        "onednn-off",
    ),  # its runs pin 1 thread
    "tests/test_study.py::test_a_recomputed_study_is_set_beside_the_committed_rows": tuple(PATHS),
    # Its first parametrisation only (faithfulness: FovEx and Grad-CAM, the committed batch of 4).
    "tests/test_study.py::test_committed_study_rows_are_reproduced_by_the_current_code"
    "[faithfulness-explainers0-columns0-None]": (
        "aten-avx2",
        "onednn-avx2",
        "onednn-off",
    ),
}
FULL = {
    "tests/test_reproduce.py": ("aten-avx2", "onednn-avx2", "onednn-off"),
}


def _measured() -> pd.DataFrame:
    return pd.read_csv(MEASURED)


def _row(frame: pd.DataFrame, method: str, quantity: str) -> pd.Series:
    rows = frame[(frame["method"] == method) & (frame["quantity"] == quantity)]
    assert len(rows) == 1, (method, quantity)
    return rows.iloc[0]


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("FOVEX_PORTABILITY") != "1",
    reason="re-runs the pinned-number tests once per emulated path (tens of minutes): make test-portability",
)
@pytest.mark.parametrize("path", list(PATHS))
def test_the_pinned_number_tests_pass_on_every_emulated_path(path, shared_data):
    tests = {node: paths for node, paths in PINNED.items() if path in paths}
    if os.environ.get("FOVEX_PORTABILITY_FULL") == "1":
        tests.update({node: paths for node, paths in FULL.items() if path in paths})
    nodes = list(tests)
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")}
    env.update(PATHS[path], PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore", *nodes]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"on {path} ({PATHS[path]}):\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    assert " passed" in done.stdout, done.stdout[-2000:]


def test_the_bounds_are_the_measured_moves_times_their_margin():
    """Every bound of tests/reproducibility.py is at least its margin times what was measured."""
    measured = _measured()
    closed = measured[measured["method"].isin(rep.CLOSED_FORM_MEASURED)]
    scale = closed["quantity"].map(lambda q: 100.0 if q == "drop_pct" else 1.0)
    move = max((closed["max_abs"] / scale).max(), rep.XEON_MOVE)
    # At least the margin, and no looser than rounding up to one digit makes it (a change still fails).
    assert rep.MARGIN * move <= rep.TIGHT <= 2 * rep.MARGIN * move
    percent = closed["quantity"] == "drop_pct"
    assert rep.BATCH_SIZE_PERCENT >= rep.MARGIN * max(closed[percent]["batch_max_abs"].max(), rep.EPYC_BATCH_MOVE)
    assert rep.BATCH_SIZE_UNIT >= rep.MARGIN * closed[~percent]["batch_max_abs"].max()
    mp = measured[measured["method"] == rep.MP_MEASURED]
    for quantity, sigma in rep.MP_SIGMA.items():
        assert sigma >= rep.MP_SIGMA_MARGIN * _row(mp, rep.MP_MEASURED, quantity)["rms_abs"], quantity
    assert rep.MP_SIGMA["drop_pct"] >= rep.EPYC_MP_MEAN_MOVE * 2**0.5


def test_the_methods_page_quotes_the_measured_moves():
    """book/methods.md's "Across machines" paragraph: every figure it gives is the measured table's."""
    text = (REPO / "book" / "methods.md").read_text()
    section = text.split("## Across machines", 1)[1].split("\n## ", 1)[0]
    measured = _measured()
    expected = methods_figures(measured)
    for phrase in expected:
        assert phrase in " ".join(section.split()), phrase
    # No other figure in the paragraph than those checked here (and the step counts, photos and margins).
    quoted = set(re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", " ".join(expected)))
    allowed = quoted | {str(n) for n in (1, 2, 3, 4, 8, 32, 300, 512)}
    stray = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?", section)) - allowed
    assert not stray, f"figures in the paragraph that no test checks: {sorted(stray)}"


def methods_figures(measured: pd.DataFrame) -> list[str]:
    """The phrases book/methods.md must contain, formatted from the measured table."""
    mp = measured[measured["method"] == rep.MP_MEASURED]
    drop = _row(mp, rep.MP_MEASURED, "drop_pct")
    closed = measured[measured["method"].isin(rep.CLOSED_FORM_MEASURED)]
    closed_drop = closed[closed["quantity"] == "drop_pct"]["max_abs"].max()
    closed_auc = closed[closed["quantity"].isin(["insertion_auc", "deletion_auc"])]["max_abs"].max()
    few = _row(measured, "mp3", "drop_pct")["max_abs"]
    machine = measured.iloc[0]
    yes = {True: "yes", False: "no"}
    return [
        f"by up to {drop['max_abs']:.1f} points of %Drop per photo and {drop['mean_abs']:.1f} in the mean",
        f"at most {closed_drop:.0e} points of %Drop and {closed_auc:.0e} of an insertion or deletion AUC",
        f"after 3 steps by at most {few:.0e} points",
        f"on an {machine['cpu']} (AVX-512 {yes[bool(machine['avx512'])]}, AMX {yes[bool(machine['amx'])]})",
        f"against the committed rows: {rep.EPYC_MP_MEAN_MOVE} points in the mean of 2 photos",
    ]
