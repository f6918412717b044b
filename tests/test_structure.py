"""The shape of the package: three layers, no import cycles, modules of a readable size, citations that
resolve, lint.

The layers, each importing only the ones below it: the library (every module outside the two folders:
models, foveation, neva, explain, metrics, data, io, viz, report, ...), ``fovex.evaluation`` (the
engine, its store, the run reader) and ``fovex.study`` (the study's runs, findings, book build). The
package root ``fovex`` sits between the engine and the study (it exposes the library and
``fovex.open_run``, never the study); ``fovex.cli``, the entry point, is above all.

The import graph is read from the source (every ``import`` / ``from ... import``, at module level or
inside functions, so a cycle hidden behind a late import is found too); ``fovex.a`` importing
``fovex.b`` means an edge a -> b, and importing a name from a package whose submodule it is means
an edge to that submodule.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "fovex"
#: Lines a module may have without saying why in its docstring (a line starting with "Size:").
MAX_LINES = 360


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the fovex modules it imports (anywhere in its source)."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        base = name.split(".") if is_package else name.split(".")[:-1]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    target = base[: len(base) - node.level + 1] + (node.module.split(".") if node.module else [])
                else:
                    target = node.module.split(".")
                target_name = ".".join(target)
                for alias in node.names:
                    sub = f"{target_name}.{alias.name}"
                    edges.add(sub if sub in modules else target_name)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
        graph[name] = {edge for edge in edges if edge in modules and edge != name}
    return graph


#: Rank of each layer; a module may import its own layer and those of a lower rank only.
LAYERS = {"library": 0, "evaluation": 1, "package root": 2, "study": 3, "entry point": 4}


def layer_of(module: str) -> str:
    if module == "fovex.cli":
        return "entry point"
    if module == "fovex":
        return "package root"
    for folder in ("evaluation", "study"):
        if module == f"fovex.{folder}" or module.startswith(f"fovex.{folder}."):
            return folder
    return "library"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every edge from a module to a module of a higher layer, as "a (layer) -> b (layer)"."""
    return sorted(
        f"{module} ({layer_of(module)}) -> {other} ({layer_of(other)})"
        for module, edges in graph.items()
        for other in edges
        if LAYERS[layer_of(other)] > LAYERS[layer_of(module)]
    )


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = iter(range(len(graph) * 2 + 1))

    def visit(node):
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_import_graph_is_read_from_relative_and_late_imports():
    graph = import_graph()
    assert "fovex.explain.base" in graph["fovex.explain.fovex"]  # from .base import ...
    assert "fovex.explain" in graph["fovex.evaluation.plan"]  # a late import inside a function
    assert "fovex.evaluation.store" in graph["fovex.evaluation.runner"]  # from .. import store


def test_the_layer_check_finds_an_arrow_climbing():
    graph = {
        "fovex.models": {"fovex.checks"},
        "fovex.viz.charts": {"fovex.report"},
        "fovex.evaluation.runner": {"fovex.models", "fovex.evaluation.store"},
        "fovex.study.book": {"fovex.evaluation.command", "fovex", "fovex.files"},
        "fovex.cli": {"fovex.study.book"},
    }
    assert upward_imports(graph) == []
    graph["fovex.explain.cam"] = {"fovex.evaluation.runner"}  # the library reaching the engine
    graph["fovex.evaluation.store.exports"] = {"fovex.study.paths"}  # the engine reaching the study
    graph["fovex"] = {"fovex.study"}  # the package root exposing the study
    graph["fovex.data.cli"] = {"fovex.cli"}
    assert upward_imports(graph) == [
        "fovex (package root) -> fovex.study (study)",
        "fovex.data.cli (library) -> fovex.cli (entry point)",
        "fovex.evaluation.store.exports (evaluation) -> fovex.study.paths (study)",
        "fovex.explain.cam (library) -> fovex.evaluation.runner (evaluation)",
    ]


