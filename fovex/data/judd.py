"""Fixations from MIT1003's raw eye traces, as the data set's own ``checkFixations.m`` finds them.

MIT1003 (Judd et al. 2009) ships, per observer and image, the raw gaze samples of a 240 Hz eye
tracker (``DATA/<observer>/<image>.mat``, ``DATA(1).eyeData``: (N, 2) x, y in 1-based image pixels;
blinks are negative). Fixations are not stored: the data set's MATLAB function ``checkFixations``
(Barbara Hidalgo-Sotelo, in the data set's DatabaseCode) derives them, and every user of the data set
(the MIT saliency benchmark, pysaliency's ``get_mit1003``) runs it. :func:`judd_fixations` is that
function's acceleration algorithm (the one it runs) written again in NumPy, so that the numbers equal
MATLAB's, including its quirks; each step names the MATLAB variable it mirrors. In short:

1. ``posChange``: the distance between successive samples (0 before the first), smoothed by a causal
   4-sample mean (``filter(ones(1,4)/4, 1, .)``).
2. ``accel[k]`` (1-based k = 2 .. N-5): the smoothed distance summed over samples k+1..k+5 minus over
   k..k+4, divided by 4/240 s. A sample with ``accel > 204`` (34 px/deg x 6 deg/s) is a saccade
   candidate.
3. Runs of candidates are marked begin (3) / middle (1) / end (2); lone candidates are dropped.
4. Each run's end must be followed, within 25 samples, by a sample with ``accel < -204`` and then one
   that is not (the deceleration); the saccade ends at the first such sample. A run without one is
   dropped, unless it is the trace's last acceleration.
5. A fixation between two saccades lasting at most 12 samples (50 ms) joins the two saccades; a
   final fixation that short is absorbed into the last saccade.
6. Fixations are the spans between saccades: start, end (1-based samples, inclusive), duration
   ``1000 * (end - start + 1) / 240`` ms and the median x, y of the span's non-NaN samples. A trace
   with no saccade is one fixation (its NaN-median).

Checked against the MATLAB original run by GNU Octave 7.3 on synthetic traces (tests/test_mit1003.py
pins the agreement). The first fixation of every trace is the forced central fixation of the
experiment; dropping it is the loader's business (:mod:`fovex.data.mit1003`), not this function's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EYE_TRACKER_HZ", "JuddFixations", "judd_fixations"]

#: MIT1003's eye tracker (ETL 400 ISCAN) samples at 240 Hz.
EYE_TRACKER_HZ = 240
_PX_PER_DEG = 34  # checkFixations' display geometry
_DEG_PER_S = 6
_ACCEL_CRIT = _PX_PER_DEG * _DEG_PER_S  # 204
_WINDOW = 4  # samples in the smoothing window and the velocity windows
_STEP = 1
_MIN_FIXATION = round(50 * EYE_TRACKER_HZ / 1000)  # 12 samples: the shortest fixation allowed
_DECELERATION_SEARCH = 25  # samples searched for a saccade's deceleration


@dataclass(frozen=True)
class JuddFixations:
    """``checkFixations``' ``Fix``: per fixation the 1-based first and last sample (inclusive), the
    duration in ms and the median (x, y) in the trace's coordinates (1-based pixels for MIT1003)."""

    start: np.ndarray  # (F,) int
    end: np.ndarray  # (F,) int
    duration_ms: np.ndarray  # (F,) float
    median_xy: np.ndarray  # (F, 2) float

    def __len__(self) -> int:
        return len(self.start)


def _acceleration(xy: np.ndarray) -> np.ndarray:
    """``accel``, 0-based position k-1 holding MATLAB's ``accel(k)``."""
    n = len(xy)
    step = np.zeros(n)
    step[1:] = np.sqrt(np.diff(xy[:, 0]) ** 2 + np.diff(xy[:, 1]) ** 2)
    # filter(ones(1, 4) / 4, 1, step): a causal moving mean, zeros before the first sample, summed in
    # the order of MATLAB's direct form II: y(t) = b x(t) + (b x(t-1) + (b x(t-2) + b x(t-3))).
    weighted = np.concatenate([np.zeros(_WINDOW - 1), step / _WINDOW])
    smooth = weighted[:n].copy()  # b x(t-3)
    for lag in range(_WINDOW - 2, -1, -1):  # + b x(t-2), + b x(t-1), + b x(t)
        smooth = weighted[_WINDOW - 1 - lag : _WINDOW - 1 - lag + n] + smooth
    accel = np.zeros(n)
    last = n - _WINDOW - _STEP  # MATLAB k = 2 : N - winSize - stepSize
    if last >= 2:
        k = np.arange(2, last + 1)
        seconds = _WINDOW / EYE_TRACKER_HZ

        def window_sum(offset: int) -> np.ndarray:  # sum(smooth(k + offset : k + offset + winSize)), in order
            total = smooth[k - 1 + offset]
            for i in range(1, _WINDOW + 1):
                total = total + smooth[k - 1 + offset + i]
            return total

        accel[k - 1] = window_sum(_STEP) / seconds - window_sum(0) / seconds
    return accel


