"""The study builds: a smoke build of the whole book (every notebook executed by papermill with tiny
parameters, then Jupyter Book), checked the way a reader sees it, in headless Chromium."""

from __future__ import annotations

import json
import shutil

import pytest

from fovex.book import REPO_ROOT, build_book, load_profile, notebook_sources

CHAPTERS = [source.stem for source in notebook_sources()]


def test_every_notebook_is_in_the_toc_and_has_a_parameters_cell():
    import jupytext
    import yaml

    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    listed = [entry["file"] for entry in toc["chapters"]]
    assert [f"book/chapters/{stem}" for stem in CHAPTERS] == [f for f in listed if f.startswith("book/chapters/")]
    assert len(CHAPTERS) == 8
    for source in notebook_sources():
        notebook = jupytext.read(source)
        tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{source.name} needs exactly one parameters cell"
        assert "profile" in tagged[0].source


def test_profiles_only_name_parameters_the_notebooks_have():

    from fovex.book import declared_parameters

    declared = {source.stem: set(declared_parameters(source)) for source in notebook_sources()}
    for profile in ("smoke", "quick", "full", "paper", "study"):
        settings = load_profile(profile)
        assert set(settings["notebooks"]) <= set(CHAPTERS), profile
        for stem, parameters in settings["notebooks"].items():
            unknown = set(parameters or {}) - declared[stem]
            assert not unknown, f"profile {profile}: {stem} has no parameters {unknown}"
        # A common parameter goes to the notebooks that declare it: at least one must (no silent typo).
        unused = set(settings["common"]) - set().union(*declared.values())
        assert not unused, f"profile {profile}: no notebook has the common parameter(s) {unused}"
    with pytest.raises(ValueError, match="available: .*quick"):
        load_profile("nonexistent")


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("book")
    code = build_book("smoke", workdir=workdir, overrides={"results_dir": str(workdir / "results")})
    assert code == 0, "the smoke build failed; see the captured output"
    return workdir


def test_smoke_build_executes_every_chapter_without_errors(smoke_book):
    for stem in CHAPTERS:
        notebook = json.loads((smoke_book / "book" / "chapters" / f"{stem}.ipynb").read_text())
        errors = [o for c in notebook["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{stem}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
        images = [o for c in notebook["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert images, f"{stem} produced no figure"
        assert notebook["metadata"]["fovex_build"]["fingerprint"]
        assert (smoke_book / "build" / "book" / "_build" / "html" / "book" / "chapters" / f"{stem}.html").is_file()


def test_rebuild_skips_unchanged_chapters(smoke_book, capsys):
    code = build_book("smoke", workdir=smoke_book, overrides={"results_dir": str(smoke_book / "results")}, html=False)
    assert code == 0
    assert capsys.readouterr().out.count("up to date") == len(CHAPTERS)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(
    _chromium() is None or shutil.which("chromedriver") is None,
    reason="Debian chromium and chromium-driver are not installed (.ci/run installs them)",
)
def test_pages_load_in_headless_chromium_and_figures_decode(smoke_book):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    html = smoke_book / "build" / "book" / "_build" / "html"
    try:
        for page in ["book/intro", "book/methods", "book/references"] + [f"book/chapters/{s}" for s in CHAPTERS]:
            driver.get((html / f"{page}.html").as_uri())
            title = driver.execute_script(
                "return document.querySelector('h1') && document.querySelector('h1').innerText"
            )
            assert title, f"{page}: no heading"
            if page.startswith("book/chapters/"):
                figures = driver.execute_script(
                    "return Array.from(document.images).filter(i => i.src.endsWith('.png'))"
                    ".map(i => [i.src, i.complete, i.naturalWidth])"
                )
                assert figures, f"{page}: no figures"
                broken = [src for src, complete, width in figures if not complete or width == 0]
                assert not broken, f"{page}: figures that do not decode: {broken}"
                errored = driver.execute_script(
                    "return document.querySelectorAll('.output.traceback, .output.error').length"
                )
                assert errored == 0, f"{page}: an executed cell errored"
                assert "Traceback (most recent call last)" not in driver.execute_script(
                    "return document.body.innerText"
                )
    finally:
        driver.quit()


def test_parameter_values_are_read_as_papermill_reads_them():
    from fovex.book import parse_value

    assert [parse_value(v) for v in ("50", "0.5", "True", "False", "None", "efficientnet_lite1", "1e-3")] == [
        50,
        0.5,
        True,
        False,
        None,
        "efficientnet_lite1",
        1e-3,
    ]


def test_book_refuses_unknown_parameters_with_the_valid_ones(capsys):
    from fovex.cli import main

    assert main(["book", "--only", "03_faithfulness", "-p", "num_imagez", "5", "--no-html"]) == 2
    err = capsys.readouterr().err
    assert "03_faithfulness has no parameter(s) num_imagez" in err and "num_images" in err


def test_book_executes_a_chapter_with_given_parameters(tmp_path):
    import nbformat

    code = build_book(
        "smoke",
        only=["06_explorer"],
        html=False,
        workdir=tmp_path,
        overrides={"results_dir": str(tmp_path / "results")},
        parameters={"max_images": 1},
    )
    assert code == 0
    notebook = nbformat.read(tmp_path / "book" / "chapters" / "06_explorer.ipynb", as_version=4)
    injected = next(c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "max_images = 1" in injected.source
    # Both parameters cells fold away on the page (issue 14): the chapter opens with its text.
    declared = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert "hide-cell" in injected.metadata["tags"] and "hide-cell" in declared.metadata["tags"]


def test_common_parameters_reach_only_the_notebooks_that_declare_them():
    from fovex.book import parameters_for

    profile = {"common": {"threads": 1, "results_dir": "r"}, "notebooks": {"03_faithfulness": {"num_images": 2}}}
    assert parameters_for(profile, "03_faithfulness", "smoke", ["profile", "threads", "num_images"]) == {
        "profile": "smoke",
        "threads": 1,
        "num_images": 2,
    }
    assert parameters_for(profile, "01_scanpaths", "smoke", ["profile"]) == {"profile": "smoke"}


def test_explainer_entries_join_names_and_the_profiles_settings():
    from fovex.book import explainer_entries

    settings = {"rise": {"masks": 1000}, "meaningful_perturbation": {"steps": 100}}
    own = {"name": "fovex", "label": "fovex-fast", "settings": {"preset": "fast"}}
    assert explainer_entries(["fovex", "rise", own], settings) == [
        {"name": "fovex"},
        {"name": "rise", "settings": {"masks": 1000}},
        own,  # an entry of its own is kept as given
    ]
    assert explainer_entries(["rise"]) == [{"name": "rise"}]
