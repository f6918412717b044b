"""Which study the book reads and computes: one definition of the study's runs, parameterised by models and data.

The runs' configs under ``configs/study/`` are the *templates* (the protocols, metrics and budgets). A
:class:`Study` says which runs it has, which template each comes from, what replaces the template's models,
data set, explainers or budgets, how its runs form the axes, and the folder its run directories live in:

- the committed study (:data:`COMMITTED`, the default): the bundled EfficientNet-Lite0 on ``../shared/data``,
  every template as it is, exported into ``book/measurements/`` and committed;
- ``configs/studies/<name>.yaml`` (``paper``: ResNet-50 and ViT-B/16, ImageNet val, VOC 2012, MIT1003 at the
  published budgets; ``paper-smoke``: the same at tiny N and budgets) or a user's own YAML, computed into its
  own folder and read from there (never exported over the committed rows).

The active study is :data:`STUDY_ENV` (a study's name or a YAML path) or the committed one; ``fovex book``
sets it from its profile, and the chapters' kernels inherit it, so every reader (:func:`fovex.study.load_axis`,
the judged table, the openings) reads the same study.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "COMMITTED",
    "MODELS_ENV",
    "STUDY_ENV",
    "Study",
    "active_study",
    "load_study",
    "run_config",
    "study_heading",
    "study_names",
]

REPO_ROOT = Path(__file__).resolve().parents[2]

#: The committed study's axes: axis -> its runs (configs/study/<run>.yaml). Runs of one axis share images
#: and are read together.
AXES: dict[str, tuple[str, ...]] = {
    "faithfulness": ("faithfulness", "faithfulness-rise"),
    "localisation": ("localisation",),
    "plausibility": ("plausibility-osie", "plausibility-nus-scene500"),
    "receptive-field": ("receptive-field",),
    "receptive-field-tied": ("receptive-field-tied",),
    "cost": ("fast-vs-published",),
    # FovEx's and RISE's other seeds on the faithfulness photos (read beside the faithfulness axis).
    "seeds": ("faithfulness-seeds", "faithfulness-rise-seeds"),
}

#: Tables derived from the committed study's runs (``fovex study run map-variants``): FovEx's maps rebuilt
#: from the faithfulness run's stored scanpaths and re-scored (heat-map s, number of fixations,
#: aggregation). ``held-out-variant``: the variant chosen on the development photos (``fovex study
#: choose``), scored on the faithfulness run's other photos.
DERIVED: tuple[str, ...] = ("map-variants", "held-out-variant")

#: The order `fovex study run` computes the committed study's runs in: every axis gets its cheap methods
#: first, and the RISE runs (4000 passes per image) come last.
RUN_ORDER: tuple[str, ...] = (
    "faithfulness",
    "localisation",
    "plausibility-osie",
    "plausibility-nus-scene500",
    "receptive-field",
    "faithfulness-rise",
    "fast-vs-published",
    "faithfulness-seeds",
    "receptive-field-tied",
    "faithfulness-rise-seeds",
)

#: Environment variable naming the active study: a name under ``configs/studies/`` or a YAML file.
STUDY_ENV = "FOVEX_STUDY"
#: Environment variable restricting the active study to some of its models (comma-separated names).
MODELS_ENV = "FOVEX_STUDY_MODELS"


@dataclass(frozen=True)
class Study:
    """A study: its ``runs`` in compute order, each from a template (``templates``, default its own name)
    with ``overrides`` (config keys: ``dataset`` and ``metric_settings`` merged, ``explainer_settings`` merged
    into each method's entries, others replaced; a study of several ``models`` has one run per model,
    ``<run>-<model>``), ``common`` keys for every run, its ``axes`` (axis -> runs), the ``runs_folder`` of its
    run directories and whether its rows are the committed ``exported`` ones."""

    name: str
    description: str
    runs: tuple[str, ...]
    axes: dict
    runs_folder: str = "build/eval"
    exported: bool = False
    models: tuple[str, ...] | None = None
    templates: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    common: dict = field(default_factory=dict)

    def template(self, run: str) -> str:
        return self.templates.get(run, run)

    def is_committed(self) -> bool:
        return self.exported


#: The committed study: the bundled EfficientNet-Lite0, every template as it is, its exports committed.
COMMITTED = Study(
    name="committed",
    description=(
        "the committed study: the bundled EfficientNet-Lite0 (the only ImageNet classifier whose pretrained "
        "weights install offline) on the real photos and eye-tracking sets of ../shared/data"
    ),
    runs=RUN_ORDER,
    axes=dict(AXES),
    exported=True,
)

_KEYS = {"description", "runs", "axes", "runs_folder", "models", "common"}
#: A run of a study with several models is computed once per model (``<run>-<model>``): a model can be
#: added, or run alone, without recomputing the others.
_RUN_KEYS = {"template"}


def study_names(root: Path = REPO_ROOT) -> list[str]:
    """The studies under ``configs/studies/``, and ``committed``."""
    return ["committed", *sorted(p.stem for p in (Path(root) / "configs" / "studies").glob("*.yaml"))]


def load_study(spec: str | os.PathLike | None = None, root: Path = REPO_ROOT) -> Study:
    """A study by name (``configs/studies/<name>.yaml``; ``"committed"`` or None: :data:`COMMITTED`) or from
    a YAML path; a ValueError names what is wrong (an unknown key, a run without a template, an axis naming
    a run the study does not have)."""
    import yaml

    if spec is None or spec == "committed":
        return COMMITTED
    path = Path(spec)
    if path.suffix not in (".yaml", ".yml"):
        path = Path(root) / "configs" / "studies" / f"{spec}.yaml"
        if not path.is_file():
            raise ValueError(f"unknown study {spec!r}; available: {', '.join(study_names(root))} (or a YAML path)")
    elif not path.is_file():
        raise ValueError(f"study file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a study is a mapping of keys, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown} (allowed: {', '.join(sorted(_KEYS))})")
    runs = raw.get("runs")
    if not isinstance(runs, dict) or not runs:
        raise ValueError(f"{path}: 'runs' maps each run's name to its template and overrides")
    templates, overrides = {}, {}
    for run, entry in runs.items():
        entry = dict(entry or {})
        template = entry.pop("template", run)
        if not (Path(root) / "configs" / "study" / f"{template}.yaml").is_file():
            raise ValueError(f"{path}: run {run!r}: no template configs/study/{template}.yaml")
        templates[run], overrides[run] = template, entry
    axes = {axis: tuple(names) for axis, names in (raw.get("axes") or {}).items()}
    strays = sorted({name for names in axes.values() for name in names} - set(runs))
    if strays:
        raise ValueError(f"{path}: axes name runs the study does not have: {', '.join(strays)}")
    entries = raw.get("models")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: 'models' is a non-empty list of model names (or {{name, weights}} entries)")
    by_name = {}
    for entry in entries:  # a name, or {name: resnet50, weights: PATH} for a local checkpoint
        name = entry if isinstance(entry, str) else entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise ValueError(f"{path}: a model is a name or a mapping with a name, got {entry!r}")
        by_name[name] = entry
    models = list(by_name)
    chosen = [m for m in os.environ.get(MODELS_ENV, "").split(",") if m]
    unknown = sorted(set(chosen) - set(models))
    if unknown:
        raise ValueError(f"study {path.stem!r} has no model(s) {', '.join(unknown)}; its models: {', '.join(models)}")
    models = [m for m in models if m in chosen] if chosen else models
    # One run per model: "faithfulness" of resnet50 is "faithfulness-resnet50" (its own config and folder).
    per_model = {f"{run}-{model}": (run, model) for run in runs for model in models}
    return Study(
        name=path.stem,
        description=str(raw.get("description") or path.stem),
        runs=tuple(per_model),
        axes={axis: tuple(f"{run}-{model}" for run in names for model in models) for axis, names in axes.items()},
        runs_folder=str(raw.get("runs_folder") or f"build/eval/{path.stem}"),
        exported=False,
        models=tuple(models),
        templates={name: templates[run] for name, (run, _) in per_model.items()},
        overrides={name: {**overrides[run], "models": [by_name[model]]} for name, (run, model) in per_model.items()},
        common=dict(raw.get("common") or {}),
    )


def active_study(root: Path = REPO_ROOT) -> Study:
    """The study named by :data:`STUDY_ENV` (a name or a YAML path), else :data:`COMMITTED`."""
    return load_study(os.environ.get(STUDY_ENV) or None, root)


def _merged(raw: dict, changes: dict) -> dict:
    """``raw`` with ``changes``: ``dataset``/``metric_settings`` merged (per family for metric settings),
    ``explainer_settings`` merged into every entry of each method, other keys replaced."""
    raw = copy.deepcopy(raw)
    for key, value in (changes or {}).items():
        if key == "explainer_settings":
            entries = [{"name": entry} if isinstance(entry, str) else dict(entry) for entry in raw["explainers"]]
            for entry in entries:
                if entry["name"] in value:
                    entry["settings"] = {**(entry.get("settings") or {}), **value[entry["name"]]}
            raw["explainers"] = entries
        elif key == "metric_settings":
            families = dict(raw.get("metric_settings") or {})
            for family, settings in value.items():
                families[family] = {**(families.get(family) or {}), **settings}
            raw["metric_settings"] = families
        elif key == "dataset" and isinstance(value, dict):
            raw["dataset"] = {**(raw.get("dataset") or {}), **value}
        else:
            raw[key] = copy.deepcopy(value)
    return raw


def run_config(run: str, study: Study | None = None, root: Path = REPO_ROOT, overrides: dict | None = None) -> dict:
    """The raw config of ``run`` in ``study``: its template, the study's ``models`` and ``common`` keys, the
    run's own overrides, then ``overrides`` (e.g. a book profile's GPU batch sizes), applied in that order.
    Outside the committed study the run is named ``<study>-<run>`` and lives in the study's folder."""
    import yaml

    study = study or active_study(root)
    if run not in study.runs:
        raise ValueError(f"study {study.name!r} has no run {run!r}; its runs: {', '.join(study.runs)}")
    path = Path(root) / "configs" / "study" / f"{study.template(run)}.yaml"
    raw = yaml.safe_load(path.read_text())
    raw = _merged(raw, study.common)
    raw = _merged(raw, study.overrides.get(run, {}))
    raw = _merged(raw, overrides or {})
    raw.setdefault("name", path.stem)
    models = [m if isinstance(m, str) else m.get("label") or m.get("name") for m in raw.get("models") or []]
    if models and isinstance(raw.get("explainers"), list):  # an entry for other models is not this run's
        entries = []
        for entry in raw["explainers"]:
            only = entry.get("models") if isinstance(entry, dict) else None
            if only is None:
                entries.append(entry)
            elif set(only) & set(models):
                entries.append({**entry, "models": [m for m in only if m in models]})
        raw["explainers"] = entries
    if not study.exported:  # the committed study's configs are its templates, names and hashes as committed
        raw["name"] = f"{study.name}-{run}"
        raw["output_dir"] = f"{study.runs_folder}/study-{run}"
    return raw


def study_heading(root: Path = REPO_ROOT) -> str:
    """Markdown: which study the book reads (the active one) and where its rows come from."""
    study = active_study(root)
    source = (
        "rows from the committed exports in `book/measurements/` (a run directory in `build/eval` first, "
        "when `source` is `run`)"
        if study.exported
        else f"rows from its runs in `{study.runs_folder}` (computed by `fovex study run`, never exported)"
    )
    return f"**This book's study** ({study.name}): {study.description}; {source}."
