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


def _script(*args: str, python: str = "false") -> subprocess.CompletedProcess:
    """The script with every Python step failing at once (``PYTHON=false``): its plumbing alone, in seconds."""
    env = {key: value for key, value in os.environ.items() if key != "OUT"}
    env["PYTHON"] = python
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_an_output_folder_that_cannot_be_made_is_refused_and_nothing_lands_in_the_root(tmp_path):
    """Issue 36, item 5: `gpu_check.sh --dry-run OUT` with OUT not creatable (a file, a path under a file,
    read-only) wrote its tables and logs into `/`."""
    taken = tmp_path / "taken"
    taken.write_text("a file where OUT should be")
    before = set(os.listdir("/"))
    for out in (taken, taken / "check"):
        completed = _script("--dry-run", str(out))
        assert completed.returncode == 2, completed.stdout + completed.stderr
        lines = completed.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"gpu_check.sh: cannot write {out}"), completed.stderr
        assert completed.stdout == ""
    assert set(os.listdir("/")) == before
    assert taken.read_text() == "a file where OUT should be"


def test_a_check_whose_steps_failed_exits_non_zero_and_says_which(tmp_path):
    """Issue 36, item 7: `gpu_check.sh OUT` exited 0 on a CPU machine although every benchmark and the
    agreement step had failed."""
    out = tmp_path / "check"
    completed = _script("--models", "efficientnet_lite0", str(out))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith("gpu_check.sh: ") and "failed" in last and "bench-efficientnet_lite0-float32" in last
    summary = (out / "summary.txt").read_text()
    assert "failed (exit 1)" in summary and "steps failed" in summary
