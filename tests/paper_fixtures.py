"""A miniature of the paper's world, for tests: its models' weights in a Hugging Face cache and its data
sets in their standard layouts, built in seconds from the project's real data (``../shared/data``).

    from paper_fixtures import make_paper_world              # in a test (pytest puts tests/ on sys.path)

    world = make_paper_world(tmp_path, images=4)              # PaperWorld
    world.activate(monkeypatch)                               # this process: env + huggingface_hub's cache
    subprocess.run([...], env={**os.environ, **world.env})    # a child process: the env alone

After which ``fovex.load_model("resnet50")`` / ``("vit_base_patch16_224")`` load seeded random stand-in
weights from the hub cache (offline, as a user's cached ``timm/resnet50.a1_in1k`` would load), and
``open_dataset("imagenet-val" | "voc2012" | "mit1003")`` open miniature copies:

- ``<data_root>/imagenet``: ``val/ILSVRC2012_val_0000000{1..N}.JPEG`` (photos of the shared
  imagenet-sample, classes spread over the 1000) with the official devkit's
  ``ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt`` and ``meta.mat``. The devkit's
  ILSVRC2012_IDs are not class indices; here they are a seeded permutation of them (the real table is
  not in the project), so a reader that confuses the two fails.
- ``<data_root>/voc2012/VOCdevkit/VOC2012``: JPEGImages, Annotations, SegmentationObject and
  ``ImageSets/Main/{val,trainval}.txt`` from the shared voc-sample (the VOC2012 image 2007_000042 and
  the VOC2007 images also in VOC2012 under their VOC2012 ids 2007_000032/33/39 first).
- ``<data_root>/mit1003``: ``ALLSTIMULI/osie<N>.jpeg`` (OSIE photos), ``ALLFIXATIONMAPS`` (``_fixPts``,
  ``_fixMap``) and ``DATA/<observer>/<image>.mat`` in MIT1003's structure, each a 240 Hz eye trace
  (:func:`mit1003_eye_trace`) that encodes one OSIE observer's fixations after a forced central one.

``world.sources`` holds what each set was built from, for checks against the source data.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from conftest import SHARED_DATA

#: The paper's two models (fovex registry names; timm's default pretrained tags name their hub repositories).
PAPER_MODELS = ("resnet50", "vit_base_patch16_224")
#: MIT1003's eye tracker rate.
HZ = 240
#: Fixations encoded into the MIT1003 traces: at least this long and this far from the one before, so
#: that checkFixations finds each (its saccade threshold, a rise of 204 px/s in the windowed speed, needs
#: a one-sample step over 13.6 px; it merges fixations of 12 samples, 50 ms, or less).
MIN_DURATION_S = 0.1
MIN_AMPLITUDE_PX = 30.0
#: The forced central fixation that starts every trace (the loader drops it, as Judd et al. do).
CENTRE_S = 0.3
#: Samples of the linear saccade between two fixations in a trace.
SACCADE_SAMPLES = 3


@dataclass(frozen=True)
class PaperWorld:
    """What :func:`make_paper_world` built.

    ``data_root``: ``FOVEX_DATA``; ``hf_home``: ``HF_HOME``; ``hub_cache``: ``HF_HUB_CACHE``
    (``hf_home/hub``); ``env``: those three and ``HF_HUB_OFFLINE=1``, for a child process;
    ``weights``: model name -> its checkpoint file in the cache (a hub blob); ``sources``: per set,
    what it was built from (``imagenet``: list of dicts ``file, source, wnid``; ``voc2012``: list of dicts
    ``id, source_xml``; ``mit1003``: dict stem -> ``{"source", "width", "height", "observers": {name:
    {"subject", "xy", "duration_s"}}}`` with the encoded OSIE fixations, 0-based pixels).
    """

    data_root: Path
    hf_home: Path
    hub_cache: Path
    env: dict[str, str]
    weights: dict[str, Path] = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def activate(self, monkeypatch) -> None:
        """Point this process at the world (pytest's ``monkeypatch`` undoes it): the env, and the hub
        client's cache folder, which it reads once at import."""
        import huggingface_hub.constants as hub

        for key, value in self.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(hub, "HF_HOME", str(self.hf_home))
        monkeypatch.setattr(hub, "HF_HUB_CACHE", str(self.hub_cache))
        monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)


