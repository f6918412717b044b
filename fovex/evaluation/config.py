"""Evaluation configs: parse a YAML file or a dict, validate it with clear errors, resolve defaults, hash it.

A config (``config_version: 1``) names the models, the explainers with their settings, one data set
with its split and number of images, the metrics, the batch size, device, seed and output directory.
See ``configs/`` and the README section "Evaluation" for the full schema.

:func:`load_config` checks a config once and returns an :class:`EvalConfig`: the resolved mapping
(``data``, the canonical form that is hashed and written to a run's manifest) and, read from it, the
typed settings the engine uses: :class:`ModelEntry` and :class:`ExplainerEntry` per entry, one
:class:`DatasetEntry`, :class:`~fovex.evaluation.scoring.MetricSettings` and the scalar keys as
attributes (``config.batch_size``, ``config.seed``, ...).

Size: one validator per section of the config, in the order a config is read; together they are
the schema, so they stay on one page rather than scattered over modules.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .scoring import (
    DATASET_KINDS,
    DEFAULT_METRICS,
    METRIC_SETTINGS_DEFAULTS,
    METRICS,
    VALID_METRICS,
    MetricSettings,
    dataset_kind,
)

__all__ = [
    "CONFIG_VERSION",
    "DATASET_ORDERS",
    "HASH_EXCLUDED_KEYS",
    "ConfigError",
    "DatasetEntry",
    "EvalConfig",
    "EvaluationError",
    "ExplainerEntry",
    "ModelEntry",
    "config_hash",
    "load_config",
]

#: The config format this fovex writes and reads.
CONFIG_VERSION = 1

#: Keys that do not change any result value, so a run may be resumed with them changed.
#: ``deterministic`` chooses bit-stable over fast kernels on a GPU: like ``device``, how a run computes,
#: not what it computes (on a CPU it changes nothing).
#: ``compile`` runs the explainers that call the model whole through ``torch.compile``: the same numbers
#: up to kernel rounding, as on another device.
HASH_EXCLUDED_KEYS = ("name", "output_dir", "device", "threads", "deterministic", "compile")

_TOP_LEVEL = {
    "config_version": None,
    "name": None,
    "output_dir": None,
    "models": None,
    "explainers": None,
    "dataset": None,
    "target": "predicted",
    "metrics": None,
    "metric_settings": None,
    "batch_size": 8,
    "device": "auto",
    "deterministic": False,
    "compile": None,
    "seed": 42,
    "threads": None,
    "save_maps": True,
}
_MODEL_KEYS = {"name", "label", "weights"}
_EXPLAINER_KEYS = {"name", "label", "settings", "models"}
_DATASET_DEFAULTS = {
    "name": None,
    "root": None,
    "split": None,
    "image_size": None,
    "crop_fraction": 1.0,
    "num_images": None,
    "offset": 0,
    "order": "files",
    "options": {},
}
#: Orders of a data set's images before ``offset`` / ``num_images`` select from them.
DATASET_ORDERS = ("files", "spread")
_TARGETS = ("predicted", "label")


class ConfigError(ValueError):
    """An invalid evaluation config; the message names the key and the valid choices."""


class EvaluationError(RuntimeError):
    """The evaluation cannot run as configured (data set missing, model weights unavailable, ...)."""


def _frozen(mapping: Mapping) -> Mapping[str, Any]:
    """A read-only copy: a typed entry cannot drift from the resolved mapping it was read from."""
    return MappingProxyType(copy.deepcopy(dict(mapping)))


@dataclass(frozen=True)
class ModelEntry:
    """One entry of ``models``: a registered model, its label in the results and its weights."""

    name: str
    label: str
    weights: str | None  # "default", None (random initialisation) or a local checkpoint path


@dataclass(frozen=True)
class ExplainerEntry:
    """One entry of ``explainers``: the method, its label in the results, its checked settings (a
    preset spelled out, the config seed filled in) and the labels of the models it explains."""

    name: str
    label: str
    settings: Mapping[str, Any]
    models: tuple[str, ...]

    @classmethod
    def from_dict(cls, entry: Mapping) -> ExplainerEntry:
        return cls(entry["name"], entry["label"], _frozen(entry["settings"]), tuple(entry["models"]))

    def explains(self, model_label: str) -> bool:
        return model_label in self.models


@dataclass(frozen=True)
class DatasetEntry:
    """The ``dataset`` section: which images, opened how, and which of them a run selects."""

    name: str
    root: str | None
    split: str | None
    image_size: int | None  # None: each model's own input size
    crop_fraction: float
    num_images: int | None  # None: every image from ``offset`` on
    offset: int
    order: str  # one of DATASET_ORDERS
    options: Mapping[str, Any]  # further keyword arguments of fovex.data.open_dataset

    @classmethod
    def from_dict(cls, spec: Mapping) -> DatasetEntry:
        return cls(**{**spec, "options": _frozen(spec["options"])})

    @property
    def kind(self) -> str:
        """``classification``, ``localisation`` or ``fixations`` (:data:`~fovex.evaluation.scoring.DATASET_KINDS`)."""
        return dataset_kind(self.name)


@dataclass(frozen=True)
class EvalConfig:
    """A validated config with every default filled in (``data``), where it came from, and its typed settings.

    ``data`` is the canonical, serialisable form: it is hashed (:attr:`hash`) and written to a run's
    manifest. The other attributes are read from it once, on construction, and cannot be set:
    ``models``, ``explainers`` (tuples of :class:`ModelEntry` / :class:`ExplainerEntry`), ``dataset``
    (:class:`DatasetEntry`), ``metrics`` (names), ``metric_settings``
    (:class:`~fovex.evaluation.scoring.MetricSettings`) and the scalar keys. ``config["key"]`` reads
    ``data`` (the resolved mapping, as a manifest holds it).
    """

    data: dict[str, Any]
    source: str | None = None
    name: str | None = field(init=False, repr=False, compare=False)
    output_dir: str | None = field(init=False, repr=False, compare=False)
    models: tuple[ModelEntry, ...] = field(init=False, repr=False, compare=False)
    explainers: tuple[ExplainerEntry, ...] = field(init=False, repr=False, compare=False)
    dataset: DatasetEntry = field(init=False, repr=False, compare=False)
    target: str = field(init=False, repr=False, compare=False)  # "predicted" or "label"
    metrics: tuple[str, ...] = field(init=False, repr=False, compare=False)
    metric_settings: MetricSettings = field(init=False, repr=False, compare=False)
    batch_size: int = field(init=False, repr=False, compare=False)
    device: str = field(init=False, repr=False, compare=False)
    deterministic: bool = field(init=False, repr=False, compare=False)
    compile: str | None = field(init=False, repr=False, compare=False)  # a torch.compile mode, or None
    seed: int = field(init=False, repr=False, compare=False)
    threads: int | None = field(init=False, repr=False, compare=False)
    save_maps: bool | int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        data = self.data
        typed = {key: copy.deepcopy(data[key]) for key in _SCALAR_KEYS}
        typed.update(
            models=tuple(ModelEntry(**entry) for entry in data["models"]),
            explainers=tuple(ExplainerEntry.from_dict(entry) for entry in data["explainers"]),
            dataset=DatasetEntry.from_dict(data["dataset"]),
            metrics=tuple(data["metrics"]),
            metric_settings=MetricSettings.from_dict(data["metric_settings"]),
        )
        for key, value in typed.items():
            object.__setattr__(self, key, value)  # a frozen dataclass sets its own fields this way

    def __getitem__(self, key: str):
        return self.data[key]

    @property
    def hash(self) -> str:
        return config_hash(self.data)

    @property
    def kind(self) -> str:
        return self.dataset.kind

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)


#: The top-level keys an :class:`EvalConfig` holds as they are (numbers, strings, booleans, None).
_SCALAR_KEYS = (
    "name",
    "output_dir",
    "target",
    "batch_size",
    "device",
    "deterministic",
    "compile",
    "seed",
    "threads",
    "save_maps",
)


def config_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the result-defining part of a resolved config."""
    relevant = {key: value for key, value in data.items() if key not in HASH_EXCLUDED_KEYS}
    canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_config(source: str | os.PathLike | dict | EvalConfig) -> EvalConfig:
    """Read (YAML path), validate and resolve a config; raises :class:`ConfigError` on any problem."""
    if isinstance(source, EvalConfig):
        return source
    origin = None
    if isinstance(source, (str, os.PathLike)):
        origin = str(source)
        raw = _read_yaml(Path(source))
    elif isinstance(source, dict):
        raw = copy.deepcopy(source)
    else:
        raise ConfigError(f"a config is a YAML path or a dict, got {type(source).__name__}")
    data = _resolve(raw, origin)
    return EvalConfig(data=data, source=origin)


