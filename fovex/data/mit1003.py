"""MIT1003 (Judd, Ehinger, Durand, Torralba, ICCV 2009) as its site serves it: images, pooled fixation
maps and each observer's eye traces.

Fixations, per observer, when the folder has ``DATA/`` (DATA.zip): ``DATA/<observer>/<name>.mat``
holds the raw 240 Hz gaze trace of one observer on one image (a struct named after the image, the
name cut to MATLAB's 63 characters, with ``DATA(1).eyeData``: (N, 2) x, y in 1-based image pixels;
blinks negative). Its fixations are found as the data set's ``checkFixations.m`` finds them
(:func:`fovex.data.judd.judd_fixations`), and then, as in the MIT benchmark and pysaliency's
``get_mit1003``:

- the first fixation of every trace is dropped: the experiment's forced central fixation (Judd et
  al. 2009; ``initial_fixation=True`` keeps it);
- fixations off the image (blinks, glances past its border) are dropped. On the image means, in
  0-based pixels, ``-0.5 <= x < W - 0.5`` and ``-0.5 <= y < H - 0.5`` (the image's own extent, the rule
  every fovex frame uses); pysaliency keeps ``0 < x_matlab < W`` instead, which differs only for a
  fixation within half a pixel of the border.

Conventions (those of every fovex fixation set): x, y are 0-based (``x = x_matlab - 1``; pysaliency
keeps MATLAB's 1-based values), ``onset_s = (start - 1) / 240`` is the time of the fixation's first
sample from the trace's first (pysaliency: ``start / 240``), ``duration_s = Fix.duration / 1000``.
``subject`` is the observer's rank among the sorted ``DATA/`` folder names (``dataset.observers``);
``order`` is the rank within that observer's kept fixations.

Without ``DATA/`` (only ALLSTIMULI and ALLFIXATIONMAPS, the usual download before this version) the
fixations are pooled from the ``*_fixPts.jpg`` maps: no observer, order or duration, so
``dataset.has_observers`` is False and ``dataset.no_observers_reason`` says why (the human ceiling
and the scanpath comparison need observers).

Pixels per degree: images up to 1024 px shown at about 35 px/deg (Judd et al. 2009); an image whose
longer side is not 1024 is assumed scaled to 1024 on screen: px/deg = 35 * max(W, H) / 1024.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import DatasetNotFoundError, Fixations, _Record, with_unique_ids
from .fixations import FixationDataset
from .judd import EYE_TRACKER_HZ, judd_fixations

__all__ = [
    "MIT1003_FIXATION_SOURCES",
    "MIT1003_LAYOUT",
    "MIT1003_PIXELS_PER_DEGREE",
    "detect_mit1003",
    "fixations_from_point_map",
    "mit1003_observers",
    "open_mit1003",
    "read_eye_trace",
]

MIT1003_LAYOUT = """\
MIT1003 (Judd et al. 2009):
  <root>/ALLSTIMULI/<name>.jpeg                                (the images; ALLSTIMULI.zip)
  <root>/ALLFIXATIONMAPS/<name>_fixMap.jpg, <name>_fixPts.jpg  (pooled maps; ALLFIXATIONMAPS.zip)
  <root>/DATA/<observer>/<name>.mat                            (each observer's eye trace; DATA.zip)
ALLSTIMULI with DATA and/or ALLFIXATIONMAPS. With DATA, fixations are per observer, ordered and timed;
with the maps alone they are pooled (no observer, order or duration: no human ceiling, no scanpaths)."""

#: MIT1003: 35 px per degree for images whose longer side is 1024 px.
MIT1003_PIXELS_PER_DEGREE = 35.0
#: ``fixations=`` of :func:`open_mit1003`.
MIT1003_FIXATION_SOURCES = ("auto", "observers", "maps")


def fixations_from_point_map(path: Path, threshold: int = 128) -> Fixations:
    """MIT1003 ``*_fixPts.jpg`` -> pooled :class:`Fixations` (one per pixel >= ``threshold``).

    The map is a binary image (fixated pixels white) stored as JPEG, so it is thresholded at mid-grey
    to undo compression noise. It carries no observer, order or timing, and fixations of several
    observers on one pixel count once.
    """
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        gray = np.asarray(ImageOps.exif_transpose(image).convert("L"))
    rows, cols = np.nonzero(gray >= threshold)
    return Fixations.from_points(np.stack([cols, rows], axis=1).astype(np.float64))


def mit1003_pixels_per_degree(width: int, height: int) -> float:
    return MIT1003_PIXELS_PER_DEGREE * max(width, height) / 1024


def detect_mit1003(root: Path) -> bool:
    return (root / "ALLSTIMULI").is_dir() and ((root / "ALLFIXATIONMAPS").is_dir() or (root / "DATA").is_dir())


def mit1003_observers(root: Path) -> list[str]:
    """The observer folders of ``<root>/DATA`` (sorted; archive litter such as ``__MACOSX`` left out)."""
    data = Path(root) / "DATA"
    if not data.is_dir():
        return []
    return sorted(p.name for p in data.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def read_eye_trace(path: Path, stem: str | None = None) -> np.ndarray:
    """``DATA/<observer>/<name>.mat`` -> the (N, 2) float64 raw gaze samples ``<name>.DATA(1).eyeData``.

    The struct is the variable named after the image (cut to 63 characters, MATLAB's longest name);
    a file holding one other struct with a ``DATA`` field is read too. Raises ``ValueError`` naming the
    file when it holds no such trace.
    """
    from scipy.io import loadmat

    path = Path(path)
    stem = stem or path.stem
    try:
        content = loadmat(str(path), simplify_cells=True)
    except Exception as error:  # noqa: BLE001  (scipy raises MatReadError, ValueError, NotImplementedError (v7.3), ...)
        raise ValueError(f"{path}: not a readable MATLAB file ({type(error).__name__}: {error})") from None
    record = content.get(stem[:63])
    if not isinstance(record, dict):
        structs = [v for k, v in content.items() if not k.startswith("__") and isinstance(v, dict) and "DATA" in v]
        if len(structs) != 1:
            raise ValueError(f"{path}: no struct {stem[:63]!r} with a DATA field (MIT1003's DATA/<observer>/*.mat)")
        record = structs[0]
    data = record.get("DATA")
    if isinstance(data, (list, np.ndarray)) and len(data) and not isinstance(data, dict):
        data = data[0]  # DATA(1) of several repetitions (MIT1003 has one)
    trace = data.get("eyeData") if isinstance(data, dict) else None
    if trace is None:
        raise ValueError(f"{path}: {stem[:63]}.DATA(1) has no eyeData")
    trace = np.asarray(trace, dtype=np.float64)
    if trace.ndim == 1 and trace.size >= 2:  # a one-sample trace loads as a vector
        trace = trace.reshape(1, -1)
    if trace.ndim != 2 or trace.shape[1] < 2 or len(trace) == 0:
        raise ValueError(f"{path}: eyeData has shape {trace.shape}, expected (N, 2)")
    return trace[:, :2]


class _ObserverFixations:
    """Deferred: each observer's fixations on one image, read from ``DATA/`` when the sample is made."""

    def __init__(self, data: Path, observers: list[str], stem: str, initial_fixation: bool, maps: dict):
        self.data, self.observers, self.stem = data, observers, stem
        self.initial_fixation, self.maps = initial_fixation, maps
        self._found: dict = {}  # (width, height) -> result: a run reads an image's fixations more than once

    def __call__(self, width: int, height: int):
        if (width, height) not in self._found:
            self._found[(width, height)] = self._read(width, height)
        fixations, meta = self._found[(width, height)]
        return fixations, dict(meta)

    def _read(self, width: int, height: int):
        columns = {"xy": [], "subject": [], "order": [], "onset_s": [], "duration_s": []}
        missing = []
        for subject, observer in enumerate(self.observers):
            path = self.data / observer / f"{self.stem}.mat"
            if not path.is_file():
                missing.append(observer)
                continue
            trace = read_eye_trace(path, self.stem)  # its errors name the file
            try:
                found = judd_fixations(trace)
            except ValueError as error:
                raise ValueError(f"{path}: {error}") from None
            first = 0 if self.initial_fixation else 1
            xy = found.median_xy[first:] - 1.0  # MATLAB's 1-based pixels -> 0-based
            onset = (found.start[first:] - 1) / EYE_TRACKER_HZ
            duration = found.duration_ms[first:] / 1000.0
            with np.errstate(invalid="ignore"):  # a NaN median (a trace of blinks) is off the image
                on_image = (
                    (xy[:, 0] >= -0.5) & (xy[:, 0] < width - 0.5) & (xy[:, 1] >= -0.5) & (xy[:, 1] < height - 0.5)
                )
            kept = int(on_image.sum())
            columns["xy"].append(xy[on_image])
            columns["subject"].append(np.full(kept, subject))
            columns["order"].append(np.arange(kept))
            columns["onset_s"].append(onset[on_image])
            columns["duration_s"].append(duration[on_image])
        if columns["xy"]:
            fixations = Fixations(
                xy=np.concatenate(columns["xy"]).reshape(-1, 2),
                subject=np.concatenate(columns["subject"]).astype(int),
                order=np.concatenate(columns["order"]).astype(int),
                onset_s=np.concatenate(columns["onset_s"]).astype(np.float64),
                duration_s=np.concatenate(columns["duration_s"]).astype(np.float64),
            )
        else:
            fixations = Fixations.from_points(np.zeros((0, 2)))
        meta = {**self.maps, "observers": len(self.observers) - len(missing), "observers_missing": missing}
        return fixations, meta


class _PointMapFixations:
    def __init__(self, points_path: Path, map_path: Path):
        self.points_path, self.map_path = points_path, map_path

    def __call__(self, width: int, height: int):
        fixations = fixations_from_point_map(self.points_path)
        return fixations, {"fixation_map": str(self.map_path), "fixation_points": str(self.points_path)}


def open_mit1003(
    root: Path,
    split: str | None = None,
    image_size: int | None = 224,
    crop_fraction: float = 1.0,
    pixels_per_degree=None,
    fixations: str = "auto",
    initial_fixation: bool = False,
) -> FixationDataset:
    """MIT1003 in its public layout (:data:`MIT1003_LAYOUT`).

    ``fixations``: ``"auto"`` (each observer's, from ``DATA/``, when the folder has it; else pooled
    from the ``_fixPts`` maps), ``"observers"`` (``DATA/`` required) or ``"maps"`` (pooled, even with
    ``DATA/``). ``initial_fixation``: keep each trace's first, forced central fixation (dropped by
    default, as in Judd et al. and the MIT benchmark). ``sample.meta["fixation_map"]`` is the shipped
    (pre-blurred) ``_fixMap.jpg`` where the folder has it; ``sample.density`` is recomputed from the
    fixations at one degree so that every set uses the same recipe.
    """
    if split not in (None, "all"):
        raise ValueError(f"mit1003 has no splits (got {split!r}); use split=None")
    if fixations not in MIT1003_FIXATION_SOURCES:
        raise ValueError(f"mit1003: fixations must be one of {', '.join(MIT1003_FIXATION_SOURCES)}, got {fixations!r}")
    if not detect_mit1003(root):
        raise DatasetNotFoundError(f"{root} is not MIT1003\n{MIT1003_LAYOUT}")
    observers = mit1003_observers(root)
    maps = root / "ALLFIXATIONMAPS"
    if fixations == "observers" and not observers:
        raise DatasetNotFoundError(
            f"mit1003: fixations='observers' needs {root / 'DATA'}/<observer>/*.mat (DATA.zip), which is missing "
            f"or empty; `fovex data fetch mit1003` fetches it\n{MIT1003_LAYOUT}"
        )
    per_observer = bool(observers) and fixations != "maps"
    if not per_observer and not maps.is_dir():
        raise DatasetNotFoundError(f"mit1003: fixations='maps' needs {maps}\n{MIT1003_LAYOUT}")
    stimuli = sorted(p for p in (root / "ALLSTIMULI").iterdir() if p.suffix.lower() in {".jpeg", ".jpg"})
    records = []
    for path in stimuli:
        points, density = maps / f"{path.stem}_fixPts.jpg", maps / f"{path.stem}_fixMap.jpg"
        if per_observer:
            shipped = {"fixation_map": str(density)} if density.is_file() else {}
            extra = _ObserverFixations(root / "DATA", observers, path.stem, initial_fixation, shipped)
        else:
            if not points.is_file():
                raise DatasetNotFoundError(f"mit1003: {path.name} has no {points.name} in {maps}\n{MIT1003_LAYOUT}")
            extra = _PointMapFixations(points, density)
        records.append(_Record(id=path.stem, path=path, extra=extra))
    records = with_unique_ids(records, [record.path.name for record in records])
    if per_observer:
        source = (
            f"per observer from DATA/<observer>/<name>.mat ({len(observers)} observers; checkFixations, "
            f"{'with' if initial_fixation else 'without'} the initial central fixation)"
        )
        reason = None
    else:
        source = "pooled from ALLFIXATIONMAPS/*_fixPts.jpg (no observer, order or duration)"
        why = "it was opened with fixations='maps'" if observers else f"{root} has no DATA/ folder (DATA.zip)"
        reason = (
            f"MIT1003's fixations here are pooled from its fixation-point maps, without observers: {why}; "
            "`fovex data fetch mit1003` fetches the per-observer eye traces"
        )
    info = {
        "layout": MIT1003_LAYOUT,
        "pixels_per_degree": pixels_per_degree or "35 * max(W, H) / 1024",
        "fixations": source,
        "observers": observers if per_observer else [],
    }
    dataset = FixationDataset(
        "mit1003",
        root,
        records,
        image_size,
        crop_fraction,
        info,
        pixels_per_degree or mit1003_pixels_per_degree,
        no_observers_reason=reason,
    )
    dataset.observers = tuple(info["observers"])
    return dataset