def _candidate_runs(accel: np.ndarray) -> np.ndarray | None:
    """The marked saccade candidates (rows: 1-based sample, mark 3/1/2), MATLAB's ``checkSac = nn``;
    None where the original quits because there are fewer than 3 (no saccade)."""
    above = np.flatnonzero(accel > _ACCEL_CRIT) + 1  # checkSac, 1-based samples
    if len(above) < 3:
        return None
    gaps = np.diff(above)
    count = len(above)
    # Indices into `above` are kept 1-based, as MATLAB's find returns them.
    middle = list(np.flatnonzero(gaps == 1) + 1)  # eachsac1
    ends = list(np.flatnonzero(gaps > 1) + 1)  # eachsac2
    lone = [ends[i + 1] for i in np.flatnonzero(np.diff(ends) == 1)] if len(ends) > 1 else []  # eachsac3
    last_contiguous = above[-1] - above[-2] == 1
    if last_contiguous:
        middle.append(count)
    else:
        lone.append(count)
    marks = np.zeros(count, dtype=int)
    marks[np.asarray(middle, dtype=int) - 1] = 1
    marks[np.asarray(ends, dtype=int) - 1] = 2
    marks[np.asarray(lone, dtype=int) - 1] = 3
    rows = np.stack([above, marks], axis=1)
    if last_contiguous:
        rows[-1, 1] = 2
    else:
        rows = rows[:-1]
        ends = ends[:-1]
    rows[np.asarray(ends, dtype=int), 1] = 3  # eachsac2 + 1: the sample after a run's end begins the next
    if rows[0, 1] == 1:
        rows[0, 1] = 3
    kept = []
    if rows[0, 1] == 3 and rows[1, 1] == 1:
        kept.append(rows[0])
    length = max(len(rows), 2)  # MATLAB's length(n) of an (r, 2) matrix
    for i in range(1, length - 1):  # MATLAB i = 2 : length(n) - 1
        mark, before, after = rows[i, 1], rows[i - 1, 1], rows[i + 1, 1]
        if mark == 1 or (mark == 3 and after == 1) or (mark == 2 and before == 1 and after == 3):
            kept.append(rows[i])
        if i == length - 2:  # the last row joins when it follows the last kept one
            previous = kept[-1][0] if kept else 0
            if rows[-1, 0] - previous == 1:
                kept.append(rows[i + 1])
    if len(kept) < 3:
        return None
    return np.asarray(kept)


def _saccades(accel: np.ndarray, runs: np.ndarray, n: int) -> tuple[list[int], list[int]]:
    """First and last samples (1-based) of each saccade that has a deceleration (``startSac``, ``endSac``)."""
    ends = np.flatnonzero(runs[:, 1] == 2)  # eachsac2 (0-based rows)
    begins = np.flatnonzero(runs[:, 1] == 3)  # eachsac3
    last_motion = np.flatnonzero(accel != 0)
    good, stops = [], []  # goodSac, blah
    for sac, row in enumerate(ends):
        check = np.array([runs[row, 0] + 1, runs[row, 0] + 2])
        below = accel[check - 1] < -_ACCEL_CRIT
        budget, in_time = _DECELERATION_SEARCH, True
        while not (below[0] and not below[1]) and in_time:
            check = check + 1
            below = accel[check - 1] < -_ACCEL_CRIT
            budget -= 1
            in_time = check.max() < n and budget > 0
        if not in_time:
            # `if checkSac(eachsac2) == find(accel ~= 0, 1, 'last')`: true only when every run end is there.
            if len(ends) and len(last_motion) and np.all(runs[ends, 0] == last_motion[-1] + 1):
                good.append(sac)
                stops.append(len(accel))
        else:
            good.append(sac)
            stops.append(int(check[0]))
    if not good:
        return [], []
    if max(good) >= len(begins):
        raise ValueError("checkFixations: a saccade candidate run has an end but no beginning")
    begin_samples = [int(runs[begins[g], 0]) for g in good]
    accel_ends = [int(runs[ends[g], 0]) for g in good]
    decel = [list(pair) for pair in zip(accel_ends, stops)]
    if len(good) > 1:
        too_short = {i for i in range(len(good) - 1) if begin_samples[i + 1] - decel[i][1] <= _MIN_FIXATION}
        starts = [begin_samples[i] for i in range(len(good)) if i - 1 not in too_short]
        finals = [decel[i] for i in range(len(good)) if i not in too_short]
    else:
        starts, finals = begin_samples, [decel[-1]]
    if n - decel[-1][1] <= _MIN_FIXATION:  # a final fixation that short is part of the saccade
        finals[-1][1] = n
    return starts, [final[1] for final in finals]