def _read_yaml(path: Path) -> dict:
    import yaml

    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except UnicodeDecodeError as error:  # e.g. `fovex evaluate photo.jpg`
        raise ConfigError(
            f"{path}: not a text file (byte {error.start} is not UTF-8); a config is YAML, e.g. configs/smoke.yaml"
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config is a mapping of keys, got {type(raw).__name__}")
    raw.setdefault("name", path.stem)
    return raw


# ----------------------------------------------------------------------------- validation helpers


def _unknown_keys(given: dict, allowed, where: str) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigError(f"{where}: unknown key(s) {', '.join(hints)}; valid keys: {', '.join(sorted(allowed))}")


def _unknown_name(name: str, valid, what: str, where: str) -> None:
    if name not in valid:
        close = difflib.get_close_matches(str(name), list(valid), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{where}: unknown {what} {name!r}{hint}; valid: {', '.join(valid)}")


#: The seeds ``torch.manual_seed`` takes (-2**63 .. 2**64 - 1); a run seeds torch with the config's.
SEED_RANGE = (-(2**63), 2**64 - 1)
#: The most CPU threads per process a config may ask for (``threads: 10**9`` crashed the run).
MAX_THREADS = 1024
#: The largest ``dataset.image_size``: far above any model's input, below what a batch cannot hold in memory.
MAX_IMAGE_SIZE = 4096


def _int(
    value, where: str, minimum: int | None = None, allow_none: bool = False, maximum: int | None = None
) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}: must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}: must be <= {maximum}, got {value}")
    return value


