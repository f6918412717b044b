"""How closely a recomputed row must equal a pinned one, on any x86-64 CPU: bounds from measured moves.

Float32 results depend on the float order: PyTorch (``ATEN_CPU_CAPABILITY``) and oneDNN
(``ONEDNN_MAX_CPU_ISA``) pick other kernels on AMX, AVX-512 and AVX2 CPUs, and a batch size or thread count
groups the sums differently. Every bound below is a measured move times a stated margin (``MARGIN``), and
tests/test_portability.py checks that it still is against book/measurements/portability.csv, the summary of
``benchmarks/portability.py`` (reference: batch 4, 1 thread, this CPU's kernels, oneDNN on; each
configuration one axis away: batch 1/8/32, 2 threads, oneDNN AVX2/AVX512_CORE, ATen avx2/avx512, oneDNN
off; EfficientNet-Lite0, the study's first 2 photos, 224 px, insertion/deletion in 16 steps).

Measured (AMD EPYC; AVX-512 yes, AMX no; torch 2.14.1+cu130;
moves from the reference, the largest over the configurations; ``batch``: over batch sizes only;
``rms``: root mean square of a photo's move)::

    method    quantity         max abs   max rel  mean abs     batch       rms  worst
    gradcam   map_mean         1.5e-07     5e-07   9.4e-08   1.4e-08   3.6e-08  oneDNN off
    gradcam   map_std            8e-08   2.8e-07   4.5e-08   3.7e-08   2.3e-08  oneDNN off
    gradcam   target_score     2.6e-07   5.1e-07   5.9e-08   1.5e-07   9.8e-08  oneDNN off
    gradcam   score_masked     1.1e-06   2.1e-06   7.4e-07     1e-06   4.7e-07  2 threads
    gradcam   drop_pct         0.00015   1.6e-05   7.3e-05   0.00014   5.3e-05  2 threads
    gradcam   insertion_auc    3.3e-07   7.7e-07   2.1e-07     3e-07   1.2e-07  2 threads
    gradcam   deletion_auc       2e-07   2.1e-06   1.2e-07     9e-08   5.8e-08  oneDNN off
    rise16    map_mean         2.5e-07   4.6e-07   1.4e-07         0   6.5e-08  2 threads
    rise16    map_std          9.5e-08   4.5e-07   5.2e-08         0   3.1e-08  2 threads
    rise16    target_score     2.6e-07   5.1e-07   5.9e-08   1.5e-07   9.8e-08  oneDNN off
    rise16    score_masked     1.9e-06   5.7e-06   6.9e-07     6e-08   5.5e-07  2 threads
    rise16    drop_pct         0.00031     9e-06   0.00012   2.7e-05   9.2e-05  2 threads
    rise16    insertion_auc    3.9e-07   9.8e-07   2.2e-07   1.7e-07   1.2e-07  oneDNN off
    rise16    deletion_auc     3.3e-07   1.2e-06   1.7e-07   6.5e-08   8.3e-08  oneDNN off
    fovex2x5  map_mean               0         0         0         0         0  batch 1
    fovex2x5  map_std                0         0         0         0         0  batch 1
    fovex2x5  target_score     2.6e-07   5.1e-07   5.9e-08   1.5e-07   9.8e-08  oneDNN off
    fovex2x5  score_masked     4.5e-07   2.3e-06   4.2e-07   1.6e-07   1.5e-07  oneDNN off
    fovex2x5  drop_pct         8.8e-05   1.6e-06   8.2e-05   1.5e-05   3.1e-05  oneDNN off
    fovex2x5  insertion_auc    3.5e-07     9e-07   1.7e-07     3e-07   1.4e-07  oneDNN off
    fovex2x5  deletion_auc     5.5e-07     3e-06   2.6e-07   1.5e-07   1.5e-07  oneDNN off
    mp1       map_mean         2.5e-07   4.9e-07   5.7e-08   4.3e-08   6.9e-08  oneDNN off
    mp1       map_std          2.6e-07   1.3e-06   1.8e-07   2.4e-08   6.7e-08  oneDNN off
    mp1       target_score     2.6e-07   5.1e-07   5.9e-08   1.5e-07   9.8e-08  oneDNN off
    mp1       score_masked     8.4e-07   0.00012   6.2e-07   4.6e-07   2.8e-07  oneDNN off
    mp1       drop_pct         0.00011   1.2e-06   9.5e-05   6.9e-05   4.1e-05  oneDNN off
    mp1       insertion_auc    3.3e-05   9.8e-05   1.7e-05   1.9e-06   7.9e-06  oneDNN off
    mp1       deletion_auc     0.00023    0.0021   0.00012   2.6e-06   5.4e-05  oneDNN off
    mp3       map_mean         7.9e-05   0.00016   3.9e-05   7.9e-05   3.4e-05  batch 1
    mp3       map_std          3.7e-05   0.00023   2.5e-05   2.8e-05   1.5e-05  oneDNN off
    mp3       target_score     2.6e-07   5.1e-07   5.9e-08   1.5e-07   9.8e-08  oneDNN off
    mp3       score_masked     0.00011     0.023   4.8e-05   9.7e-06   2.5e-05  oneDNN off
    mp3       drop_pct           0.021   0.00021    0.0099    0.0019     0.005  oneDNN off
    mp3       insertion_auc     0.0012    0.0033    0.0008   0.00026   0.00032  oneDNN off
    mp3       deletion_auc     0.00098     0.013   0.00049   0.00098   0.00034  2 threads
    mp300     map_mean          0.0049     0.018    0.0039    0.0049    0.0028  batch 1
    mp300     map_std           0.0026     0.008    0.0023    0.0026    0.0016  batch 1
    mp300     target_score     3.5e-08   4.8e-08   2.2e-08   3.5e-08   1.8e-08  batch 1
    mp300     score_masked       0.026       0.2     0.018     0.026     0.014  batch 1
    mp300     drop_pct             5.2      0.22       3.3       5.2       2.7  batch 1
    mp300     insertion_auc      0.016     0.027     0.006     0.016    0.0083  batch 1
    mp300     deletion_auc      0.0077      0.12    0.0032    0.0077    0.0039  batch 1

(RISE with 16 masks, FovEx with 2 fixations of 5 steps, MP after 1, 3 and 300 steps; MP 300 against batch 1
and oneDNN AVX2 only: 5 minutes of one core per configuration. ``ATen default`` is left out: without AVX2
the resized pixels differ in the last bit, so every per-image seed differs, see
:func:`skip_where_seeds_differ`.) Grad-CAM, RISE and FovEx (a small budget) move by float rounding: at
most 3.1e-6 of a column's scale (RISE's %Drop, 3.1e-4 points). Meaningful Perturbation's maps after one
step move by rounding too (2.5e-7), but its near-flat mask has near-tied pixels, and another order of
them moves a deletion AUC by 2.3e-4 (oneDNN off); after 3 steps its %Drop moves by 0.021 points, after
300 by 5.2 points per photo: it is an optimisation (``OPTIMISATION``, tier 2 below), not a closed form.

So a row is compared in two tiers:

1. Every number within ``TIGHT`` of its column's scale (``PERCENT`` columns: 100 points; counts and
   classes: exactly; others: ``max(1, |pinned|)``). ``TIGHT`` is ``MARGIN`` times the largest closed-form
   move measured (``CLOSED_FORM_MEASURED`` in the table above, and the 2026-12-04 Xeon measurement,
   ``XEON_MOVE``: 8e-6, the larger), rounded up to one digit: 8e-5, far below any change of the code (a
   real change moves these numbers by 1e-3 or more).
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
between paths (for %Drop at least ``EPYC_MP_MEAN_MOVE * sqrt(2)``, the spread an AMD EPYC's move against
the committed rows implies: another CPU moves it more than one CPU's paths do). With 4 photos, ``MP_Z = 4``
gives a false alarm about once in 16000 runs on a normal spread, and fails a shift of the mean by more
than ``MP_Z * MP_SIGMA / 2``. tests/test_regression.py pins MP at 1 step, where its maps move by
rounding only; another order of its near-tied pixels (2.3e-4 of a deletion AUC) is one photo on another
path, which tier 2 admits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Every bound is at least this many times the largest move measured (the table above).
MARGIN = 10
#: The benchmark's closed-form methods (book/measurements/portability.csv labels): TIGHT covers their moves.
CLOSED_FORM_MEASURED = frozenset({"fovex2x5", "rise16", "gradcam"})
#: The largest closed-form move (of a column's scale) measured on 2026-12-04, an AVX-512 Xeon against AVX2:
#: 8.0e-4 points of %Drop.
XEON_MOVE = 8.0e-6
#: Tier 1: a recomputed number within this fraction of its column's scale.
TIGHT = 8e-05
#: RISE's %Drop, batch 4 against 2 (tests/test_study.py), on a 2-core AMD EPYC (issue 36): 9.9e-5 points.
EPYC_BATCH_MOVE = 9.9e-5
#: Batch size: a recomputed percentage within this many points, an AUC or score within BATCH_SIZE_UNIT.
BATCH_SIZE_PERCENT = 0.002
BATCH_SIZE_UNIT = 2e-05
#: Meaningful Perturbation after 300 steps, compared as a distribution (tests/test_reproduce.py).
MP_MEASURED = "mp300"
MP_SIGMA_MARGIN = 2
#: MP's mean %Drop over the first 2 photos, recomputed on a 2-core AMD EPYC against the committed rows
#: (issue 36): 7.5 points, a per-photo spread of at least 7.5 * sqrt(2) = 10.6 points across machines.
EPYC_MP_MEAN_MOVE = 7.5
#: Per-photo spread of a path's move: MP_SIGMA_MARGIN times the measured root mean square move, and for
#: %Drop at least the spread the EPYC's move implies (two significant digits, rounded up).
MP_SIGMA = {"drop_pct": 10.7, "deletion_auc": 0.0079, "insertion_auc": 0.017}
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
