"""benchmarks/gpu_check.sh, the prepared device check: its plumbing, proven by a dry run on the CPU.

The dry run does every step at a tiny size (CPU, FovEx T=1 K=1 at B=1, two photos for the agreement) and
must leave every table in its output folder; the real run differs only in sizes and device.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "gpu_check.sh"


def test_the_script_parses():
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0


@pytest.mark.slow
def test_a_dry_run_on_the_cpu_leaves_every_table(tmp_path, shared_data):
    out = tmp_path / "check"
    env = {key: value for key, value in os.environ.items() if key != "OUT"}
    completed = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--models", "efficientnet_lite0", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,  # every step has its own limit; this bounds the test whatever happens
    )
    assert completed.returncode == 0, completed.stderr
    summary = (out / "summary.txt").read_text()
    steps = {line.split()[0]: line for line in summary.splitlines()[1:] if line.strip() and ":" not in line.split()[0]}
    names = ("tests", "bench-efficientnet_lite0-float32", "bench-efficientnet_lite0-bfloat16", "bench-deterministic")
    for name in (*names, "levers", "agreement"):
        assert " ok " in steps[name], summary
    assert "skipped: benchmarks/ has no published-code comparison" in steps["published"]
    assert (out / "machine.txt").read_text().startswith("date: ")
    assert 'failures="0"' in (out / "tests.xml").read_text()
    bench = pd.read_csv(out / "bench.csv")  # every step's rows, gathered
    fovex = bench[bench["explainer"] == "fovex"]
    assert (fovex["batch_size"] == 1).all()
    assert sorted(zip(fovex["dtype"], fovex["deterministic"])) == [
        ("bfloat16", False),
        ("float32", False),
        ("float32", True),  # the price of deterministic kernels
    ]
    assert (fovex["ratio_to_floor"] > 0).all() and set(bench["explainer"]) == {"fovex", "random"}
    levers = pd.read_csv(out / "levers.csv")
    assert list(levers["lever"]) == ["default", "bf16-weights"] and (levers["ratio_to_floor"] > 0).all()
    assert levers.loc[levers["lever"] == "default", "speedup_over_default"].item() == 1.0
    agreement = pd.read_csv(out / "agreement" / "agreement.csv")
    assert set(agreement["explainer"]) == {"gradcam", "centre"} and (agreement["n"] == 2).all()
    # The CPU recomputes the committed CPU rows: they agree.
    assert (agreement["max_abs_difference"] < 1e-4).all()
