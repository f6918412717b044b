"""The study builds: a smoke build of the whole book (every notebook executed by papermill with tiny
parameters, then Jupyter Book), checked the way a reader sees it, in headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import interrupt_background_job

from fovex.study.book import REPO_ROOT, build_book, load_profile, notebook_sources

CHAPTERS = [source.stem for source in notebook_sources()]


def test_every_notebook_is_in_the_toc_and_has_a_parameters_cell():
    import jupytext
    import yaml

    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    listed = [entry["file"] for entry in toc["chapters"]]
    chapters = [f for f in listed if f.startswith("book/chapters/") and f != "book/chapters/build"]
    assert [f"book/chapters/{stem}" for stem in CHAPTERS] == chapters
    assert "book/chapters/build" in listed  # the build page (fovex.study.build_report)
    assert len(CHAPTERS) == 8
    for source in notebook_sources():
        notebook = jupytext.read(source)
        tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{source.name} needs exactly one parameters cell"
        assert "profile" in tagged[0].source


def test_profiles_only_name_parameters_the_notebooks_have():

    from fovex.study.book import declared_parameters

    declared = {source.stem: set(declared_parameters(source)) for source in notebook_sources()}
    for profile in ("smoke", "quick", "full", "paper", "paper-smoke", "study", "gpu"):
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
        outputs = [o.get("data", {}) for c in notebook["cells"] for o in c.get("outputs", [])]
        # A figure: a PNG output, or images embedded in an HTML output (the static explorer's frames).
        images = [data for data in outputs if "image/png" in data or "data:image/" in str(data.get("text/html", ""))]
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


needs_chromium = pytest.mark.skipif(
    _chromium() is None or shutil.which("chromedriver") is None,
    reason="Debian chromium and chromium-driver are not installed (.ci/run installs them)",
)


def _driver(performance_log: bool = False):
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
    if performance_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@needs_chromium
def test_pages_load_in_headless_chromium_and_figures_decode(smoke_book):
    driver = _driver()
    html = smoke_book / "build" / "book" / "_build" / "html"
    try:
        pages = ["book/intro", "book/methods", "book/spec", "book/references"]
        for page in pages + [f"book/chapters/{s}" for s in CHAPTERS]:
            driver.get((html / f"{page}.html").as_uri())
            title = driver.execute_script(
                "return document.querySelector('h1') && document.querySelector('h1').innerText"
            )
            assert title, f"{page}: no heading"
            if page.startswith("book/chapters/"):
                # A reader meets the chapter's prose first; its parameters are folded away.
                first, unfolded = driver.execute_script(
                    "var next = document.querySelector('article h1').nextElementSibling;"
                    "while (next && next.tagName === 'SPAN') { next = next.nextElementSibling; }"
                    "var cells = document.querySelectorAll('.cell.tag_parameters, .cell.tag_injected-parameters');"
                    "return [next ? next.tagName : null,"
                    " Array.from(cells).filter(c => !c.classList.contains('tag_hide-cell')).length];"
                )
                assert first == "P" and unfolded == 0, f"{page}: opens with {first}, {unfolded} raw parameter cells"
                figures = driver.execute_script(
                    "return Array.from(document.images).filter(i => i.src.endsWith('.png') || i.src.startsWith("
                    "'data:image/')).map(i => [i.src.slice(0, 80), i.complete, i.naturalWidth])"
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


# The explorer's state as the page holds it, and what it shows now.
_EXPLORER_NOW = """
var root = document.querySelector('.fovex-explorer');
var state = JSON.parse(root.querySelector('[data-role="state"]').textContent);
var get = function (name) { return root.querySelector('[data-control="' + name + '"]'); };
var key = [get('image').value, get('explainer').value, get('target').value].join('\u001f');
var frame = root.querySelector('[data-role="frame"]');
return {view: state.views[key], frames: state.frames.length, src: frame.src, complete: frame.complete,
        width: frame.naturalWidth, shown: Number(get('fixations').value), max: Number(get('fixations').max),
        sliderDisabled: get('fixations').disabled, targetDisabled: get('target').disabled,
        targets: Array.from(get('target').options).map(o => o.value),
        images: Array.from(get('image').options).map(o => o.value),
        explainers: Array.from(get('explainer').options).map(o => o.value),
        status: root.querySelector('[data-role="status"]').textContent};