def judd_fixations(eye_data) -> JuddFixations:
    """``[~, Fix] = checkFixations(eyeData)``: the fixations of one raw 240 Hz gaze trace.

    ``eye_data``: (N, 2) or wider (extra columns ignored) x, y per sample, NaN allowed. Returns the
    fixations in trace order (see the module docstring for the algorithm). Raises ``ValueError``
    where the MATLAB original stops with an error (a degenerate trace).
    """
    xy = np.asarray(eye_data, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] < 2 or len(xy) == 0:
        raise ValueError(f"eye data must be (N, 2) samples with N >= 1, got shape {xy.shape}")
    xy = xy[:, :2]
    n = len(xy)
    accel = _acceleration(xy)
    runs = _candidate_runs(accel)
    spans = None
    if runs is not None:
        starts, ends = _saccades(accel, runs, n)
        labels = np.zeros(n + 1, dtype=int)  # 1-based; index 0 unused; later marks overwrite earlier ones
        labels[starts] = 3
        labels[ends] = 2
        labels[[s for start, end in zip(starts, ends) for s in range(start + 1, end)]] = 1
        labels = labels[1:]
        if np.count_nonzero(labels) >= 3:
            spans = _fixation_spans(labels, n)
    if spans is None:  # no saccade: the whole trace is one fixation
        median = [np.nan if np.isnan(c).all() else float(np.nanmedian(c)) for c in (xy[:, 0], xy[:, 1])]
        length = max(n, 2)  # MATLAB's length(data) of an (N, 2) matrix: 2 for a one-sample trace
        return JuddFixations(
            np.array([1]), np.array([length]), np.array([1000.0 * length / EYE_TRACKER_HZ]), np.array([median])
        )
    starts, ends = spans
    medians = np.empty((len(starts), 2))
    for i, (start, end) in enumerate(zip(starts, ends)):
        for axis in range(2):
            values = xy[start - 1 : end, axis]
            values = values[~np.isnan(values)]
            medians[i, axis] = np.median(values) if len(values) else np.nan
    durations = 1000.0 * (ends - starts + 1) / EYE_TRACKER_HZ
    return JuddFixations(starts, ends, durations, medians)


def _fixation_spans(labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``fixStart``, ``fixEnd`` (1-based) from the per-sample labels (0 fixation, 3/1/2 saccade)."""
    begins = np.flatnonzero(labels == 3) + 1
    ends = np.flatnonzero(labels == 2) + 1
    fixating = np.flatnonzero(labels == 0) + 1
    if len(fixating) == 0 or len(ends) == 0 or len(begins) == 0:
        raise ValueError("checkFixations: the trace has saccade marks but no complete saccade and fixation")
    if len(begins) == 1:
        starts = [fixating[0], *(ends + 1)] if ends[-1] != n else [fixating[0]]
    else:
        starts = [fixating[0], *(ends[:-1] + 1)]
        if ends[-1] != n:
            starts.append(ends[-1] + 1)
    first_is_saccade, last_is_saccade = begins[0] == 1, ends[-1] == n
    finishes = list(begins[1:] - 1 if first_is_saccade else begins - 1)
    if not last_is_saccade:
        finishes.append(n)
    if len(finishes) < len(starts):
        raise ValueError("checkFixations: more fixation starts than ends")
    starts = np.asarray(starts, dtype=int)
    return starts, np.asarray(finishes[: len(starts)], dtype=int)
