"""A result directory's names, its manifest and the key of each part (file names and their parsing)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...files import atomic_write_bytes

#: Layout and row schema of a result directory; bumped when either changes incompatibly.
SCHEMA = "fovex.results/1"
#: Evaluation config versions whose results this fovex reads.
SUPPORTED_CONFIG_VERSIONS = (1,)

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"
PARTS = "parts"
MAPS = "maps"
METADATA_KEY = b"fovex"


# ----------------------------------------------------------------------------- errors


class StoreError(RuntimeError):
    """A result directory cannot be used as asked (torn or foreign file, other config, ...)."""


class IncompatibleResultsError(StoreError):
    """Results written by a config version or store schema this fovex does not read."""


# ----------------------------------------------------------------------------- manifest


def is_store_manifest(manifest) -> bool:
    """Whether ``manifest`` (parsed JSON) is one fovex wrote: an object whose ``schema`` is a results
    schema (of any version). A file that is not is the user's, and its folder no result directory."""
    schema = manifest.get("schema") if isinstance(manifest, dict) else None
    return isinstance(schema, str) and schema.startswith(SCHEMA.split("/")[0] + "/")


def read_manifest(run_dir: str | os.PathLike) -> dict | None:
    """The run's manifest, or None when the directory has none.

    :class:`StoreError` when ``manifest.json`` is unreadable or not one fovex wrote (see
    :func:`is_store_manifest`): such a folder is not a result directory, and nothing in it is replaced.
    """
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise StoreError(
            f"{path}: unreadable manifest ({error}); if the folder holds a fovex run, delete it and rerun"
        ) from error
    if not is_store_manifest(manifest):
        what = "not a JSON object" if not isinstance(manifest, dict) else f"no 'schema': '{SCHEMA}'"
        raise StoreError(
            f"{path} was not written by fovex ({what}), so {path.parent} is not a fovex result directory and "
            "nothing in it is replaced or deleted: use an empty or new --out directory"
        )
    return manifest


def check_run_manifest(manifest: dict, where: Path) -> None:
    """Raise :class:`StoreError` unless ``manifest`` has what reading its run needs (after
    :func:`check_compatible`): a ``config_hash`` and a ``config`` naming its models and explainers."""
    check_compatible(manifest, where)
    problem = None
    if not isinstance(manifest.get("config_hash"), str):
        problem = "no 'config_hash' (text)"
    elif not isinstance(manifest.get("config"), dict):
        problem = "no 'config' (an object)"
    else:
        for section in ("models", "explainers"):
            entries = manifest["config"].get(section)
            if not isinstance(entries, list) or not all(isinstance(e, dict) and "label" in e for e in entries):
                problem = f"no 'config' {section} with labels"
                break
        problem = problem or field_type_problem(manifest)
    if problem:
        raise StoreError(
            f"{where / MANIFEST} has {problem}: edited by hand or damaged; restore it, or rerun the evaluation "
            "with --overwrite"
        )


#: Fields of a manifest (or an export's provenance) and the JSON types its readers take them as.
_FIELD_TYPES = {"attempts": list, "git": dict, "versions": dict, "rows_by_status": dict, "resolved": dict}
_CONFIG_FIELD_TYPES = {"dataset": dict, "metrics": list, "metric_settings": dict}


def field_type_problem(record: dict) -> str | None:
    """What is wrong with the types of a manifest's (or an export provenance's) fields, in words, or None:
    ``attempts`` a list of objects, ``git`` (also each attempt's) an object or null, ``config``'s
    ``dataset`` an object, ... (what reading them takes; a hand edit such as ``attempts: [1]`` is found
    here instead of as a traceback deep in a reader)."""
    kinds = {dict: "an object", list: "a list"}
    for name, kind in _FIELD_TYPES.items():
        if record.get(name) is not None and not isinstance(record[name], kind):
            return f"'{name}' that is not {kinds[kind]} ({record[name]!r})"
    attempts = record.get("attempts") or []
    if not all(isinstance(attempt, dict) for attempt in attempts):
        return f"'attempts' that are not all objects ({attempts!r})"
    for number, attempt in enumerate(attempts):
        if attempt.get("git") is not None and not isinstance(attempt["git"], dict):
            return f"'git' of attempt {number} that is not an object ({attempt['git']!r})"
    config = record.get("config")
    if isinstance(config, dict):
        for name, kind in _CONFIG_FIELD_TYPES.items():
            if config.get(name) is not None and not isinstance(config[name], kind):
                return f"a 'config' {name} that is not {kinds[kind]} ({config[name]!r})"
    return None