"""


def _expected_src(driver, now) -> str:
    """The precomputed frame the page's state holds for the current view and fixation count."""
    return driver.execute_script(
        "var state = document.querySelector('.fovex-explorer [data-role=state]');"
        "return JSON.parse(state.textContent).frames[arguments[0]];",
        now["view"]["frames"][now["shown"] - 1],
    )


def _set(driver, control: str, value) -> None:
    """Change a control by script as a reader's click or drag does (the element's own event)."""
    event = "input" if control == "fixations" else "change"
    driver.execute_script(
        "var c = document.querySelector('.fovex-explorer [data-control=' + arguments[0] + ']');"
        "c.value = arguments[1]; c.dispatchEvent(new Event(arguments[2]));",
        control,
        str(value),
        event,
    )


@needs_chromium
def test_the_explorer_page_works_without_a_kernel_or_network(smoke_book):
    import time

    html = smoke_book / "build" / "book" / "_build" / "html"
    page = html / "book" / "chapters" / "06_explorer.html"
    assert page.stat().st_size < 15e6, "the explorer page should stay under ~15 MB"
    driver = _driver(performance_log=True)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        driver.get(page.as_uri())
        now = driver.execute_script(_EXPLORER_NOW)
        assert len(now["images"]) >= 12 and now["explainers"][0] == "fovex" and "gradcam" in now["explainers"]
        # FovEx on the first image: the whole scanpath shown, a class-specific choice of targets.
        assert now["shown"] == now["max"] >= 2 and not now["sliderDisabled"]
        assert now["targets"][0] == "top-1" and len(now["targets"]) >= 2 and not now["targetDisabled"]
        assert now["src"] == _expected_src(driver, now) and now["complete"] and now["width"] > 0
        assert now["status"].startswith("target: ") and " passes | " in now["status"]
        seen = {now["src"]}

        _set(driver, "fixations", 1)  # the slider: the heat map of the first fixation
        now = driver.execute_script(_EXPLORER_NOW)
        assert now["shown"] == 1 and now["src"] == _expected_src(driver, now) and now["src"] not in seen
        seen.add(now["src"])

        _set(driver, "target", now["targets"][1])  # another class of the top-5
        now = driver.execute_script(_EXPLORER_NOW)
        assert now["view"]["target"] != "top-1" and now["src"] == _expected_src(driver, now)
        assert now["src"] not in seen and now["shown"] == now["max"]
        seen.add(now["src"])

        driver.execute_script("document.querySelector('.fovex-explorer [data-control=\"play\"]').click();")
        now = driver.execute_script(_EXPLORER_NOW)
        assert now["shown"] == 1 and now["src"] == _expected_src(driver, now)
        time.sleep(0.7 * now["max"] + 0.8)  # the replay steps every 0.7 s up to the last fixation
        now = driver.execute_script(_EXPLORER_NOW)
        assert now["shown"] == now["max"] and now["src"] == _expected_src(driver, now)

        _set(driver, "explainer", "gradcam")  # a map without a scanpath: one frame, no slider
        now = driver.execute_script(_EXPLORER_NOW)
        assert now["sliderDisabled"] and now["targetDisabled"] and len(now["view"]["frames"]) == 1
        assert now["src"] == _expected_src(driver, now) and now["src"] not in seen
        seen.add(now["src"])

        _set(driver, "image", now["images"][1])  # another photo, same explainer
        now = driver.execute_script(_EXPLORER_NOW)
        assert now["src"] == _expected_src(driver, now) and now["src"] not in seen and now["width"] > 0

        # Nothing left the book's own files: every request is a file under the HTML folder, or inline data.
        requests = [
            message["params"]["request"]["url"]
            for message in (json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))
            if message["method"] == "Network.requestWillBeSent"
        ]
        outside = [url for url in requests if not (url.startswith("data:") or url.startswith(html.as_uri() + "/"))]
        assert requests and not outside, f"requests outside the book: {outside}"
    finally:
        driver.quit()


def test_parameter_values_are_read_as_papermill_reads_them():
    from fovex.study.book import parse_value

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
    assert "no chapter (03_faithfulness) has parameter(s) num_imagez" in err and "num_images" in err


