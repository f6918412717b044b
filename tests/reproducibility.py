"""How closely a recomputed row must equal a pinned one, on any x86-64 CPU: bounds from measured moves.

Float32 results depend on the float order: PyTorch (``ATEN_CPU_CAPABILITY``) and oneDNN
(``ONEDNN_MAX_CPU_ISA``) pick other kernels on AMX, AVX-512 and AVX2 CPUs, and a batch size or thread count
groups the sums differently. Every bound below is a measured move times a stated margin (``MARGIN``), and
tests/test_portability.py checks that it still is against book/measurements/portability.csv, the summary of
``benchmarks/portability.py`` (reference: batch 4, 1 thread, this CPU's kernels, oneDNN on; each
configuration one axis away: batch 1/8/32, 2 threads, oneDNN AVX2/AVX512_CORE, ATen avx2/avx512, oneDNN
off; EfficientNet-Lite0, the study's first 2 photos, 224 px, insertion/deletion in 16 steps).

@@TABLE@@

So a row is compared in two tiers:

1. Every number within ``TIGHT`` of its column's scale (``PERCENT`` columns: 100 points; counts and
   classes: exactly; others: ``max(1, |pinned|)``). ``TIGHT`` is ``MARGIN`` times the largest closed-form
   move measured (``CLOSED_FORM_MEASURED`` in the table above, and the 2026-12-04 Xeon measurement,
   ``XEON_MOVE``), rounded up to one digit, and far below any change of the code (a real change moves these numbers by 1e-3 or more).
2. A row of an optimisation (``OPTIMISATION``) outside tier 1 has taken another path. It is accepted
   only when what does not depend on the path (the class, its score, the passes) still meets tier 1,
   every other number is within ``LOOSE`` of its scale (single photos of FovEx on a GPU against the CPU
   differ by up to 0.098 AUC), and it is the only such row of its method in its group. A change to the
   method moves every photo, so it still fails; one photo on another path is reported, not failed.

Batch sizes (tests/test_study.py sets a run at batch 4 beside one at batch 2): ``BATCH_SIZE_PERCENT`` points
of a percentage and ``BATCH_SIZE_UNIT`` of an AUC or score, ``MARGIN`` times the largest batch-size move
measured on the closed-form methods (the table's ``batch`` column, and ``EPYC_BATCH_MOVE``: an AMD EPYC
moved RISE's %Drop by 9.9e-5 points between batch 4 and 2, above the former bound of 1e-6).

Chaotic quantities (Meaningful Perturbation after 300 Adam steps: Adam's first steps move each mask cell
by about ``+-lr`` whatever ``|g|``, so a cell whose gradient is within float noise of zero can go either
way, and 300 steps amplify that into another mask) are not compared per photo: tests/test_reproduce.py
tests the mean of the paired differences over ``MP_PHOTOS`` photos against ``MP_Z`` standard errors, with
the per-photo spread ``MP_SIGMA`` = ``MP_SIGMA_MARGIN`` times the measured root mean square move of a photo
between paths. After 1 step MP's maps are identical on every path (tests/test_regression.py pins MP at 1
step); after 3 steps its numbers still move by float rounding only (the table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Every bound is at least this many times the largest move measured (the table above).
MARGIN = 10
#: The benchmark's closed-form methods (book/measurements/portability.csv labels): TIGHT covers their moves.
CLOSED_FORM_MEASURED = frozenset(@@CLOSED@@)
#: The largest closed-form move (of a column's scale) measured on 2026-12-04, an AVX-512 Xeon against AVX2:
#: 8.0e-4 points of %Drop.
XEON_MOVE = 8.0e-6
#: Tier 1: a recomputed number within this fraction of its column's scale.
TIGHT = @@TIGHT@@
#: RISE's %Drop, batch 4 against 2 (tests/test_study.py), on a 2-core AMD EPYC (issue 36): 9.9e-5 points.
EPYC_BATCH_MOVE = 9.9e-5
#: Batch size: a recomputed percentage within this many points, an AUC or score within BATCH_SIZE_UNIT.
BATCH_SIZE_PERCENT = @@BSP@@
BATCH_SIZE_UNIT = @@BSU@@
#: Meaningful Perturbation after 300 steps, compared as a distribution (tests/test_reproduce.py).
MP_MEASURED = "mp300"
MP_SIGMA_MARGIN = 2
#: Per-photo spread of a path's move: MP_SIGMA_MARGIN times the measured root mean square move.
MP_SIGMA = @@MPS@@
#: A paired mean within MP_Z standard errors of 0 (normal: a false alarm about 1 in 16000 runs).
MP_Z = 4.0
#: The committed batch: 4 photos.
MP_PHOTOS = 4
#: Tier 2: a photo whose optimisation took another path, within this fraction of the column's scale.
LOOSE = 0.15
#: Columns in percent: scale 100.
PERCENT = frozenset({"drop_pct", "increase_pct", "ebpg_pct", "pointing_pct"})
#: Counts and class indices: equal exactly.
EXACT = frozenset({"index", "label", "predicted", "target", "n_objects", "forward_passes", "backward_passes", "batch"})
#: What a photo's path cannot change: the class explained, its score and the passes spent (and every
#: label, string and flag).
PATH_INDEPENDENT = frozenset({"target", "target_score", "label", "predicted", "forward_passes", "backward_passes"})
#: Per-photo outcomes that another path may flip (compared exactly on the pinned path).
PATH_FLAGS = frozenset({"increase", "pointing_hit"})
#: Methods (registry keys) whose result is the end point of an optimisation.
OPTIMISATION = frozenset({"fovex", "meaningful_perturbation"})


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _scale(column: str, pinned: np.ndarray) -> np.ndarray:
    """100 points for a percentage; else the pinned value's magnitude, at least 1."""
    if column in PERCENT:
        return np.full_like(pinned, 100.0)
    return np.maximum(1.0, np.abs(np.nan_to_num(pinned)))


