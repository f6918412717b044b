"""The paper's study through the book, end to end, as a user with the paper's models and data runs it (issue 35).

A temporary world stands in for what such a user has (tests/paper_fixtures.py): seeded random weights for
timm's ResNet-50 and ViT-B/16 in a Hugging Face cache laid out as the hub writes it (``HF_HUB_OFFLINE=1``)
and miniature standard-layout ImageNet val, VOC 2012 and MIT1003 folders made from ``../shared/data``.
``fovex book --profile paper-smoke`` then computes the paper study at tiny N and budgets and builds the whole
book from it. The weights are random: the numbers mean nothing, the plumbing is what is checked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from paper_fixtures import make_paper_world

REPO = Path(__file__).resolve().parents[1]


def _text(notebook, prose: bool = True) -> str:
    """Everything a chapter shows: its markdown (unless not ``prose``) and its outputs' text and HTML."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and prose:
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/markdown", ""), data.get("text/html", "")]
    return "\n".join(part if isinstance(part, str) else "".join(part) for part in parts)


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("paper")
    world = make_paper_world(root / "world", images=2, observers=3)
    env = {**os.environ, **world.env, "FOVEX_STUDY_RUNS": str(root / "runs")}
    env.pop("FOVEX_STUDY", None)
    workdir = root / "book"
    command = [sys.executable, "-m", "fovex.cli", "book", "--profile", "paper-smoke", "--workdir", str(workdir)]
    command += ["-p", "results_dir", str(root / "results")]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
    return done, workdir, root


def test_every_chapter_of_the_paper_smoke_book_executes_and_the_html_is_built(built):
    done, workdir, _ = built
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (workdir / "book" / "chapters" / "build.md").read_text()
    stems = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.py"))
    assert report.count("| executed |") == len(stems), report
    html = workdir / "build" / "book" / "_build" / "html" / "book" / "chapters"
    assert all((html / f"{stem}.html").is_file() for stem in stems)
    assert "study paper-smoke: about" in done.stdout  # the estimate, before the runs start


def test_the_findings_judge_each_claim_on_its_own_model_with_both_models_side_by_side(built):
    _, workdir, _ = built
    findings = _text(nbformat.read(workdir / "book" / "chapters" / "00_findings.ipynb", as_version=4))
    assert "This book's study** (paper-smoke)" in findings
    verdicts = re.search(r"<table.*?</table>", findings, re.DOTALL).group(0)  # the first table: the verdicts
    assert "resnet50" in verdicts and "vit_base_patch16_224" in verdicts
    ebpg = [row for row in verdicts.split("<tr>") if "highest EBPG on ViT-B/16" in row]
    assert ebpg and all("resnet50" not in row for row in ebpg)  # the ViT claim on ViT alone
    assert "ResNet-50" in findings and "ViT-B/16" in findings


def test_no_page_shows_the_committed_lite0_study_as_the_paper_studys(built):
    _, workdir, _ = built
    for page in sorted((workdir / "book" / "chapters").glob("0*.ipynb")):
        # What was computed or read, not the fixed prose (which names the bundled default as the default).
        text = _text(nbformat.read(page, as_version=4), prose=False)
        assert "efficientnet_lite0" not in text and "EfficientNet-Lite0" not in text, page.name
        assert "book/measurements/study-" not in text, page.name  # no committed export is read


def test_every_study_page_names_the_checkpoint_its_rows_ran_on(built):
    _, workdir, root = built
    faithfulness = _text(nbformat.read(workdir / "book" / "chapters" / "03_faithfulness.ipynb", as_version=4))
    blobs = {p.name for p in (root / "world" / "hf" / "hub").rglob("*") if p.is_file() and len(p.name) == 64}
    for line in re.findall(r"weights of (\S+): hub (\S+) \(model\.safetensors\), sha256 ([0-9a-f]{12})", faithfulness):
        model, repo, digest = line
        assert repo.startswith("timm/") and any(blob.startswith(digest) for blob in blobs), line
    assert "weights of resnet50: hub timm/resnet50" in faithfulness
    assert "weights of vit_base_patch16_224: hub timm/vit_base_patch16_224" in faithfulness
    manifest = json.loads((root / "runs" / "study-faithfulness-resnet50" / "manifest.json").read_text())
    assert manifest["models"]["resnet50"]["source"] == "hub"