def test_a_parameter_reaches_the_chapters_that_declare_it_and_is_refused_only_when_none_does():
    from fovex.study.book import check_parameters, notebook_sources

    sources = [s for s in notebook_sources() if s.stem in ("01_scanpaths", "03_faithfulness")]
    # num_images: chapter 3 declares it, chapter 1 does not (max_images): it goes to chapter 3 alone.
    given = check_parameters(sources, {"num_images": 5, "model_name": "resnet50"})
    assert given == {
        "01_scanpaths": {"model_name": "resnet50"},
        "03_faithfulness": {"num_images": 5, "model_name": "resnet50"},
    }
    with pytest.raises(ValueError, match="no chapter .* has parameter.s. nope"):
        check_parameters(sources, {"nope": 1})
    with pytest.raises(ValueError, match="03_faithfulness: parameter num_images is a whole number"):
        check_parameters(sources, {"num_images": "five"})


def test_book_executes_a_chapter_with_given_parameters(tmp_path):
    import nbformat

    code = build_book(
        "smoke",
        only=["06_explorer"],
        html=False,
        workdir=tmp_path,
        overrides={"results_dir": str(tmp_path / "results")},
        parameters={"num_images": 2},
    )
    assert code == 0
    notebook = nbformat.read(tmp_path / "book" / "chapters" / "06_explorer.ipynb", as_version=4)
    injected = next(c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "num_images = 2" in injected.source
    # Both parameters cells fold away on the page (issue 14): the chapter opens with its text.
    declared = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert "hide-cell" in injected.metadata["tags"] and "hide-cell" in declared.metadata["tags"]


def test_common_parameters_reach_only_the_notebooks_that_declare_them():
    from fovex.study.book import parameters_for

    profile = {"common": {"threads": 1, "results_dir": "r"}, "notebooks": {"03_faithfulness": {"num_images": 2}}}
    assert parameters_for(profile, "03_faithfulness", "smoke", ["profile", "threads", "num_images"]) == {
        "profile": "smoke",
        "threads": 1,
        "num_images": 2,
    }
    assert parameters_for(profile, "01_scanpaths", "smoke", ["profile"]) == {"profile": "smoke"}


def test_a_list_parameter_given_text_is_refused_with_its_declared_type(tmp_path, capsys):
    """Issue 27, C: `-p explainers fovex` made the chapter run the explainer 'f' ('fovex' read as a list)."""
    from fovex.cli import main

    workdir = ["--workdir", str(tmp_path), "--no-html", "--only", "03_faithfulness"]
    assert main(["book", *workdir, "-p", "explainers", "fovex"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "03_faithfulness: parameter explainers is a list" in err and "got the text 'fovex'" in err
    assert 'explainers = ["fovex", "gradcam",' in err  # the chapter's declaration, as written
    assert "-p explainers '[fovex]'" in err  # how to give one
    assert main(["book", *workdir, "-p", "num_images", "many"]) == 2
    assert "parameter num_images is a whole number (declared: num_images = 8); got the text 'many'" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "book" / "chapters").exists()  # refused before any chapter ran
    # A list written as a list is read as one; other values keep papermill's reading.
    from fovex.study.book import check_parameters, notebook_sources

    chapter = [s for s in notebook_sources() if s.stem == "03_faithfulness"]
    given = {"explainers": "[fovex, gradcam]", "num_images": 3, "step_px": None, "model_name": "resnet50"}
    assert check_parameters(chapter, given) == {"03_faithfulness": {**given, "explainers": ["fovex", "gradcam"]}}


def test_the_readme_rerun_example_says_why_it_failed_and_overwrite_recomputes(tmp_path, capsys):
    """Issue 27, C: a second `fovex book --only 03_faithfulness -p results_dir D` with another num_images
    failed (rc 1) without its cause; `fovex book --overwrite` recomputes into the same results_dir."""
    from fovex import open_run
    from fovex.cli import main
    from fovex.study.chapters import run_chapter

    results = tmp_path / "results"
    chapter = tmp_path / "work" / "book" / "chapters" / "03_faithfulness.ipynb"
    # What the first `fovex book --only 03_faithfulness -p results_dir D` left in D (computed here directly).
    common = {"model": "efficientnet_lite0", "dataset": "samples", "metrics": ["drop_increase", "insertion"]}
    run_chapter(results / "faithfulness", name="faithfulness-smoke", explainers=["centre"], num_images=1, **common)
    command = ["book", "--profile", "smoke", "--only", "03_faithfulness", "--no-html"]
    command += ["--workdir", str(tmp_path / "work"), "-p", "results_dir", str(results)]
    assert main(command) == 1
    captured = capsys.readouterr()
    output = captured.out + captured.err
    failed = next(line for line in output.splitlines() if "03_faithfulness: FAILED" in line)
    assert "StoreError" in failed and "holds results of a different config" in failed, output
    assert "num_images" in failed and "--overwrite" in failed
    assert "This chapter failed while the book was built" in chapter.read_text()  # a page saying why
    assert len(open_run(results / "faithfulness" / "efficientnet_lite0").results) == 1  # nothing was deleted

    assert main([*command, "--overwrite"]) == 0, capsys.readouterr().err
    run = open_run(results / "faithfulness" / "efficientnet_lite0")
    assert run.config["dataset"]["num_images"] == 2 and run.complete and chapter.is_file()
    assert sorted(run.explainers) == ["centre", "fovex", "gradcam", "random"]  # the smoke profile's
    # --overwrite is not part of what the chapter computed: without it, the chapter is up to date.
    assert main(command) == 0
    captured = capsys.readouterr()
    assert "03_faithfulness: up to date" in captured.out + captured.err


def test_book_stops_on_sigint_with_one_line_and_no_half_written_chapter(tmp_path):
    """Issue 27, B6: Ctrl-C in `fovex book` gave a traceback and rc 1; `kill -INT` of a background build
    must stop it too (rc 130), leaving no chapter, scratch notebook or kernel behind."""
    import sys

    command = [sys.executable, "-m", "fovex.cli", "book", "--profile", "smoke", "--only", "06_explorer"]
    command += ["--no-html", "--workdir", str(tmp_path), "-p", "num_images", "12"]
    scratch = tmp_path / "build" / "notebooks"
    kernels = []

    def executing(process) -> bool:  # the chapter's kernel is running
        kernels[:] = [
            int(entry.name)
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and _parent_pid(entry) == process.pid and _is_kernel(entry)
        ]
        return bool(kernels) and (scratch / "06_explorer.executed.ipynb").exists()

    returncode, stderr = interrupt_background_job(command, REPO_ROOT, executing)
    assert returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr[-3000:]
    assert stderr.strip().splitlines()[-1] == (
        "fovex book: interrupted; chapters executed so far are kept, rerun the same command to resume"
    )
    assert not (tmp_path / "book" / "chapters" / "06_explorer.ipynb").exists()
    assert not list(scratch.iterdir())
    assert kernels and not [pid for pid in kernels if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]


def _parent_pid(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _is_kernel(entry: Path) -> bool:
    try:
        return b"ipykernel" in (entry / "cmdline").read_bytes()
    except OSError:
        return False


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_gpu_profile_recomputes_the_study_in_its_own_folder_on_the_given_device(tmp_path, monkeypatch):
    import os

    import torch

    import fovex.study
    import fovex.study.book
    from fovex.study import RUNS_ENV
    from fovex.study.book import declared_parameters

    monkeypatch.delenv(RUNS_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a machine with two GPUs: --device is checked
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    calls, executed = [], {}
    monkeypatch.setattr(
        fovex.study, "compute_study", lambda **kw: calls.append((kw["device"], kw["overrides"], os.environ[RUNS_ENV]))
    )

    def execute(source, output, parameters):
        executed[source.stem] = (parameters, os.environ.get(RUNS_ENV))
        return 0.0

    monkeypatch.setattr(fovex.study.book, "execute_notebook", execute)
    assert build_book("gpu", html=False, workdir=tmp_path, device="cuda:1") == 0
    profile = load_profile("gpu")
    ((device, overrides, folder),) = calls
    assert device == "cuda:1" and overrides == profile["study_overrides"] and folder == "build/eval/gpu"
    assert folder != "build/eval" and profile["compute_study"]
    assert set(executed) == {source.stem for source in notebook_sources()}
    for stem, (parameters, runs) in executed.items():
        assert runs == "build/eval/gpu", stem  # every chapter reads the recomputed runs
        if "device" in declared_parameters(REPO_ROOT / "notebooks" / f"{stem}.py"):
            assert parameters["device"] == "cuda:1", stem  # over the profile's "cuda"
    assert executed["03_faithfulness"][0]["source"] == "run"
    assert os.environ.get(RUNS_ENV) is None  # restored after the build


# ------------------------------------------------------------------- issue 36: the book's new surfaces


def _no_work(monkeypatch) -> list:
    """Record, instead of doing, the study's computation and each chapter's execution."""
    import fovex.study
    import fovex.study.book

    calls = []
    monkeypatch.setattr(fovex.study, "compute_study", lambda **kw: calls.append(("study", kw.get("device"))))

    def execute(source, output, parameters, cwd=None):
        calls.append(("chapter", source.stem))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("{}")
        return 0.0

    monkeypatch.setattr(fovex.study.book, "execute_notebook", execute)
    return calls


def _one_line(capsys, *fragments) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_a_workdir_keeps_the_users_own_book_files_and_never_writes_through_a_link(tmp_path, monkeypatch, capsys):
    """Issue 36, item 4: `fovex book --workdir WD` replaced WD's own _config.yml, _toc.yml and book/intro.md,
    and wrote through a symbolic link at WD/book/methods.md into a file outside WD."""
    from fovex.cli import main

    calls = _no_work(monkeypatch)
    command = ["book", "--only", "06_explorer", "--no-html"]
    mine = tmp_path / "mine"
    (mine / "book").mkdir(parents=True)
    for relative, text in (("_config.yml", "title: my book\n"), ("_toc.yml", "root: x\n"), ("book/intro.md", "# Me\n")):
        (mine / relative).write_text(text)
        assert main([*command, "--workdir", str(mine)]) == 2
        _one_line(capsys, str(mine / relative), "not the copy fovex made")
        assert (mine / relative).read_text() == text
        (mine / relative).unlink()
    outside = tmp_path / "elsewhere.md"
    outside.write_text("not the book's")
    (mine / "book" / "methods.md").symlink_to(outside)
    assert main([*command, "--workdir", str(mine)]) == 2
    _one_line(capsys, str(mine / "book" / "methods.md"), "symbolic link")
    assert outside.read_text() == "not the book's" and calls == []
    assert not (mine / "_config.yml").exists()  # refused before anything was copied
    # A new folder gets the skeleton; rebuilding over the copies fovex made there is fine.
    fresh = tmp_path / "fresh"
    for _ in range(2):
        assert main([*command, "--workdir", str(fresh)]) == 0, capsys.readouterr().err
        assert (fresh / "_config.yml").read_bytes() == (REPO_ROOT / "_config.yml").read_bytes()
    # A copy of fovex's that the repository's skeleton has since moved past is brought up to date.
    (fresh / "_toc.yml").write_text("an older skeleton\n")
    skeleton = json.loads((fresh / ".fovex-book-skeleton.json").read_text())
    import hashlib

    skeleton["_toc.yml"] = hashlib.sha256(b"an older skeleton\n").hexdigest()
    (fresh / ".fovex-book-skeleton.json").write_text(json.dumps(skeleton))
    assert main([*command, "--workdir", str(fresh)]) == 0
    assert (fresh / "_toc.yml").read_bytes() == (REPO_ROOT / "_toc.yml").read_bytes()


def test_every_argument_is_checked_before_the_study_is_computed(tmp_path, monkeypatch, capsys):
    """Issue 36, item 8: `fovex book --profile study --only nope` restored and computed the study first."""
    from fovex.cli import main

    calls = _no_work(monkeypatch)
    common = ["book", "--profile", "study", "--no-html", "--workdir", str(tmp_path)]
    assert main([*common, "--only", "nope"]) == 2
    _one_line(capsys, "unknown notebooks ['nope']")
    assert calls == []
    assert main([*common, "--only", "03_faithfulness", "-p", "num_imagez", "5"]) == 2
    _one_line(capsys, "has parameter(s) num_imagez")
    assert calls == []
    assert main([*common, "--device", "bogus"]) == 2  # refused here, not inside each chapter
    _one_line(capsys, "--device bogus", "cpu, cuda, cuda:N")
    assert calls == [] and not (tmp_path / "book").exists()


def test_the_gpu_profile_without_a_gpu_is_refused_up_front(tmp_path, monkeypatch, capsys):
    """Issue 36, item 7: `fovex book --profile gpu` on a machine without a GPU recomputed the whole study on
    the CPU without a word; with `--device cuda` it ended in a raw EvaluationError traceback."""
    import torch

    from fovex.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    calls = _no_work(monkeypatch)
    common = ["book", "--profile", "gpu", "--no-html", "--workdir", str(tmp_path)]
    assert main(common) == 2
    _one_line(capsys, "profile gpu runs on cuda", "no CUDA GPU", "--device cpu")
    assert calls == []
    for device in ("cuda", "cuda:1"):
        assert main([*common, "--device", device]) == 2
        _one_line(capsys, f"--device {device}", "no CUDA GPU")
        assert calls == []
    # Asked for explicitly, the CPU computes it.
    assert main([*common, "--only", "06_explorer", "--device", "cpu"]) == 0
    assert calls == [("study", "cpu"), ("chapter", "06_explorer")]


def test_an_engine_error_in_the_study_is_one_line(tmp_path, monkeypatch, capsys):
    """Issue 36, item 7: what the study's runs raise (no GPU, a damaged run directory) ends the build in one
    line and exit status 2, not a traceback."""
    import fovex.study
    from fovex.cli import main
    from fovex.evaluation import EvaluationError

    def broken(**kwargs):
        raise EvaluationError("device 'cuda' asked for, but no CUDA device is available")

    monkeypatch.setattr(fovex.study, "compute_study", broken)
    assert main(["book", "--profile", "study", "--no-html", "--workdir", str(tmp_path)]) == 2
    _one_line(capsys, "fovex book: error: device 'cuda' asked for")


# ------------------------------------------------------------------- issue 35: a failed chapter, the build page


def test_a_failed_chapter_leaves_a_page_saying_why_and_the_book_is_still_built(tmp_path, monkeypatch, capsys):
    import fovex.study.book

    def execute(source, output, parameters, cwd=None):
        if source.stem == "04_localisation":
            raise ValueError("the VOC folder is missing")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("{}")
        return 1.5

    monkeypatch.setattr(fovex.study.book, "execute_notebook", execute)
    built = []
    monkeypatch.setattr(
        fovex.study.book.subprocess, "run", lambda *a, **k: built.append(a) or SimpleNamespace(returncode=0)
    )
    assert build_book("smoke", workdir=tmp_path) == 1  # the HTML is built, the exit code says a chapter failed
    assert built, "jupyter-book was not run"
    page = (tmp_path / "book" / "chapters" / "04_localisation.ipynb").read_text()
    assert "This chapter failed while the book was built" in page and "the VOC folder is missing" in page
    report = (tmp_path / "book" / "chapters" / "build.md").read_text()
    assert "| Localisation | failed | - | ValueError: the VOC folder is missing |" in report
    assert report.count("| executed | 2 |") == len(CHAPTERS) - 1
    assert "1 chapter(s) failed" in report and "study `committed`" in report


def test_the_expected_time_comes_from_the_measured_chapters(tmp_path):
    import json

    from fovex.study.build_report import TIMES, expected_time

    assert expected_time("quick", CHAPTERS, tmp_path) is None  # never measured
    (tmp_path / TIMES).parent.mkdir(parents=True)
    measured = {"machine": "x86, 2 cores", "measured_at": "2026-12-08T01:00:00+00:00", "total_s": 500.0}
    measured["chapters_s"] = {"00_findings": 30.0, "03_faithfulness": 90.0, "06_explorer": 150.0}
    (tmp_path / TIMES).write_text(json.dumps({"quick": measured}))
    assert expected_time("quick", CHAPTERS, tmp_path).startswith("expected: about 8 minutes")  # the total
    assert expected_time("quick", ["03_faithfulness", "06_explorer"], tmp_path).startswith("expected: about 4 minutes")
    assert "measured 2026-12-08 on x86, 2 cores" in expected_time("quick", CHAPTERS, tmp_path)
    assert expected_time("study", CHAPTERS, tmp_path) is None