def _entries(value, where: str) -> list:
    if value is None:
        raise ConfigError(f"{where} is required")
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a non-empty list, got {value!r}")
    return value


def _unique_labels(entries: list[dict], where: str) -> None:
    labels = [entry["label"] for entry in entries]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ConfigError(f"{where}: duplicate label(s) {duplicates}; give each entry its own 'label'")


# ----------------------------------------------------------------------------- sections


def _resolve(raw: dict, origin: str | None) -> dict:
    where = origin or "config"
    _unknown_keys(raw, _TOP_LEVEL, where)
    version = raw.get("config_version")
    if version is None:
        raise ConfigError(f"{where}: 'config_version' is required (this fovex reads config_version {CONFIG_VERSION})")
    if version != CONFIG_VERSION:
        raise ConfigError(
            f"{where}: config_version {version!r} is not supported; this fovex reads config_version {CONFIG_VERSION}"
        )
    data = {key: raw.get(key, default) for key, default in _TOP_LEVEL.items()}
    data["config_version"] = CONFIG_VERSION
    data["seed"] = _int(data["seed"], f"{where}: seed", minimum=SEED_RANGE[0], maximum=SEED_RANGE[1])
    data["batch_size"] = _int(data["batch_size"], f"{where}: batch_size", minimum=1)
    data["threads"] = _int(data["threads"], f"{where}: threads", minimum=1, allow_none=True, maximum=MAX_THREADS)
    data["models"] = _models(raw.get("models"), where)
    data["dataset"] = _dataset(raw.get("dataset"), where)
    data["explainers"] = _explainers(raw.get("explainers"), data["seed"], [m["label"] for m in data["models"]], where)
    data["metrics"] = _metrics(raw.get("metrics"), data["dataset"]["name"], where)
    data["metric_settings"] = _metric_settings(raw.get("metric_settings"), where)
    data["target"] = _target(data["target"], data["dataset"]["name"], where)
    data["device"] = _device(data["device"], where)
    data["save_maps"] = _save_maps(data["save_maps"], where)
    if not isinstance(data["deterministic"], bool):
        raise ConfigError(f"{where}: deterministic must be true or false, got {data['deterministic']!r}")
    if data["compile"] is not None:
        from ..models import COMPILE_MODES

        _unknown_name(data["compile"], COMPILE_MODES, "compile mode", where)
    if data["output_dir"] is not None and not isinstance(data["output_dir"], str):
        raise ConfigError(f"{where}: output_dir must be a path string, got {data['output_dir']!r}")
    return data