def make_paper_world(
    tmp_path: Path,
    images: int = 4,
    observers: int = 3,
    models: tuple[str, ...] = PAPER_MODELS,
    seed: int = 0,
    weights_dtype: str = "float16",
    shared: Path = SHARED_DATA,
) -> PaperWorld:
    """Build the world under ``tmp_path`` (``data/`` and ``hf/``); see the module docstring.

    ``images``: images per set (ImageNet val, VOC2012, MIT1003; VOC has 14 at most). ``observers``:
    MIT1003 observers (OSIE's first ``observers`` subjects, 15 at most). ``models``: whose stand-in
    weights to write (empty: none, for data-only tests). ``seed``: the weights' seed. ``weights_dtype``:
    the stored dtype (float16 halves the files; timm loads them into float32 models).
    Raises ``FileNotFoundError`` when ``shared`` lacks the source data.
    """
    for folder in ("imagenet-sample", "voc-sample", "osie"):
        if not (shared / folder).is_dir():
            raise FileNotFoundError(f"the shared data set {shared / folder} is missing")
    tmp_path = Path(tmp_path)
    data_root, hf_home = tmp_path / "data", tmp_path / "hf"
    hub_cache = hf_home / "hub"
    hub_cache.mkdir(parents=True, exist_ok=True)
    sources = {
        "imagenet": make_imagenet_val(data_root / "imagenet", images, shared),
        "voc2012": make_voc2012(data_root / "voc2012" / "VOCdevkit" / "VOC2012", images, shared),
        "mit1003": make_mit1003(data_root / "mit1003", images, observers, shared),
    }
    weights = {name: write_stand_in_weights(hub_cache, name, seed, weights_dtype) for name in models}
    env = {
        "FOVEX_DATA": str(data_root),
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hub_cache),
        "HF_HUB_OFFLINE": "1",
    }
    return PaperWorld(data_root, hf_home, hub_cache, env, weights, sources)


# ----------------------------------------------------------------------------- weights


def stand_in_state_dict(architecture: str, seed: int = 0, dtype: str = "float32") -> dict:
    """Seeded random weights for timm's ``architecture``: its state dict's names and shapes, filled fast
    (the model is built on the meta device; timm's own initialisation of ViT-B takes seconds): weights
    N(0, 1/fan_in), biases and running means 0, norm scales and running variances 1, counters 0. The
    logits are finite, meaningless numbers. Every call with the same arguments gives the same tensors."""
    import timm
    import torch

    with torch.device("meta"):
        shapes = timm.create_model(architecture, pretrained=False).state_dict()
    generator = torch.Generator().manual_seed(seed)
    cast = getattr(torch, dtype)
    state = {}
    for name, meta in shapes.items():
        if not meta.is_floating_point():
            state[name] = torch.zeros(meta.shape, dtype=meta.dtype)
        elif name.endswith(("running_var",)) or (meta.ndim == 1 and name.endswith(".weight")):
            state[name] = torch.ones(meta.shape, dtype=cast)
        elif meta.ndim <= 1:
            state[name] = torch.zeros(meta.shape, dtype=cast)
        else:
            fan_in = max(1, meta[0].numel()) if meta.ndim > 1 else 1
            scale = 0.02 if name.endswith(("cls_token", "pos_embed")) else fan_in**-0.5
            state[name] = (torch.randn(meta.shape, generator=generator) * scale).to(cast)
    return state


def hub_repo_id(architecture: str) -> str:
    """The hub repository of timm's default pretrained weights (``timm/resnet50.a1_in1k``)."""
    import timm

    return timm.models.get_pretrained_cfg(architecture).hf_hub_id