def off_by(column: str, pinned: pd.Series, recomputed: pd.Series, fraction: float) -> np.ndarray:
    """Per row: does ``recomputed`` miss ``pinned`` by more than ``fraction`` of the column's scale?"""
    if not _numeric(pinned):
        missing = pinned.isna().to_numpy() & recomputed.isna().to_numpy()
        return ~missing & (pinned.astype(str).to_numpy() != recomputed.astype(str).to_numpy())
    want = pinned.to_numpy(dtype=float)
    got = pd.to_numeric(recomputed, errors="coerce").to_numpy(dtype=float)
    both_nan = np.isnan(want) & np.isnan(got)
    if column in EXACT:
        return ~both_nan & ~(want == got)
    return ~both_nan & ~(np.abs(want - got) <= fraction * _scale(column, want))


def compare(
    pinned: pd.DataFrame, recomputed: pd.DataFrame, columns, describe, *, method: str, group: list[str]
) -> tuple[list[str], list[str]]:
    """Compare row by row (same order); return (problems, notes on photos that took another path).

    ``describe(i)`` names row ``i``; ``method`` is the column holding the registry key; ``group``
    the columns within which at most one photo per optimisation method may take another path.
    """
    if len(pinned) != len(recomputed):
        return [f"{len(recomputed)} rows, the pinned rows are {len(pinned)}"], []
    pinned, recomputed = pinned.reset_index(drop=True), recomputed.reset_index(drop=True)
    problems, notes = [], []
    missing = [c for c in columns if c not in recomputed]
    problems += [f"column {c!r} is missing" for c in missing]
    columns = [c for c in columns if c not in missing]
    tight = {c: off_by(c, pinned[c], recomputed[c], TIGHT) for c in columns}
    loose = {c: off_by(c, pinned[c], recomputed[c], LOOSE) for c in columns}
    # Labels, strings and flags are no path's end point: they match exactly, whatever the path.
    exact = {c for c in columns if c in PATH_INDEPENDENT or (not _numeric(pinned[c]) and c not in PATH_FLAGS)}
    row_off = np.zeros(len(pinned), dtype=bool)
    for c in set(columns) - exact:
        row_off |= tight[c]
    optimisation = pinned[method].isin(OPTIMISATION).to_numpy()
    other_path = row_off & optimisation
    for c in columns:
        # Closed-form rows, and what no path changes, meet tier 1; another path meets tier 2.
        bad = tight[c] & (~optimisation | (c in exact))
        if c not in PATH_FLAGS:
            bad |= loose[c] & other_path
        for i in np.flatnonzero(bad)[:3]:
            problems.append(f"{c} at {describe(i)}: pinned {pinned.loc[i, c]!r}, now {recomputed.loc[i, c]!r}")
    keys = pinned[group + [method]].astype(str).agg("/".join, axis=1)
    for key, count in keys[other_path].value_counts().items():
        if count > 1:
            problems.append(f"{count} photos of {key} took another path: a change to the method, not float order")
    for i in np.flatnonzero(other_path):
        moved = ", ".join(f"{c} {pinned.loc[i, c]!r} -> {recomputed.loc[i, c]!r}" for c in columns if tight[c][i])
        notes.append(f"{describe(i)} took another optimisation path on this CPU ({moved})")
    return problems, notes


#: A photo as every AVX2 and AVX-512 CPU tried preprocesses it: imagenet-sample ``n01440764_tench`` at
#: 128 px, its :func:`fovex.seeding.image_digest` and its pixel sum.
PINNED_PHOTO = ("n01440764_tench", 128, 1483696887998053529, 21020.820481956005)


def skip_where_seeds_differ() -> None:
    """Skip where this CPU resizes photos to other float bits; fail where the pixels really changed.

    Every stochastic explainer (FovEx's restarts, RISE's masks, the random map, the centre scanpath)
    seeds each image's generator with a digest of its preprocessed float32 pixels, so that an image's
    explanation does not depend on its batch. Without AVX2 (``ATEN_CPU_CAPABILITY=default``: CPUs
    older than 2013) torchvision's resampling rounds a few pixels differently (the pixel sum moves by
    3e-11 relative), every digest changes, and every random draw with it: the pinned rows then cannot
    be compared on this CPU, by design, not by a defect.
    """
    from fovex.data import open_dataset
    from fovex.seeding import image_digest

    name, size, digest, pixel_sum = PINNED_PHOTO
    dataset = open_dataset("imagenet-sample", image_size=size)
    image = dataset[dataset.index_of(name)].image
    if image_digest(image) == digest:
        return
    import pytest
    import torch

    moved = abs(float(image.double().sum()) - pixel_sum) / pixel_sum
    assert moved < 1e-6, f"{name} preprocesses to other pixels (sum moved by {moved:.1e} relative): a change"

    pytest.skip(
        f"this CPU ({torch.backends.cpu.get_cpu_capability()} kernels) resizes photos to other float bits "
        f"(pixel sum {moved:.0e} relative): every per-image seed differs, so pinned rows cannot be compared"
    )
