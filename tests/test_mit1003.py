"""MIT1003 as users have it: per-observer fixations from the DATA/ eye traces, checked by hand and
against pysaliency's MIT1003 loader (which runs the data set's checkFixations.m in Octave/MATLAB)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from paper_fixtures import write_mit1003_trace
from PIL import Image

from fovex.data import DatasetNotFoundError, open_dataset
from fovex.data.judd import judd_fixations
from fovex.data.mit1003 import read_eye_trace

HZ = 240
#: An image name longer than MATLAB's 63-character variable names (the .mat's struct is cut to 63).
LONG = "i" + "x" * 70


def _blocks(*stops: tuple[float, float, int]) -> np.ndarray:
    """A trace holding (x, y) for n samples per stop, each stop reached in one sample."""
    return np.concatenate([np.tile([[x, y]], (n, 1)) for x, y, n in stops]).astype(np.float64)


# Observer "ajs" on "scene" (300 x 200): centre for 72 samples, then (31, 41) x 60, (201, 151) x 60, an
# off-image glance (350, 50) x 30 and (101, 21) x 40; MATLAB's 1-based pixels. N = 262 samples.
AJS = _blocks((150.5, 100.5, 72), (31, 41, 60), (201, 151, 60), (350, 50, 30), (101, 21, 40))


def _jpeg(path: Path, width: int, height: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (90, 120, 150)).save(path, quality=90)


# Observer "zb" on "scene": at the borders. (0.25, 100) lies in pysaliency's 0 < x < W but not on the
# image in fovex's rule (x - 1 = -0.75 < -0.5); (300, 50) the other way round (x - 1 = 299 < 299.5).
ZB = _blocks((150.5, 100.5, 72), (0.25, 100, 60), (300, 50, 60), (150, 100, 40))


def hand_mit1003(root: Path, maps: bool = True) -> Path:
    """Two images, three observers, archive litter (``__MACOSX``, a loose file) and a name over 63 characters."""
    _jpeg(root / "ALLSTIMULI" / "scene.jpeg", 300, 200)
    _jpeg(root / "ALLSTIMULI" / f"{LONG}.jpeg", 120, 100)
    write_mit1003_trace(root / "DATA" / "ajs" / "scene.mat", "scene", AJS, "ajs")
    write_mit1003_trace(root / "DATA" / "zb" / "scene.mat", "scene", ZB, "zb")
    # "CNG" looks at one point only: one fixation, the initial one, which is dropped.
    write_mit1003_trace(root / "DATA" / "CNG" / "scene.mat", "scene", _blocks((40, 30, 200)), "CNG")
    # On the long-named image: centre, then (11, 21) with a blink (NaN and negative samples) inside.
    trace = _blocks((60.5, 50.5, 72), (11, 21, 80))
    trace[100:104] = np.nan
    trace[110:112] = -1.0
    for observer in ("ajs", "CNG", "zb"):
        write_mit1003_trace(root / "DATA" / observer / f"{LONG}.mat", LONG, trace, observer)
    (root / "DATA" / "__MACOSX").mkdir()
    (root / "DATA" / "__MACOSX" / "._scene.mat").write_bytes(b"\0\5\26\7")
    (root / "DATA" / "shuff_stimnames.mat").write_bytes(b"not a trace")
    if maps:
        for stem, (width, height) in (("scene", (300, 200)), (LONG, (120, 100))):
            fixated = np.zeros((height, width), np.uint8)
            fixated[20, 30] = 255
            (root / "ALLFIXATIONMAPS").mkdir(parents=True, exist_ok=True)
            Image.fromarray(fixated).save(root / "ALLFIXATIONMAPS" / f"{stem}_fixPts.jpg", quality=95)
            Image.fromarray(fixated).save(root / "ALLFIXATIONMAPS" / f"{stem}_fixMap.jpg")
    return root


# ----------------------------------------------------------------------------- checkFixations by hand


def test_checkfixations_one_saccade_by_hand():
    """(11, 21) x 100 samples, then (111, 21) x 100. The 100 px step at sample 101 makes posChange(101)
    = 100 and the 4-sample mean 25 at samples 101..104; accel(k) = 60 (SM(k+5) - SM(k)) is +1500 for
    k = 96..99 (the saccade's acceleration: begins at 96, ends at 99) and -1500 for k = 101..104. The
    deceleration search starts at [100, 101] and stops at [104, 105] (accel(104) < -204, accel(105) = 0):
    the saccade is samples 96..104. Fixations: 1..95 and 105..200, 95 and 96 samples."""
    found = judd_fixations(_blocks((11, 21, 100), (111, 21, 100)))
    assert found.start.tolist() == [1, 105] and found.end.tolist() == [95, 200]
    assert found.duration_ms.tolist() == pytest.approx([1000 * 95 / 240, 1000 * 96 / 240], abs=1e-12)
    assert found.median_xy.tolist() == [[11, 21], [111, 21]]


def test_checkfixations_threshold_and_degenerate_traces():
    # A 10 px step: accel peaks at 60 * 10 / 4 = 150 < 204, no saccade: one fixation, the median of all.
    small = judd_fixations(_blocks((11, 21, 100), (21, 21, 100)))
    assert small.start.tolist() == [1] and small.end.tolist() == [200]
    assert small.median_xy.tolist() == [[16.0, 21.0]] and small.duration_ms.tolist() == [1000 * 200 / 240]
    # NaN samples are left out of a median; a one-sample trace lasts 2 samples (MATLAB's length of 1x2).
    gappy = judd_fixations(np.array([[1.0, 2.0], [np.nan, np.nan], [3.0, 4.0], [5.0, 6.0]]))
    assert gappy.median_xy.tolist() == [[3.0, 4.0]] and gappy.end.tolist() == [4]
    assert judd_fixations(np.array([[7.0, 8.0]])).duration_ms.tolist() == [1000 * 2 / 240]
    with pytest.raises(ValueError, match="eye data"):
        judd_fixations(np.zeros((0, 2)))


def test_checkfixations_four_saccades_by_hand():
    """AJS: steps at samples 73, 133, 193, 223; as in the one-saccade case each saccade spans step - 5
    .. step + 3, so fixations are 1..67, 77..127, 137..187, 197..217, 227..262."""
    found = judd_fixations(AJS)
    assert found.start.tolist() == [1, 77, 137, 197, 227]
    assert found.end.tolist() == [67, 127, 187, 217, 262]
    assert found.median_xy.tolist() == [[150.5, 100.5], [31, 41], [201, 151], [350, 50], [101, 21]]


# ----------------------------------------------------------------------------- the loader


def test_mit1003_per_observer_fixations_by_hand(tmp_path):
    root = hand_mit1003(tmp_path / "mit1003")
    (root / "DATA" / "zb" / "scene.mat").unlink()  # zb did not see "scene"
    dataset = open_dataset("mit1003", root=tmp_path, image_size=None)
    assert dataset.has_observers and dataset.no_observers_reason is None
    assert dataset.observers == ("CNG", "ajs", "zb")  # sorted; __MACOSX and the loose file left out
    assert dataset.ids == [LONG, "scene"]
    scene = dataset[dataset.index_of("scene")]
    fixations = scene.fixations_original
    # ajs (subject 1): the central fixation and the off-image glance (x = 349 >= 299.5) dropped.
    assert fixations.subject.tolist() == [1, 1, 1] and fixations.order.tolist() == [0, 1, 2]
    assert fixations.xy.tolist() == [[30, 40], [200, 150], [100, 20]]
    assert fixations.onset_s.tolist() == pytest.approx([76 / HZ, 136 / HZ, 226 / HZ], abs=1e-12)
    assert fixations.duration_s.tolist() == pytest.approx([51 / HZ, 51 / HZ, 36 / HZ], abs=1e-12)
    assert scene.meta["observers"] == 2 and scene.meta["observers_missing"] == ["zb"]
    assert scene.meta["fixation_map"].endswith("scene_fixMap.jpg")
    assert list(fixations.scanpaths()) == [1]
    # The long name: the struct is cut to 63 characters; the blink's samples are in the fixation
    # (checkFixations keeps negative ones: the median of 76 values at 11 and 4 at -1 is 11).
    long = dataset[dataset.index_of(LONG)].fixations_original
    assert sorted(set(long.subject.tolist())) == [0, 1, 2] and long.xy.tolist() == [[10, 20]] * 3


def test_mit1003_fixations_in_the_frame_and_density(tmp_path):
    hand_mit1003(tmp_path / "mit1003")
    dataset = open_dataset("mit1003", root=tmp_path)  # 224 px: 300x200 -> scale 1.12, crop 56 px wide
    scene = dataset[dataset.index_of("scene")]
    expected = scene.geometry.to_frame(scene.fixations_original.xy)
    inside = scene.geometry.inside(expected)
    assert np.array_equal(scene.fixations.xy, expected[inside])
    assert scene.meta["fixations_outside_frame"] == int((~inside).sum())
    assert np.isclose(scene.density.sum(), 1.0)


def test_mit1003_without_data_says_why_there_are_no_observers(tmp_path):
    root = hand_mit1003(tmp_path / "mit1003")
    pooled = open_dataset("mit1003", root=tmp_path, fixations="maps")
    assert not pooled.has_observers and "fixations='maps'" in pooled.no_observers_reason
    shutil.rmtree(root / "DATA")
    dataset = open_dataset("mit1003", root=tmp_path)
    assert not dataset.has_observers and dataset.observers == ()
    assert (
        "no DATA/ folder" in dataset.no_observers_reason and "fovex data fetch mit1003" in dataset.no_observers_reason
    )
    assert dataset.info["has_observers"] is False
    sample = dataset[0]
    assert sample.fixations_original.xy.tolist() == [[30, 20]] and sample.fixations.scanpaths() == {}
    with pytest.raises(DatasetNotFoundError, match="DATA.zip"):
        open_dataset("mit1003", root=tmp_path, fixations="observers")
    with pytest.raises(ValueError, match="auto, observers, maps"):
        open_dataset("mit1003", root=tmp_path, fixations="pooled")


def test_mit1003_with_data_but_no_maps_and_the_initial_fixation(tmp_path):
    hand_mit1003(tmp_path / "mit1003", maps=False)
    dataset = open_dataset("mit1003", root=tmp_path, image_size=None, initial_fixation=True)
    scene = dataset[dataset.index_of("scene")].fixations_original
    # With the initial fixation: CNG's one fixation (39, 29) and ajs's central one (149.5, 99.5) are kept.
    assert scene.subject.tolist() == [0, 1, 1, 1, 1, 2, 2, 2]
    assert scene.xy.tolist()[:2] == [[39, 29], [149.5, 99.5]] and scene.order.tolist()[1:5] == [0, 1, 2, 3]
    assert "fixation_map" not in dataset[0].meta


def test_read_eye_trace_errors(tmp_path):
    from scipy.io import savemat

    savemat(str(tmp_path / "a.mat"), {"other": {"x": 1.0}})
    with pytest.raises(ValueError, match="no struct 'a' with a DATA field"):
        read_eye_trace(tmp_path / "a.mat")
    savemat(str(tmp_path / "b.mat"), {"b": {"DATA": {"notEyeData": 1.0}}})
    with pytest.raises(ValueError, match="no eyeData"):
        read_eye_trace(tmp_path / "b.mat")
    (tmp_path / "c.mat").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable MATLAB file"):
        read_eye_trace(tmp_path / "c.mat")
    # Another variable name than the image's (one struct with DATA): read.
    savemat(str(tmp_path / "d.mat"), {"renamed": {"DATA": {"eyeData": np.ones((3, 2))}}})
    assert read_eye_trace(tmp_path / "d.mat").shape == (3, 2)


# ----------------------------------------------------------------------------- against pysaliency

#: pysaliency 0.2.22 ``_get_mit1003`` (checkFixations.m run by GNU Octave 7.3) on ``hand_mit1003``, printed
#: by tests/pysaliency_mit1003.py: image -> subject -> [x, y, t * 240, duration * 240] in its conventions
#: (1-based pixels, t = start / 240 s, duration = Fix.duration / 1000 s). Subjects: ranks of the sorted
#: observer folders (CNG, ajs, zb), as here. CNG has no fixation on "scene" (only its initial one).
PYSALIENCY_HAND = {
    "scene.jpeg": {
        "1": [[31.0, 41.0, 77, 51], [201.0, 151.0, 137, 51], [101.0, 21.0, 227, 36]],
        "2": [[0.25, 100.0, 77, 51], [150.0, 100.0, 197, 36]],
    },
    f"{LONG}.jpeg": {subject: [[11.0, 21.0, 77, 76]] for subject in ("0", "1", "2")},
}


def _in_pysaliency_conventions(fixations, subject: int) -> np.ndarray:
    """Our fixations of one subject as pysaliency gives them: (x + 1, y + 1, onset * 240 + 1, duration * 240)."""
    rows = fixations.subject == subject
    return np.column_stack(
        [fixations.xy[rows] + 1, fixations.onset_s[rows] * HZ + 1, fixations.duration_s[rows] * HZ]
    ).reshape(-1, 4)


def test_mit1003_agrees_with_pysaliency_pinned(tmp_path):
    """Every fixation pysaliency finds, at the same place, onset and duration, up to the conventions
    (0-based pixels; onset 0 at the first sample), except at the border: zb's (0.25, 100) is in
    pysaliency's 0 < x < W but off the image here (x - 1 = -0.75 < -0.5), and (300, 50) the other way."""
    hand_mit1003(tmp_path / "mit1003")
    dataset = open_dataset("mit1003", root=tmp_path, image_size=None)
    for image, subjects in PYSALIENCY_HAND.items():
        fixations = dataset[dataset.index_of(Path(image).stem)].fixations_original
        for subject in range(3):
            theirs = np.array(subjects.get(str(subject), []), dtype=np.float64).reshape(-1, 4)
            ours = _in_pysaliency_conventions(fixations, subject)
            if (image, subject) == ("scene.jpeg", 2):
                assert ours.tolist() == [[300.0, 50.0, 137.0, 51.0], [150.0, 100.0, 197.0, 36.0]]
                theirs, ours = theirs[1:], ours[1:]  # the border fixations differ, as documented
            assert np.allclose(ours, theirs, rtol=0, atol=1e-9), (image, subject)


@pytest.mark.skipif(
    not (os.environ.get("FOVEX_PYSALIENCY_PYTHON") and os.environ.get("FOVEX_MIT1003_CODE") and shutil.which("octave")),
    reason="set FOVEX_PYSALIENCY_PYTHON (a Python with pysaliency) and FOVEX_MIT1003_CODE (checkFixations.m's folder)",
)
def test_mit1003_agrees_with_pysaliency_live(tmp_path):
    """Runs pysaliency itself on the paper world's MIT1003 (OSIE observers as eye traces) and compares."""
    import json

    from paper_fixtures import make_paper_world

    world = make_paper_world(tmp_path, images=3, observers=3, models=())
    root = world.data_root / "mit1003"
    done = subprocess.run(
        [
            os.environ["FOVEX_PYSALIENCY_PYTHON"],
            str(Path(__file__).with_name("pysaliency_mit1003.py")),
            str(root),
            os.environ["FOVEX_MIT1003_CODE"],
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    printed = json.loads(done.stdout[done.stdout.index("{") :])
    dataset = open_dataset("mit1003", root=root, image_size=None)
    for sample in dataset:
        for subject in range(3):
            expected = printed.get(f"{sample.id}.jpeg", {}).get(str(subject), [])
            theirs = np.array(expected, dtype=np.float64).reshape(-1, 4)
            theirs[:, 2:] *= HZ
            ours = _in_pysaliency_conventions(sample.fixations_original, subject)
            assert np.allclose(ours, theirs, rtol=0, atol=1e-9), (sample.id, subject)