def write_stand_in_weights(hub_cache: Path, architecture: str, seed: int = 0, dtype: str = "float16") -> Path:
    """Seeded stand-in weights for ``architecture`` as the hub client caches timm's real ones:
    ``models--timm--<repo>/blobs/<sha256>``, ``snapshots/<revision>/model.safetensors`` (a link to the
    blob) and ``refs/main`` (the revision). Returns the blob."""
    from safetensors.torch import save_file

    repo = hub_repo_id(architecture)
    state = stand_in_state_dict(architecture, seed, dtype)
    folder = Path(hub_cache) / f"models--{repo.replace('/', '--')}"
    revision = hashlib.sha1(f"fovex stand-in {repo} seed {seed} {dtype}".encode()).hexdigest()
    (folder / "blobs").mkdir(parents=True, exist_ok=True)
    staging = folder / "blobs" / "incoming.safetensors"
    save_file(state, str(staging))
    with open(staging, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    blob = folder / "blobs" / digest
    staging.replace(blob)
    snapshot = folder / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    link = snapshot / "model.safetensors"
    if link.exists() or link.is_symlink():
        link.unlink()
    try:
        link.symlink_to(Path("..") / ".." / "blobs" / digest)
    except OSError:  # no symbolic links here: the hub client then stores a copy, and so do we
        shutil.copyfile(blob, link)
    (folder / "refs").mkdir(exist_ok=True)
    (folder / "refs" / "main").write_text(revision)
    return blob


# ----------------------------------------------------------------------------- ImageNet val


def make_imagenet_val(root: Path, images: int, shared: Path = SHARED_DATA, permutation_seed: int = 2012) -> list[dict]:
    """``images`` photos of the shared imagenet-sample as ``root/val/ILSVRC2012_val_<i>.JPEG`` with the
    devkit's ground truth (ILSVRC2012_IDs) and ``meta.mat`` (ID -> WNID). Returns per image
    ``{"file", "source", "wnid"}``."""
    from scipy.io import savemat

    photos = sorted((shared / "imagenet-sample").glob("n*_*.JPEG"))
    chosen = [photos[i] for i in np.linspace(0, len(photos) - 1, images).round().astype(int)]
    wnids = sorted({p.name.split("_")[0] for p in photos})
    if len(wnids) != 1000:
        raise FileNotFoundError(f"{shared / 'imagenet-sample'} does not hold one photo per class")
    ids = np.random.default_rng(permutation_seed).permutation(1000) + 1  # wnids[i] has ILSVRC2012_ID ids[i]
    (root / "val").mkdir(parents=True, exist_ok=True)
    data = root / "ILSVRC2012_devkit_t12" / "data"
    data.mkdir(parents=True, exist_ok=True)
    made, truth = [], []
    for number, photo in enumerate(chosen, start=1):
        name = f"ILSVRC2012_val_{number:08d}.JPEG"
        shutil.copyfile(photo, root / "val" / name)
        wnid = photo.name.split("_")[0]
        truth.append(str(ids[wnids.index(wnid)]))
        made.append({"file": name, "source": photo, "wnid": wnid})
    (data / "ILSVRC2012_validation_ground_truth.txt").write_text("\n".join(truth) + "\n")
    fields = ["ILSVRC2012_ID", "WNID", "words", "gloss", "num_children", "children", "wordnet_height"]
    entries = [(int(ids[i]), wnid, wnid, "", 0, np.zeros((1, 0)), 0) for i, wnid in enumerate(wnids)]
    # The real meta.mat lists the 860 inner synsets after the 1000 leaves (IDs 1001..1860).
    entries += [
        (1001, "n00001740", "entity", "", 2, np.array([[1, 2]]), 18),
        (1002, "n00002684", "object", "", 1, 3, 17),
    ]
    synsets = np.zeros((len(entries), 1), dtype=[(name, object) for name in fields])
    for row, entry in enumerate(entries):
        for name, value in zip(fields, entry):
            synsets[row, 0][name] = value
    savemat(str(data / "meta.mat"), {"synsets": synsets})
    return made


# ----------------------------------------------------------------------------- VOC2012

#: voc-sample ids in the order used, with the VOC2012 id of each (the first four are VOC2012 images).
VOC2012_IDS = {
    "2007_000042": "2007_000042",
    "000032": "2007_000032",
    "000033": "2007_000033",
    "000039": "2007_000039",
}


def make_voc2012(root: Path, images: int, shared: Path = SHARED_DATA) -> list[dict]:
    """``images`` voc-sample images in the VOC2012 layout under ``root`` (VOCdevkit/VOC2012). Returns per
    image ``{"id", "source_xml"}``."""
    source = shared / "voc-sample"
    order = list(VOC2012_IDS) + sorted(
        p.stem for p in (source / "Annotations").glob("*.xml") if p.stem not in VOC2012_IDS
    )
    if images > len(order):
        raise ValueError(f"voc-sample has {len(order)} images, {images} asked for")
    for folder in ("JPEGImages", "Annotations", "SegmentationObject", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    made = []
    for stem in order[:images]:
        new = VOC2012_IDS.get(stem, stem)
        shutil.copyfile(source / "JPEGImages" / f"{stem}.jpg", root / "JPEGImages" / f"{new}.jpg")
        tree = ET.parse(source / "Annotations" / f"{stem}.xml")
        tree.getroot().find("folder").text = "VOC2012"
        tree.getroot().find("filename").text = f"{new}.jpg"
        tree.write(root / "Annotations" / f"{new}.xml")
        mask = source / "SegmentationObject" / f"{stem}.png"
        if mask.is_file():
            shutil.copyfile(mask, root / "SegmentationObject" / f"{new}.png")
        made.append({"id": new, "source_xml": source / "Annotations" / f"{stem}.xml"})
    listing = "".join(f"{entry['id']}\n" for entry in made)
    for split in ("val", "trainval"):
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text(listing)
    return made


# ----------------------------------------------------------------------------- MIT1003


def mit1003_eye_trace(
    xy: np.ndarray, durations_s: np.ndarray, width: int, height: int, saccade_samples: int = SACCADE_SAMPLES
) -> np.ndarray:
    """A noiseless 240 Hz gaze trace in MIT1003's coordinates (1-based pixels) visiting ``xy`` ((F, 2),
    0-based pixels) for ``durations_s`` each, after a forced central fixation of :data:`CENTRE_S`; each
    saccade is a straight line over ``saccade_samples`` samples."""
    centre = np.array([(width + 1) / 2, (height + 1) / 2])  # the image's centre, 1-based
    stops = np.vstack([centre, np.asarray(xy, dtype=np.float64).reshape(-1, 2) + 1.0])
    holds = [round(CENTRE_S * HZ), *(max(1, round(d * HZ)) for d in durations_s)]
    pieces = [np.repeat(stops[:1], holds[0], axis=0)]
    for previous, stop, hold in zip(stops[:-1], stops[1:], holds[1:]):
        steps = (np.arange(1, saccade_samples + 1) / saccade_samples)[:, None]
        pieces += [previous + (stop - previous) * steps, np.repeat(stop[None], hold - 1, axis=0)]
    return np.concatenate(pieces)


def write_mit1003_trace(path: Path, stem: str, trace: np.ndarray, observer: str) -> None:
    """``DATA/<observer>/<stem>.mat`` as MIT1003 stores it: a struct named ``stem`` (cut to MATLAB's 63
    characters) whose 5th field ``DATA`` is a 1x1 struct with the trace as its 3rd field ``eyeData``."""
    from scipy.io import savemat

    # Readers that index by position find DATA as the struct's 5th field and eyeData as DATA's 3rd; only
    # those two names matter (fovex reads by name); the other field names here are placeholders.
    record = {
        "userName": observer,
        "imgName": f"{stem}.jpeg",
        "imgFolder": "ALLSTIMULI",
        "trial": 1.0,
        "DATA": {"startTime": 0.0, "endTime": len(trace) / HZ, "eyeData": np.asarray(trace, dtype=np.float64)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(str(path), {stem[:63]: record}, long_field_names=True)


def _osie_rows(shared: Path) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    with open(shared / "osie" / "fixations.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["stimulus"], []).append(row)
    return rows


def encodable_fixations(rows: list[dict], width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """One observer's OSIE fixations (rows in order) that a trace encodes: each at least
    :data:`MIN_DURATION_S` long and :data:`MIN_AMPLITUDE_PX` from the previous kept one (the first from
    the image centre). Returns (xy (F, 2) 0-based, durations (F,) s)."""
    previous = np.array([(width - 1) / 2, (height - 1) / 2])
    xy, durations = [], []
    for row in sorted(rows, key=lambda r: int(r["order"])):
        point, duration = np.array([float(row["x"]), float(row["y"])]), float(row["duration_s"])
        if duration >= MIN_DURATION_S and np.hypot(*(point - previous)) >= MIN_AMPLITUDE_PX:
            xy.append(point)
            durations.append(duration)
            previous = point
    return np.array(xy).reshape(-1, 2), np.array(durations)


def make_mit1003(root: Path, images: int, observers: int, shared: Path = SHARED_DATA) -> dict:
    """``images`` OSIE photos with ``observers`` OSIE observers in MIT1003's layout under ``root``. Returns
    stem -> ``{"source", "width", "height", "observers": {name: {"subject", "xy", "duration_s"}}}``."""
    from PIL import Image, ImageFilter

    table = _osie_rows(shared)
    stimuli = sorted(table, key=lambda name: int(Path(name).stem))[:images]
    made = {}
    for stimulus in stimuli:
        stem = f"osie{Path(stimulus).stem}"
        (root / "ALLSTIMULI").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / "osie" / "stimuli" / stimulus, root / "ALLSTIMULI" / f"{stem}.jpeg")
        width, height = int(table[stimulus][0]["width"]), int(table[stimulus][0]["height"])
        entry = {"source": shared / "osie" / "stimuli" / stimulus, "width": width, "height": height, "observers": {}}
        points = np.zeros((height, width), np.uint8)
        for subject in range(observers):
            name = f"obs{subject:02d}"
            xy, durations = encodable_fixations(
                [r for r in table[stimulus] if int(r["subject"]) == subject], width, height
            )
            write_mit1003_trace(
                root / "DATA" / name / f"{stem}.mat", stem, mit1003_eye_trace(xy, durations, width, height), name
            )
            entry["observers"][name] = {"subject": subject, "xy": xy, "duration_s": durations}
            pixels = np.clip(np.round(xy).astype(int), 0, [width - 1, height - 1])
            points[pixels[:, 1], pixels[:, 0]] = 255
        (root / "ALLFIXATIONMAPS").mkdir(parents=True, exist_ok=True)
        Image.fromarray(points).save(root / "ALLFIXATIONMAPS" / f"{stem}_fixPts.jpg", quality=95)
        blurred = Image.fromarray(points).filter(ImageFilter.GaussianBlur(radius=25))
        scale = 255.0 / max(1, np.asarray(blurred).max())
        Image.fromarray((np.asarray(blurred) * scale).astype(np.uint8)).save(
            root / "ALLFIXATIONMAPS" / f"{stem}_fixMap.jpg"
        )
        made[stem] = entry
    return made