def write_manifest(run_dir: str | os.PathLike, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=False, default=json_default)
    atomic_write_bytes(Path(run_dir) / MANIFEST, (text + "\n").encode())


def json_default(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def check_compatible(manifest: dict, where: Path) -> None:
    """Raise :class:`IncompatibleResultsError` unless this fovex reads the manifest's results."""
    schema, version = manifest.get("schema"), manifest.get("config_version")
    if schema != SCHEMA or version not in SUPPORTED_CONFIG_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_CONFIG_VERSIONS)
        raise IncompatibleResultsError(
            f"{where} holds results with schema {schema!r} and config_version {version!r}; this fovex reads "
            f"schema {SCHEMA!r} with config_version {supported}. Use the fovex version that wrote them "
            f"(manifest versions: {manifest.get('versions', {}).get('fovex', '?')}) or re-run the evaluation."
        )


# ----------------------------------------------------------------------------- parts


#: Characters a label keeps in a file name; :func:`_safe` turns each run of any other into one ``_``.
_NAME_CHARACTERS = "A-Za-z0-9.+-"


def safe_name(name: str) -> str:
    return re.sub(f"[^{_NAME_CHARACTERS}]+", "_", name) or "_"


@dataclass(frozen=True, order=True)
class PartKey:
    """Which batch a part holds: indices order the parts as the config orders models and explainers."""

    model_index: int
    explainer_index: int
    batch: int
    model: str = ""
    explainer: str = ""

    @property
    def ident(self) -> tuple[int, int, int]:
        return (self.model_index, self.explainer_index, self.batch)

    def prefix(self) -> str:
        """File-name prefix shared by every batch of this (model, explainer)."""
        model, explainer = safe_name(self.model), safe_name(self.explainer)
        return f"{self.model_index:02d}-{model}__{self.explainer_index:02d}-{explainer}__"

    def stem(self, rank: int) -> str:
        """File stem of this batch's part and maps as written by ``rank``: ``<prefix>b<batch:06d>__r<rank:04d>``."""
        return f"{self.prefix()}b{self.batch:06d}__r{rank:04d}"

    @classmethod
    def parse(cls, stem: str) -> tuple[PartKey, int]:
        """``(key, rank)`` from a stem :meth:`stem` wrote; ValueError for any other name.

        Indices, batch and rank come back exactly; ``model`` and ``explainer`` come back as they
        appear in the name, i.e. as ``_safe`` rewrote them (the labels themselves are in the part's
        metadata). So ``parse(key.stem(r)) == (key, r)`` whenever the labels are file-name safe.
        """
        match = PART_STEM.fullmatch(stem)
        if match is None:
            raise ValueError(f"{stem!r} is not a part file stem (<mi>-<model>__<ei>-<explainer>__b<batch>__r<rank>)")
        model_index, model, explainer_index, explainer, batch, rank = match.groups()
        return cls(int(model_index), int(explainer_index), int(batch), model, explainer), int(rank)


#: The inverse of :meth:`PartKey.stem`, the one description of a part's file name (``remove_store``
#: deletes only files named so). Numbers have at least the digits ``stem`` pads them to, more when
#: they outgrow the padding. A safe name never holds ``__`` (``_safe`` collapses runs), so the
#: ``__`` separators split a stem one way only.
PART_STEM = re.compile(
    rf"(?P<model_index>[0-9]{{2,}})-(?P<model>[_{_NAME_CHARACTERS}]+)__"
    rf"(?P<explainer_index>[0-9]{{2,}})-(?P<explainer>[_{_NAME_CHARACTERS}]+)__"
    rf"b(?P<batch>[0-9]{{6,}})__r(?P<rank>[0-9]{{4,}})"
)


# ----------------------------------------------------------------------------- reading


def read_run_manifest(run_dir: str | os.PathLike) -> dict:
    """The manifest of a result directory to read from; says why when the directory is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"result directory {run_dir} does not exist")
    manifest = read_manifest(run_dir)
    if manifest is None:
        raise StoreError(f"{run_dir} has no {MANIFEST}: not a fovex result directory (or the run never started)")
    check_run_manifest(manifest, run_dir)
    return manifest