def test_the_three_layers_are_folders_and_no_import_climbs():
    """Library -> evaluation -> study, late imports inside functions included: no arrow runs upward."""
    graph = import_graph()
    layers = {layer_of(module) for module in graph}
    assert layers == set(LAYERS), layers
    assert {"fovex.evaluation.store", "fovex.evaluation.reader", "fovex.study.book", "fovex.study.chapters"} <= set(
        graph
    )
    assert upward_imports(graph) == []


def test_no_import_cycle_in_the_package():
    assert find_cycles(import_graph()) == []


def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Importing each module first (no other fovex module loaded) works: no order-dependent import."""
    names = sorted(name for name in _modules() if not name.endswith("__main__"))
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    for chunk in (names[: len(names) // 2], names[len(names) // 2 :][::-1]):
        done = subprocess.run([sys.executable, "-c", script, *chunk], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stderr[-2000:]


def test_long_modules_say_why():
    """A module longer than MAX_LINES states the reason in its docstring (a line starting "Size:")."""
    unexplained = []
    for name, (path, _) in sorted(_modules().items()):
        lines = path.read_text().count("\n")
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > MAX_LINES and not re.search(r"^Size: \S", docstring, flags=re.MULTILINE):
            unexplained.append(f"{name} ({lines} lines)")
    assert not unexplained, f"split these or say why in the docstring: {unexplained}"


def test_every_spec_citation_names_a_section_of_the_spec_page():
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", (REPO / "book" / "spec.md").read_text(), re.MULTILINE))
    assert {"1", "1.3", "2.1", "3"} <= headings
    cited = {}
    for path in [*PACKAGE.rglob("*.py"), *(REPO / "notebooks").glob("*.py")]:
        for section in re.findall(r"book/spec\.md §(\d+(?:\.\d+)?)", path.read_text()):
            cited.setdefault(section, path.relative_to(REPO))
    assert cited, "the docstrings cite the spec page"
    assert {section: path for section, path in cited.items() if section not in headings} == {}
    assert "SPEC §" not in "".join(path.read_text() for path in PACKAGE.rglob("*.py"))


def _ruff() -> str:
    beside = Path(sys.executable).parent / "ruff"  # the venv's, from the dev extra
    found = str(beside) if beside.exists() else shutil.which("ruff")
    assert found, "ruff is not installed: pip install -e '.[dev]'"
    return found


def test_lint_and_format_are_clean():
    """``make lint``: ruff's checks and formatting as configured in pyproject.toml."""
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run([_ruff(), *args], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, f"ruff {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-1000:]}"


#: What a chapter's code may not do itself: loop, or operate on tables (the package builds them).
_PANDAS_METHODS = {"groupby", "merge", "concat", "assign", "pivot", "pivot_table", "melt", "agg", "apply", "query"}


def notebook_logic(source: str) -> list[str]:
    """Loops, comprehensions and pandas operations in a notebook's code, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            found.append(f"{node.lineno}: a loop")
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            found.append(f"{node.lineno}: a comprehension")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"{node.lineno}: imports {name}" for name in names if name.split(".")[0] in ("pandas", "numpy")]
        elif isinstance(node, ast.Attribute) and node.attr in _PANDAS_METHODS:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Compare):
            found.append(f"{node.lineno}: a row filter")
    return sorted(found)


def test_notebooks_only_call_the_package():
    """A chapter is parameters, one call per table or figure, and prose (issue 29): no loop, no table built."""
    assert sorted(
        notebook_logic("for x in y:\n    pass\nt = rows[rows['a'] > 1].groupby('b')\nimport pandas as pd")
    ) == [
        "1: a loop",
        "3: .groupby",
        "3: a row filter",
        "4: imports pandas",
    ]
    found = {
        path.name: logic
        for path in sorted((REPO / "notebooks").glob("*.py"))
        if (logic := notebook_logic(path.read_text()))
    }
    assert found == {}, f"move these into fovex/study/chapters/: {found}"
