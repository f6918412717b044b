"""No study number typed by hand (issue 34): generated parts are current, and no interval or cost figure stands
outside one in the README, the book's pages, the notebooks' prose or the package's docstrings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from fovex.study.numbers import _PART, PAGES, SECTIONS, generated_parts, main, render, rewrite, stale

REPO = Path(__file__).resolve().parents[1]

#: A difference with its interval, as the study prints them ("-3.3 % [-4.7, -2.2]").
INTERVAL = re.compile(r"[−+-]?\d+(?:\.\d+)?\s*%?\s*\[\s*[−+-]?\d+(?:\.\d+)?\s*%?,\s*[−+-]?\d+(?:\.\d+)?\s*%?\s*\]")
#: A cost of the study: hours or minutes.
COST = re.compile(r"\b\d+(?:\.\d+)?\s*(?:core-)?hours?\b|\b\d+(?:\.\d+)?\s*minutes?\b")
#: Cost figures that are settings, not measurements (a time limit the script sets itself).
SETTINGS = ("8 minutes of limits",)


def _prose(path: Path) -> str:
    """The text a reader sees: a page without its generated parts; a notebook's comment (markdown) lines."""
    text = path.read_text()
    if path.suffix == ".py":
        text = "\n".join(line for line in text.splitlines() if line.startswith("# "))
    return _PART.sub("", text)


def _pages() -> list[Path]:
    pages = [REPO / "README.md", *sorted((REPO / "book").glob("*.md")), *sorted((REPO / "notebooks").glob("*.py"))]
    return [page for page in pages if page.name != "spec.md"]  # the spec holds the *published* numbers


def test_every_generated_part_is_current():
    parts = render(REPO)
    found = {page: stale(REPO / page, parts) for page in PAGES}
    assert found == {page: [] for page in PAGES}, "run `python -m fovex.study.numbers`"
    assert set().union(*(generated_parts((REPO / page).read_text()) for page in PAGES)) == set(SECTIONS)


def test_no_study_number_is_typed_outside_a_generated_part():
    typed = []
    for page in _pages():
        text = _prose(page)
        typed += [f"{page.name}: {m.group(0)}" for m in INTERVAL.finditer(text)]
        for m in COST.finditer(text):
            context = text[max(0, m.start() - 30) : m.end() + 12]
            if not any(setting in context for setting in SETTINGS):
                typed.append(f"{page.name}: ...{context}...")
    for path in sorted((REPO / "fovex").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node) or ""
                typed += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in INTERVAL.finditer(doc)]
    assert typed == []


def test_the_scan_finds_a_typed_number(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Insertion −3.3 % [−4.7, −2.2] in about 19 hours.\n"
        "<!-- generated: x -->\n+1 [0, 2]\n<!-- end generated: x -->\n"
    )
    assert [m.group(0) for m in INTERVAL.finditer(_prose(page))] == ["−3.3 % [−4.7, −2.2]"]
    assert [m.group(0) for m in COST.finditer(_prose(page))] == ["19 hours"]


def test_parts_are_rewritten_in_place_block_or_inline(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "before\n<!-- generated: a -->\nold\n<!-- end generated: a -->\n"
        "| x | <!-- generated: b -->old<!-- end generated: b --> |\n"
    )
    assert stale(page, {"a": "new\ntext\n", "b": "two\nwords\n"}) == ["a", "b"]
    assert rewrite(page, {"a": "new\ntext\n", "b": "two\nwords\n"})
    assert page.read_text() == (
        "before\n<!-- generated: a -->\nnew\ntext\n<!-- end generated: a -->\n"
        "| x | <!-- generated: b -->two words<!-- end generated: b --> |\n"
    )
    assert stale(page, {"a": "new\ntext\n", "b": "two\nwords\n"}) == []
    assert not rewrite(page, {"a": "new\ntext\n", "b": "two\nwords\n"})


def test_the_check_command_names_stale_parts(monkeypatch, tmp_path, capsys):
    import fovex.study.numbers as numbers

    (tmp_path / "book").mkdir()
    (tmp_path / "README.md").write_text("<!-- generated: study-hours -->stale<!-- end generated: study-hours -->\n")
    (tmp_path / "book" / "intro.md").write_text("nothing generated\n")
    (tmp_path / "configs" / "book").mkdir(parents=True)
    (tmp_path / "configs" / "book" / "quick.yaml").write_text("# nothing generated\n")
    monkeypatch.setattr(numbers, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(numbers, "SECTIONS", {"study-hours": lambda root: "2 CPU cores: about 1 hours"})
    assert main(["--check"]) == 1 and "README.md: study-hours" in capsys.readouterr().err
    assert main([]) == 0 and main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_part_is_generated_from_the_committed_rows(name):
    text = render(REPO, [name])[name]
    assert text.strip() and "nan" not in text.lower().split()


def test_the_methods_page_states_the_standard_the_book_judges_by():
    """Changing the standard is one edit (fovex.study.judged.STANDARD); this fails until the page says it."""
    from fovex.study.judged import STANDARD

    methods = (REPO / "book" / "methods.md").read_text()
    assert {"bonferroni": "Bonferroni-adjusted", "holm": "Holm-adjusted", "none": "unadjusted"}[
        STANDARD.correction
    ] in methods
    assert f"is below {STANDARD.alpha:g}" in methods and f"{STANDARD.alpha:g} / 2m" in methods
