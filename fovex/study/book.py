"""Build the study: execute the notebooks with papermill, then compile the Jupyter Book.

    fovex book [--profile quick|PATH] [--only 03_faithfulness] [--force] [--overwrite] [--no-html]
               [--workdir DIR] [--device DEV] [--model NAME ...] [--data-root DIR] [-p NAME VALUE ...]

0. A profile's ``study`` (:mod:`fovex.study.studies`: ``paper``, ``paper-smoke``, a YAML of one's own;
   default: the committed study) is the study every chapter reads; ``--model`` picks some of its models,
   ``--data-root`` says where its data sets are. A profile with ``compute_study: true`` (``study``, ``gpu``,
   ``paper``) first computes or resumes the study's runs (:func:`fovex.study.estimate.compute_study_here`:
   an estimate of the time first, every GPU of the machine through torchrun), which the chapters then read.
   ``study_runs: FOLDER`` computes
   and reads them in FOLDER instead of ``build/eval`` (from scratch: nothing restored from the committed
   exports), ``study_overrides`` replaces config keys in every run (e.g. a GPU's batch sizes).
   ``--device`` runs the study and every chapter that takes a ``device`` on that device.
1. Each ``notebooks/NN_name.py`` (jupytext percent format) becomes a notebook and is executed by
   papermill with the parameters of the profile (``configs/book/<profile>.yaml``: ``common`` for every
   notebook that declares the parameter, then per-notebook overrides) into ``book/chapters/NN_name.ipynb``,
   written atomically. A chapter that runs explainers takes their names (``explainers``) and the
   profile's ``explainer_settings`` (name -> settings, written once in ``common``), which
   :func:`fovex.study.chapters.run_chapter` joins into evaluation-config entries.
   A chapter whose source and parameters are unchanged since its last successful execution is
   skipped, so an interrupted build resumes where it stopped.
2. ``jupyter-book build`` compiles the book with execution off into ``build/book/_build/html``, with a build
   page (:mod:`fovex.study.build_report`: each chapter executed, up to date or failed, and why); a chapter
   that failed is a page saying so, and the book is still built (the exit code is 1).

Size: the build's steps top to bottom, with the checks of ``-p`` values against the notebooks'
parameters cells and the command's options, which only the build uses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from ..files import atomic_write_bytes

__all__ = [
    "add_arguments",
    "build_book",
    "check_parameters",
    "command",
    "execute_notebook",
    "load_profile",
    "main",
    "notebook_sources",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT_KEY = "fovex_build"


def notebook_sources(root: Path = REPO_ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.py"))


def profile_path(profile: str | os.PathLike, root: Path = REPO_ROOT) -> Path:
    """A profile's YAML: ``configs/book/<profile>.yaml``, or a path to a user's own (``--profile my.yaml``)."""
    text = os.fspath(profile)
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise ValueError(f"profile file {path} does not exist")
        return path.resolve()
    path = root / "configs" / "book" / f"{text}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in (root / "configs" / "book").glob("*.yaml"))
        raise ValueError(f"unknown book profile {text!r}; available: {', '.join(available)} (or a YAML path)")
    return path


def load_profile(profile: str | os.PathLike, root: Path = REPO_ROOT) -> dict:
    """Profile YAML (a name under ``configs/book/`` or a path) -> ``{"common": {...}, "notebooks": {stem: {...}},
    ...}``. ``study``: the study its chapters read (:func:`fovex.study.studies.load_study`: a name, or a YAML
    path relative to the profile's folder), checked here."""
    path = profile_path(profile, root)
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a profile is a mapping of keys, got {type(config).__name__}")
    allowed = {"common", "notebooks", "description", "compute_study", "study_runs", "study_overrides", "study"}
    unknown = set(config) - allowed
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(allowed))})")
    study = config.get("study")
    if isinstance(study, str) and study.endswith((".yaml", ".yml")) and not Path(study).is_absolute():
        study = str((path.parent / study).resolve())
    if study is not None:
        from .studies import load_study

        load_study(study, root)  # a study that does not load is refused before any work
    return {
        "common": config.get("common") or {},
        "notebooks": config.get("notebooks") or {},
        "compute_study": bool(config.get("compute_study", False)),
        "study_runs": config.get("study_runs"),
        "study_overrides": config.get("study_overrides") or {},
        "study": study,
        "path": path,
    }


