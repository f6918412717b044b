"""Build the study: execute the notebooks with papermill, then compile the Jupyter Book.

    fovex book [--profile quick] [--only 03_faithfulness] [--force] [--no-html] [-p NAME VALUE ...]

0. A profile with ``compute_study: true`` (``study``, ``gpu``) first computes or resumes the study's runs
   (:func:`fovex.study.compute_study`), which the chapters then read. ``study_runs: FOLDER`` computes
   and reads them in FOLDER instead of ``build/eval`` (from scratch: nothing restored from the committed
   exports), ``study_overrides`` replaces config keys in every run (e.g. a GPU's batch sizes).
   ``--device`` runs the study and every chapter that takes a ``device`` on that device.
1. Each ``notebooks/NN_name.py`` (jupytext percent format) becomes a notebook and is executed by
   papermill with the parameters of the profile (``configs/book/<profile>.yaml``: ``common`` for every
   notebook that declares the parameter, then per-notebook overrides) into ``book/chapters/NN_name.ipynb``,
   written atomically. A chapter that runs explainers takes their names (``explainers``) and the
   profile's ``explainer_settings`` (name -> settings, written once in ``common``), which
   :func:`fovex.runs.run_chapter` joins into evaluation-config entries.
   A chapter whose source and parameters are unchanged since its last successful execution is
   skipped, so an interrupted build resumes where it stopped.
2. ``jupyter-book build`` compiles the book with execution off into ``build/book/_build/html``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .files import atomic_write_bytes

__all__ = ["build_book", "execute_notebook", "load_profile", "main", "notebook_sources"]

REPO_ROOT = Path(__file__).resolve().parents[1]
FINGERPRINT_KEY = "fovex_build"


def notebook_sources(root: Path = REPO_ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.py"))


def load_profile(profile: str, root: Path = REPO_ROOT) -> dict:
    """Profile YAML -> ``{"common": {...}, "notebooks": {stem: {...}}}``."""
    path = root / "configs" / "book" / f"{profile}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in (root / "configs" / "book").glob("*.yaml"))
        raise ValueError(f"unknown book profile {profile!r}; available: {', '.join(available)}")
    config = yaml.safe_load(path.read_text()) or {}
    allowed = {"common", "notebooks", "description", "compute_study", "study_runs", "study_overrides"}
    unknown = set(config) - allowed
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(allowed))})")
    return {
        "common": config.get("common") or {},
        "notebooks": config.get("notebooks") or {},
        "compute_study": bool(config.get("compute_study", False)),
        "study_runs": config.get("study_runs"),
        "study_overrides": config.get("study_overrides") or {},
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


def _check_parameters(sources: list[Path], parameters: dict) -> None:
    for source in sources:
        declared = declared_parameters(source)
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise ValueError(
                f"{source.stem} has no parameter(s) {', '.join(unknown)}; its parameters: {', '.join(declared)}"
            )


def _fingerprint(source: Path, parameters: dict) -> str:
    digest = hashlib.sha256(source.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    return digest.hexdigest()


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
    papermill.execute_notebook(
        str(unexecuted), str(executed), parameters=parameters, kernel_name="python3", cwd=str(cwd), progress_bar=False
    )
    seconds = time.perf_counter() - start
    result = nbformat.read(executed, as_version=4)
    for cell in result.cells:
        # The parameters (the notebook's and papermill's injected ones) fold away on the page: a reader
        # meets the chapter's text first, and can still open them to see how it was run.
        tags = cell.metadata.setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "hide-cell" not in tags:
            tags.append("hide-cell")
    # A live widget needs a kernel; its saved state would make the page fetch a widget manager from a
    # CDN. The page's explorer is static (fovex.explorer_page) and carries everything it shows.
    result.metadata.pop("widgets", None)
    result.metadata[FINGERPRINT_KEY] = {"fingerprint": _fingerprint(source, parameters), "seconds": round(seconds, 1)}
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output, nbformat.writes(result).encode())
    executed.unlink(missing_ok=True)
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


def build_book(
    profile: str = "quick",
    only: list[str] | None = None,
    force: bool = False,
    html: bool = True,
    workdir: Path = REPO_ROOT,
    overrides: dict | None = None,
    parameters: dict | None = None,
    device: str | None = None,
) -> int:
    """Execute every (or the ``only``) chapter for ``profile``, then build the HTML. Returns an exit code.

    ``workdir``: where the book is assembled (chapters in ``workdir/book/chapters``, HTML in
    ``workdir/build/book``); another folder than the repository gets a copy of the book's skeleton,
    so a smoke build never touches the repository's own chapters. ``overrides``: parameters that
    replace the profile's for every notebook (e.g. ``results_dir``). ``parameters``: values for the
    executed notebooks' parameters cells (``fovex book -p NAME VALUE``), over the profile's; a name
    a notebook does not declare is refused with the ones it does. ``device``: the study's runs and
    every chapter that declares ``device`` run there, over the profile's choice.
    """
    settings = load_profile(profile)
    from .study import study_runs_in

    with study_runs_in(settings["study_runs"]):  # the chapters' kernels inherit it
        return _build_book(settings, profile, only, force, html, workdir, overrides, parameters, device)


def _build_book(settings, profile, only, force, html, workdir, overrides, parameters, device) -> int:
    import shutil

    from tqdm.auto import tqdm

    workdir = Path(workdir).resolve()
    if workdir != REPO_ROOT:
        for relative in BOOK_SKELETON:
            (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / relative, workdir / relative)
    settings["common"].update(overrides or {})
    if settings["compute_study"]:
        # The study's runs first (hours on a CPU; resumable), then the chapters read them.
        from .study import compute_study

        compute_study(quiet=False, device=device, overrides=settings["study_overrides"])
    sources = notebook_sources()
    if only:
        unknown = set(only) - {s.stem for s in sources}
        if unknown:
            raise ValueError(f"unknown notebooks {sorted(unknown)}; available: {[s.stem for s in sources]}")
        sources = [s for s in sources if s.stem in only]
    if parameters:
        _check_parameters(sources, parameters)
    given = dict(parameters or {})
    failures = []
    chapters = workdir / "book" / "chapters"
    for source in tqdm(sources, desc=f"notebooks ({profile})", unit="notebook"):
        declared = declared_parameters(source)
        parameters = {**parameters_for(settings, source.stem, profile, declared), **given}
        if device is not None and "device" in declared:
            parameters["device"] = device
        output = chapters / f"{source.stem}.ipynb"
        if not force and _up_to_date(output, _fingerprint(source, parameters)):
            tqdm.write(f"{source.stem}: up to date")
            continue
        try:
            seconds = execute_notebook(source, output, parameters)
            tqdm.write(f"{source.stem}: executed in {seconds:.0f} s")
        except Exception as error:  # papermill raises its own types; the message names the failing cell
            failures.append(source.stem)
            tqdm.write(f"{source.stem}: FAILED: {str(error).strip()[:2000]}")
    if failures:
        print(f"fovex book: {len(failures)} notebook(s) failed: {', '.join(failures)}", file=sys.stderr)
        return 1
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
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fovex book", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", help="configs/book/<profile>.yaml (default: quick)")
    parser.add_argument("--only", nargs="*", default=None, help="notebook stems to execute (default: all)")
    parser.add_argument("--force", action="store_true", help="re-execute notebooks even when up to date")
    parser.add_argument("--no-html", action="store_true", help="execute notebooks only")
    add_device_option(parser)
    add_parameter_option(parser)
    args = parser.parse_args(argv)
    html, parameters = not args.no_html, parameter_values(args)
    return build_book(args.profile, args.only, args.force, html=html, parameters=parameters, device=args.device)


def add_device_option(parser) -> None:
    parser.add_argument(
        "--device",
        default=None,
        help="run the study's runs and every chapter that takes a device there (cpu, cuda, cuda:N), over the profile",
    )


def add_parameter_option(parser) -> None:
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help="set a notebook parameter, as papermill's -p does (use with --only)",
    )


def parameter_values(args) -> dict:
    return {name: parse_value(value) for name, value in args.parameter}


if __name__ == "__main__":
    sys.exit(main())