def _models(value, where: str) -> list[dict]:
    from ..models import list_models

    models = []
    for i, entry in enumerate(_entries(value, f"{where}: models")):
        here = f"{where}: models[{i}]"
        entry = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            raise ConfigError(f"{here}: expected a model name or a mapping, got {entry!r}")
        _unknown_keys(entry, _MODEL_KEYS, here)
        _unknown_name(entry.get("name"), list_models(), "model", here)
        weights = entry.get("weights", "default")
        weights = None if weights in (None, "none") else str(weights)
        if weights not in (None, "default") and ("://" in weights or not Path(weights).is_file()):
            raise ConfigError(
                f"{here}: weights {weights!r} is not a local checkpoint file ('default', 'none' or a path)"
            )
        models.append({"name": entry["name"], "label": str(entry.get("label") or entry["name"]), "weights": weights})
    _unique_labels(models, f"{where}: models")
    return models


def _explainers(value, seed: int, model_labels: list[str], where: str) -> list[dict]:
    """Each entry's settings as given, checked by the explainer's own ``Settings`` before any model exists.

    Two things are spelled out so the config hash (and resuming) follows what a run computes: the
    config seed for an explainer that takes a ``seed`` and was given none, and a named preset's values.
    """
    from ..checks import SettingError
    from ..explain import explainer_class, explainers

    valid = explainers()
    result = []
    for i, entry in enumerate(_entries(value, f"{where}: explainers")):
        here = f"{where}: explainers[{i}]"
        entry = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            raise ConfigError(f"{here}: expected an explainer name or a mapping, got {entry!r}")
        _unknown_keys(entry, _EXPLAINER_KEYS, here)
        _unknown_name(entry.get("name"), valid, "explainer", here)
        cls = explainer_class(entry["name"])
        given = entry.get("settings")
        if given is not None and not isinstance(given, dict):
            preset = isinstance(given, str) and given in cls.presets
            hint = f" (a preset is written settings: {{preset: {given}}})" if preset else ""
            raise ConfigError(
                f"{here} ({entry['name']}) settings must be a mapping of setting names to values, got {given!r}{hint}"
            )
        settings = dict(given or {})
        _unknown_keys(settings, cls.setting_names(), f"{here} ({entry['name']}) settings")
        if "seed" in cls.setting_names():
            settings.setdefault("seed", seed)
        if "preset" in settings:
            _unknown_name(settings["preset"], list(cls.presets), f"{entry['name']} preset", f"{here}.settings.preset")
            settings = cls.expand_preset(settings)
        try:
            cls.resolve_settings(settings)
        except SettingError as error:
            raise ConfigError(f"{here} ({entry['name']}) settings: {error}") from None
        models = entry.get("models")
        if models is None:
            models = list(model_labels)
        else:
            models = [models] if isinstance(models, str) else models
            if not isinstance(models, list) or not models:
                raise ConfigError(f"{here}: models must be a non-empty list of model labels, got {models!r}")
            for label in models:
                _unknown_name(label, model_labels, "model label", f"{here}.models")
        label = str(entry.get("label") or entry["name"])
        result.append({"name": entry["name"], "label": label, "settings": settings, "models": list(models)})
    _unique_labels(result, f"{where}: explainers")
    return result


def _dataset(value, where: str) -> dict:
    from ..data import dataset_names

    here = f"{where}: dataset"
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise ConfigError(f"{here} is required: a data set name or a mapping with 'name'")
    _unknown_keys(value, _DATASET_DEFAULTS, here)
    dataset = {key: copy.deepcopy(value.get(key, default)) for key, default in _DATASET_DEFAULTS.items()}
    _unknown_name(dataset["name"], dataset_names(), "data set", here)
    if dataset["name"] not in DATASET_KINDS:
        raise ConfigError(
            f"{here}: data set {dataset['name']!r} has no evaluation protocol; evaluable: {', '.join(DATASET_KINDS)}"
        )
    dataset["image_size"] = _int(
        dataset["image_size"], f"{here}.image_size", minimum=32, allow_none=True, maximum=MAX_IMAGE_SIZE
    )
    dataset["num_images"] = _int(dataset["num_images"], f"{here}.num_images", minimum=1, allow_none=True)
    dataset["offset"] = _int(dataset["offset"], f"{here}.offset", minimum=0)
    if dataset["order"] not in DATASET_ORDERS:
        raise ConfigError(f"{here}.order must be one of {', '.join(DATASET_ORDERS)}, got {dataset['order']!r}")
    fraction = dataset["crop_fraction"]
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ConfigError(f"{here}.crop_fraction must be in (0, 1], got {fraction!r}")
    dataset["crop_fraction"] = float(fraction)
    if not isinstance(dataset["options"], dict):
        raise ConfigError(f"{here}.options must be a mapping, got {dataset['options']!r}")
    if dataset["root"] is not None:
        dataset["root"] = str(dataset["root"])
    return dataset