def parameters_for(profile: dict, stem: str, profile_name: str, declared: list[str]) -> dict:
    """A notebook's parameters: the profile's name, the ``common`` ones it ``declared``, its own overrides."""
    common = {name: value for name, value in profile["common"].items() if name in declared}
    return {"profile": profile_name, **common, **(profile["notebooks"].get(stem) or {})}


def declared_parameters(source: Path) -> list[str]:
    """Names assigned in a notebook's ``parameters`` cell (the ones papermill can set)."""
    import ast

    import jupytext

    cell = next((c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return []
    return [
        target.id
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]


def declared_defaults(source: Path) -> dict:
    """The ``parameters`` cell's assignments as name -> ``(source text, value)``; the value is ``...`` when
    it is not a literal. What :func:`check_parameters` compares a given value with."""
    import ast

    import jupytext

    cell = next((c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return {}
    defaults = {}
    for node in ast.parse(cell.source).body:
        if not isinstance(node, ast.Assign):
            continue
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError):  # an expression: any value is taken
            value = ...
        for target in node.targets:
            if isinstance(target, ast.Name):
                defaults[target.id] = (ast.get_source_segment(cell.source, node.value), value)
    return defaults


def parse_value(text: str):
    """A ``-p NAME VALUE`` value as papermill's own ``-p`` reads it: True/False/None, int, float, else text."""
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


#: Declared types a given value must have (a float parameter takes a whole number too); text and ``None``
#: defaults take any value, and ``None`` is taken by every parameter.
_KINDS = (
    (bool, (bool,), "True or False"),
    (int, (int,), "a whole number"),
    (float, (int, float), "a number"),
    (list, (list,), "a list"),
    (tuple, (list,), "a list"),
    (dict, (dict,), "a mapping"),
)


def _checked_value(stem: str, name: str, declared: tuple, value):
    """``value`` for the parameter ``name`` declared as ``declared`` (source text, value), or a ValueError
    naming the declared type. A list or mapping is given in YAML's flow style: ``[fovex, gradcam]``."""
    text, default = declared
    kind = next(((accepted, what) for type_, accepted, what in _KINDS if type(default) is type_), None)
    if kind is None or value is None:
        return value
    accepted, what = kind
    if isinstance(value, str) and accepted[0] in (list, dict) and value.lstrip()[:1] in ("[", "{"):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as error:
            raise ValueError(f"{stem}: parameter {name}: cannot read {value!r} ({error.problem})") from None
    if isinstance(value, accepted) and not (isinstance(value, bool) and bool not in accepted):
        return value
    given = f"the text {value!r}" if isinstance(value, str) else f"{value!r}"
    example = {"a list": f" (give one as -p {name} '[{value}]')", "a mapping": f" (give one as -p {name} '{{...}}')"}
    hint = example.get(what, "") if isinstance(value, str) else ""
    raise ValueError(f"{stem}: parameter {name} is {what} (declared: {name} = {text}); got {given}{hint}")


def check_parameters(sources: list[Path], parameters: dict) -> dict:
    """``fovex book -p`` values checked against the chapters' ``parameters`` cells: each name applies to the
    chapters that declare it and is refused only when none of ``sources`` does (with the names they do
    declare); a value of another type than a declaring chapter's default is refused with that type (``-p
    explainers fovex`` is not the list ``['f', 'o', ...]``). Returns stem -> the values to inject into that
    chapter, a list written as ``[a, b]`` read as one."""
    declared = {source.stem: declared_defaults(source) for source in sources}
    unknown = sorted(name for name in parameters if not any(name in names for names in declared.values()))
    if unknown:
        every = sorted({name for names in declared.values() for name in names})
        chapters = ", ".join(declared)
        raise ValueError(
            f"no chapter ({chapters}) has parameter(s) {', '.join(unknown)}; their parameters: {', '.join(every)}"
        )
    return {
        stem: {
            name: _checked_value(stem, name, names[name], value) for name, value in parameters.items() if name in names
        }
        for stem, names in declared.items()
    }


#: Parameters that say how a chapter is run, not what it computes: not part of its fingerprint.
RUN_ONLY_PARAMETERS = ("overwrite",)


def _fingerprint(source: Path, parameters: dict) -> str:
    digest = hashlib.sha256(source.read_bytes())
    computed = {name: value for name, value in parameters.items() if name not in RUN_ONLY_PARAMETERS}
    digest.update(json.dumps(computed, sort_keys=True).encode())
    return digest.hexdigest()


def failure_line(error: BaseException) -> str:
    """What went wrong in a chapter, in one line: the exception a cell raised (its type and message, not
    the start of a traceback) and the cell it was raised in; else the last line of the error."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        message = " ".join(str(error.evalue).split())
        return f"cell [{error.exec_count}] raised {error.ename}: {message}"
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1].strip() if lines else ''}"


def _up_to_date(output: Path, fingerprint: str) -> bool:
    if not output.is_file():
        return False
    try:
        metadata = json.loads(output.read_text()).get("metadata", {})
    except (OSError, ValueError):
        return False
    return metadata.get(FINGERPRINT_KEY, {}).get("fingerprint") == fingerprint


def execute_notebook(source: Path, output: Path, parameters: dict, cwd: Path = REPO_ROOT) -> float:
    """jupytext source -> executed notebook at ``output`` (atomic). Returns seconds spent."""
    import jupytext
    import nbformat
    import papermill

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    scratch = output.parent.parent.parent / "build" / "notebooks"
    scratch.mkdir(parents=True, exist_ok=True)
    unexecuted = scratch / f"{source.stem}.ipynb"
    executed = scratch / f"{source.stem}.executed.ipynb"
    nbformat.write(notebook, unexecuted)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(unexecuted),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(cwd),
            progress_bar=False,
            # The kernel's own log (its start-up warning; on an interrupt, its complaint at being shut down
            # mid-cell) is not the chapter's: what a cell prints or raises is in the notebook.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except KeyboardInterrupt:  # the kernel is shut down on the way out; no scratch notebook is left
        unexecuted.unlink(missing_ok=True)
        executed.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - start
    result = nbformat.read(executed, as_version=4)
    for cell in result.cells:
        # The parameters (the notebook's and papermill's injected ones) fold away on the page: a reader
        # meets the chapter's text first, and can still open them to see how it was run.
        tags = cell.metadata.setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "hide-cell" not in tags:
            tags.append("hide-cell")
    # A live widget needs a kernel; its saved state would make the page fetch a widget manager from a
    # CDN. The page's explorer is static (fovex.study.explorer_page) and carries everything it shows.
    result.metadata.pop("widgets", None)
    result.metadata[FINGERPRINT_KEY] = {"fingerprint": _fingerprint(source, parameters), "seconds": round(seconds, 1)}
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output, nbformat.writes(result).encode())
    executed.unlink(missing_ok=True)
    unexecuted.unlink(missing_ok=True)
    return seconds


BOOK_SKELETON = (
    "_config.yml",
    "_toc.yml",
    "book/intro.md",
    "book/methods.md",
    "book/references.md",
    "book/references.bib",
    "book/spec.md",
    "book/_static/fovex.css",
)
#: In another ``--workdir``: the SHA-256 of each skeleton file fovex copied there, so that a rebuild
#: replaces only its own copies, never a file of the folder's owner.
SKELETON_RECORD = ".fovex-book-skeleton.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _refuse_links(workdir: Path, target: Path) -> None:
    """ValueError when ``target``, or a folder between ``workdir`` and it, is a symbolic link."""
    for path in [target, *target.parents]:
        if path == workdir:
            return
        if path.is_symlink():
            raise ValueError(
                f"{path} is a symbolic link (to {os.readlink(path)}); fovex book never writes through links: "
                "remove it, or use another --workdir"
            )


def skeleton_copies(workdir: Path) -> list[tuple[str, bytes]]:
    """The book's skeleton files to copy into ``workdir`` (another folder than the repository), checked
    before any work: a file there that is not a copy fovex made (the folder owner's own ``_config.yml``,
    or one edited since) is refused, and so is a symbolic link on the way to one (ValueError)."""
    record_path = workdir / SKELETON_RECORD
    _refuse_links(workdir, record_path)
    try:
        record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    except (OSError, ValueError):
        record = {}
    record = record if isinstance(record, dict) else {}
    copies = []
    for relative in BOOK_SKELETON:
        target, data = workdir / relative, (REPO_ROOT / relative).read_bytes()
        _refuse_links(workdir, target)
        if target.exists() and not target.is_file():
            raise ValueError(f"{target} is not a file: the book's {relative} goes there; use another --workdir")
        if target.is_file():
            current = _sha256(target.read_bytes())
            if current != _sha256(data) and record.get(relative) != current:
                raise ValueError(
                    f"{target} is not the copy fovex made of the book's {relative} (your own file, or edited "
                    "since): fovex book never replaces it; move it away (delete it if it is an old copy), or use "
                    "another --workdir"
                )
        copies.append((relative, data))
    return copies


def _copy_skeleton(workdir: Path, copies: list[tuple[str, bytes]]) -> None:
    for relative, data in copies:
        target = workdir / relative
        if not (target.is_file() and target.read_bytes() == data):
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, data)
    record = {relative: _sha256(data) for relative, data in copies}
    atomic_write_bytes(workdir / SKELETON_RECORD, (json.dumps(record, indent=2) + "\n").encode())


def chosen_sources(only: list[str] | None) -> list[Path]:
    """The chapters to execute: every one, or the ``only`` ones (ValueError for a name that is none)."""
    sources = notebook_sources()
    if only:
        unknown = set(only) - {s.stem for s in sources}
        if unknown:
            raise ValueError(f"unknown notebooks {sorted(unknown)}; available: {[s.stem for s in sources]}")
        sources = [s for s in sources if s.stem in only]
    return sources


def check_devices(profile: str, settings: dict, sources: list[Path], device: str | None) -> None:
    """ValueError, before any work, for a ``--device`` this machine does not have (or that names none), and
    for a profile that runs on a GPU on a machine without one (``gpu``: its chapters on ``cuda``) unless a
    ``--device`` is given: the study is not recomputed on the CPU without a word."""
    from ..devices import device_problem

    if device is not None:
        problem = device_problem(device)
        if problem:
            raise ValueError(f"--device {device}: {problem}")
        return
    stems = {source.stem for source in sources}
    wanted = [settings["common"].get("device")]
    wanted += [(settings["notebooks"].get(stem) or {}).get("device") for stem in sorted(stems)]
    for value in wanted:
        if isinstance(value, str) and value != "auto":
            problem = device_problem(value)
            if problem:
                raise ValueError(
                    f"profile {profile} runs on {value}, but {problem}; pass --device cpu to run it on this "
                    "machine's CPU anyway (the study takes hours there)"
                )


def build_book(
    profile: str = "quick",
    only: list[str] | None = None,
    force: bool = False,
    html: bool = True,
    workdir: Path = REPO_ROOT,
    overrides: dict | None = None,
    parameters: dict | None = None,
    overwrite: bool = False,
    device: str | None = None,
    models: list[str] | None = None,
    data_root: str | os.PathLike | None = None,
) -> int:
    """Execute every (or the ``only``) chapter for ``profile``, then build the HTML. Returns an exit code.

    ``profile``: a name under ``configs/book/`` or a path to a YAML of one's own. ``workdir``: where the book
    is assembled (chapters in ``workdir/book/chapters``, HTML in ``workdir/build/book``); another folder than
    the repository gets a copy of the book's skeleton, so a smoke build never touches the repository's own
    chapters (a file there that fovex did not copy, or a symbolic link on the way to one, is refused:
    :func:`skeleton_copies`). ``overrides``: parameters that replace the profile's for every notebook (e.g.
    ``results_dir``). ``parameters``: values for the executed notebooks' parameters cells (``fovex book -p
    NAME VALUE``), over the profile's, each for the chapters that declare it (:func:`check_parameters`).
    ``overwrite``: the chapters that compute a run (:func:`fovex.study.chapters.run_chapter`, a parameter
    ``overwrite``) replace results of another config in their ``results_dir`` instead of refusing them; it
    does not make an up-to-date chapter run again. ``device``: the study's runs and every chapter that
    declares ``device`` run there, over the profile's choice. ``models``: the study's models to compute and
    read (default: all of the profile's study); the chapters take the first as ``model_name``.
    ``data_root``: where the data sets are (as ``fovex data --data-root``; else ``$FOVEX_DATA``). Every
    argument is checked (ValueError) before the study is computed or a chapter runs. A chapter that fails
    does not take the book down: the book is built from the chapters that ran, its build page names each
    failed chapter and why, and the exit code is 1.
    """
    settings = load_profile(profile)
    name = Path(profile).stem if str(profile).endswith((".yaml", ".yml")) else str(profile)
    sources = chosen_sources(only)
    environment = study_environment(settings, models, data_root)
    with _environment(environment):  # the chapters' kernels inherit it; checked before any work
        given = check_parameters(sources, parameters) if parameters else {}
        check_devices(name, settings, sources, device)
        chosen = _chosen_models(models)
        workdir = Path(workdir).resolve()
        copies = skeleton_copies(workdir) if workdir != REPO_ROOT else []
        from . import study_runs_in

        with study_runs_in(settings["study_runs"]):
            if copies:
                _copy_skeleton(workdir, copies)
            return _build_book(
                settings, name, sources, given, force, html, workdir, overrides, overwrite, device, chosen
            )


def study_environment(settings: dict, models: list[str] | None, data_root) -> dict:
    """The environment a build runs in (its chapters' kernels inherit it): the profile's study
    (:data:`fovex.study.studies.STUDY_ENV`), the models chosen of it (:data:`~fovex.study.studies.MODELS_ENV`)
    and the data root (``FOVEX_DATA``). ValueError for a model the study lacks or a data root that is none."""
    from .studies import MODELS_ENV, STUDY_ENV, load_study

    environment = {}
    if settings.get("study"):
        environment[STUDY_ENV] = str(settings["study"])
    if models:
        study = load_study(environment.get(STUDY_ENV))
        known = list(study.models or [])
        if not known:
            raise ValueError(f"--model: the profile's study ({study.name}) has no models to choose from")
        unknown = [m for m in models if m not in known]
        if unknown:
            raise ValueError(f"--model {', '.join(unknown)}: the study {study.name!r} has {', '.join(known)}")
        environment[MODELS_ENV] = ",".join(models)
    if data_root is not None:
        root = Path(data_root).expanduser()
        if not root.is_dir():
            raise ValueError(f"--data-root {root} is not a folder")
        environment["FOVEX_DATA"] = str(root.resolve())
    return environment


class _environment:
    """Set ``variables`` in ``os.environ`` inside the block, restoring what was there after."""

    def __init__(self, variables: dict):
        self.variables, self.saved = variables, {}

    def __enter__(self):
        self.saved = {name: os.environ.get(name) for name in self.variables}
        os.environ.update(self.variables)

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _chosen_models(models: list[str] | None) -> list[str]:
    """The models the chapters run: those chosen, else the active study's (none for the committed study)."""
    from .studies import active_study

    return list(models or active_study().models or [])


def _build_book(settings, profile, sources, given, force, html, workdir, overrides, overwrite, device, models) -> int:
    from tqdm.auto import tqdm

    from .build_report import ChapterOutcome, write_build_report, write_failed_chapter

    settings["common"].update(overrides or {})
    if models:  # the chosen models: the first is the chapters' model, the others their other models
        settings["common"].update(model_name=models[0])
        for stem in [source.stem for source in sources]:
            chapter = settings["notebooks"].setdefault(stem, {}) or {}
            settings["notebooks"][stem] = {**chapter, "model_name": models[0], "other_models": models[1:]}
    from .build_report import expected_time

    expected = expected_time(profile, [source.stem for source in sources], REPO_ROOT)
    if expected:
        print(f"fovex book --profile {profile}: {expected}", flush=True)
    started = time.perf_counter()
    if settings["compute_study"]:
        # The study's runs first (an estimate first; hours on a CPU; resumable), then the chapters read them.
        from .estimate import compute_study_here

        compute_study_here(device=device, overrides=settings["study_overrides"])
    outcomes = []
    chapters = workdir / "book" / "chapters"
    for source in tqdm(sources, desc=f"notebooks ({profile})", unit="notebook"):
        declared = declared_parameters(source)
        parameters = {**parameters_for(settings, source.stem, profile, declared), **given.get(source.stem, {})}
        parameters = {name: value for name, value in parameters.items() if name in declared or name == "profile"}
        if overwrite and "overwrite" in declared:
            parameters["overwrite"] = True
        if device is not None and "device" in declared:
            parameters["device"] = device
        output = chapters / f"{source.stem}.ipynb"
        if not force and _up_to_date(output, _fingerprint(source, parameters)):
            tqdm.write(f"{source.stem}: up to date")
            outcomes.append(ChapterOutcome(source.stem, "up to date", None, None))
            continue
        tqdm.write(f"{source.stem}: executing ({time.perf_counter() - started:.0f} s into the build) ...")
        try:
            seconds = execute_notebook(source, output, parameters)
            tqdm.write(f"{source.stem}: executed in {seconds:.0f} s")
            outcomes.append(ChapterOutcome(source.stem, "executed", seconds, None))
        except Exception as error:  # papermill raises its own types; the message names the failing cell
            kept = workdir / "build" / "notebooks" / f"{source.stem}.executed.ipynb"
            where = f" (the traceback: {kept})" if kept.is_file() else ""
            cause = f"{failure_line(error)}{where}"
            tqdm.write(f"{source.stem}: FAILED: {cause}")
            outcomes.append(ChapterOutcome(source.stem, "failed", None, cause))
            write_failed_chapter(output, source, cause)  # the book still builds; the page says why
    failures = [outcome.stem for outcome in outcomes if outcome.status == "failed"]
    write_build_report(workdir, profile, outcomes, notebook_sources(), time.perf_counter() - started)
    if failures:
        print(f"fovex book: {len(failures)} notebook(s) failed: {', '.join(failures)}", file=sys.stderr)
    if html:
        command = [
            sys.executable,
            "-c",
            "from jupyter_book.cli.main import main; main()",
            "build",
            str(workdir),
            "--path-output",
            str(workdir / "build" / "book"),
            "--keep-going",
        ]
        completed = subprocess.run(command, cwd=workdir)
        if completed.returncode != 0:
            return completed.returncode
        print(f"book: {workdir / 'build' / 'book' / '_build' / 'html' / 'index.html'}")
    return 1 if failures else 0


def add_arguments(parser) -> None:
    """``fovex book``'s options (the ``fovex`` command's ``book`` and ``python -m fovex.study.book``)."""
    parser.add_argument(
        "--profile", default="quick", help="configs/book/<profile>.yaml, or a YAML of your own (default: quick)"
    )
    parser.add_argument("--only", nargs="*", default=None, help="notebook stems to execute (default: all)")
    parser.add_argument("--force", action="store_true", help="re-execute notebooks even when up to date")
    parser.add_argument("--no-html", action="store_true", help="execute notebooks only")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="chapters that compute a run replace results of another config in their results_dir",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="assemble the book in this folder instead of the repository (chapters, HTML)",
    )
    parser.add_argument(
        "--device",
        default=None,
        help="run the study's runs and every chapter that takes a device there (cpu, cuda, cuda:N), over the profile",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        help="compute and read this model of the profile's study (repeat for several; default: all of them)",
    )
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="where the data sets are, as for `fovex data` (default: $FOVEX_DATA, then ~/.cache/fovex)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help="set a notebook parameter in every chapter that declares it, as papermill's -p does; a list as '[a, b]'",
    )


def command(args) -> int:
    """Run ``fovex book`` with parsed ``args``: 0 built, 1 a chapter failed (one line each, saying why),
    2 a bad command (profile, notebook, parameter; one line), 130 interrupted (SIGINT or SIGTERM, also
    for a build started as a background job; rerun to resume)."""
    from ..evaluation.command import USER_ERRORS, error_line, handle_interrupts, ignore_further_interrupts

    handle_interrupts()
    try:
        return build_book(
            args.profile,
            args.only,
            args.force,
            html=not args.no_html,
            workdir=args.workdir or REPO_ROOT,
            parameters=parameter_values(args),
            overwrite=args.overwrite,
            device=args.device,
            models=args.model,
            data_root=args.data_root,
        )
    except (*USER_ERRORS, ValueError) as error:  # a bad command, or what the study's runs refuse (no GPU, ...)
        print(f"fovex book: error: {error_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a chapter is written whole or not at all (atomically), its kernel shut down
        ignore_further_interrupts()
        print(
            "fovex book: interrupted; chapters executed so far are kept, rerun the same command to resume",
            file=sys.stderr,
        )
        return 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fovex book", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return command(parser.parse_args(argv))


def parameter_values(args) -> dict:
    return {name: parse_value(value) for name, value in args.parameter}


if __name__ == "__main__":
    sys.exit(main())