def _metrics(value, dataset_name: str, where: str) -> list[str]:
    kind = dataset_kind(dataset_name)
    if value is None:
        return list(DEFAULT_METRICS[kind])
    names = _entries(value, f"{where}: metrics")
    for name in names:
        _unknown_name(name, list(METRICS), "metric", f"{where}: metrics")
        if name not in VALID_METRICS[kind]:
            raise ConfigError(
                f"{where}: metric {name!r} does not apply to {dataset_name} (a {kind} set); "
                f"valid there: {', '.join(VALID_METRICS[kind])}"
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: metrics lists a name twice: {names}")
    return list(names)


def _metric_settings(value, where: str) -> dict:
    value = value or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: metric_settings must be a mapping, got {value!r}")
    _unknown_keys(value, METRIC_SETTINGS_DEFAULTS, f"{where}: metric_settings")
    resolved = {}
    for family, defaults in METRIC_SETTINGS_DEFAULTS.items():
        given = value.get(family) or {}
        if not isinstance(given, dict):
            raise ConfigError(f"{where}: metric_settings.{family} must be a mapping, got {given!r}")
        _unknown_keys(given, defaults, f"{where}: metric_settings.{family}")
        resolved[family] = {**defaults, **given}
    faithfulness = resolved["faithfulness"]
    _int(faithfulness["step"], f"{where}: metric_settings.faithfulness.step", minimum=1, allow_none=True)
    _int(faithfulness["batch_size"], f"{where}: metric_settings.faithfulness.batch_size", minimum=1)
    # Checked here, before any model is loaded: a typo must not fail after the first batch was explained.
    from ..metrics.substrates import SUBSTRATE_NAMES

    for name in ("deletion_substrate", "insertion_substrate"):
        value = faithfulness[name]
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not number:
            _unknown_name(
                value, list(SUBSTRATE_NAMES), "substrate (or a number)", f"{where}: metric_settings.faithfulness.{name}"
            )
    _unknown_name(faithfulness["score"], ["softmax", "logit"], "score", f"{where}: metric_settings.faithfulness.score")
    localisation = resolved["localisation"]
    if localisation["region"] not in ("boxes", "masks"):
        raise ConfigError(f"{where}: metric_settings.localisation.region must be 'boxes' or 'masks'")
    tolerance = localisation["tolerance_px"]
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < math.inf:
        raise ConfigError(
            f"{where}: metric_settings.localisation.tolerance_px must be a number >= 0, got {tolerance!r}"
        )
    if not isinstance(localisation["include_difficult"], bool):
        raise ConfigError(
            f"{where}: metric_settings.localisation.include_difficult must be true or false, "
            f"got {localisation['include_difficult']!r}"
        )
    _int(
        resolved["plausibility"]["sauc_other_images"],
        f"{where}: metric_settings.plausibility.sauc_other_images",
        minimum=1,
        allow_none=True,
    )
    _int(resolved["scanpath"]["grid"], f"{where}: metric_settings.scanpath.grid", minimum=1)
    _int(
        resolved["scanpath"]["max_fixations"],
        f"{where}: metric_settings.scanpath.max_fixations",
        minimum=1,
        allow_none=True,
    )
    return resolved


def _target(value, dataset_name: str, where: str) -> str:
    if value not in _TARGETS:
        raise ConfigError(f"{where}: target must be one of {', '.join(_TARGETS)}, got {value!r}")
    if value == "label" and dataset_kind(dataset_name) != "classification":
        raise ConfigError(f"{where}: target 'label' needs a labelled classification set, not {dataset_name}")
    return value


def _device(value, where: str) -> str:
    if not isinstance(value, str) or not (value in ("auto", "cpu", "cuda", "mps") or value.startswith("cuda:")):
        raise ConfigError(f"{where}: device must be auto, cpu, cuda, cuda:N or mps, got {value!r}")
    return value


def _save_maps(value, where: str) -> bool | int:
    if isinstance(value, bool):
        return value
    return _int(value, f"{where}: save_maps (true, false or a number of images)", minimum=0)
