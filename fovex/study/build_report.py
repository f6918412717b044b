"""What a book build did, as a page of the book: each chapter executed (and how long it took), up to date,
or failed (and why), and a stand-in page for a failed chapter, so one failure does not take the book down."""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

from ..files import atomic_write_bytes

__all__ = ["REPORT", "TIMES", "ChapterOutcome", "expected_time", "write_build_report", "write_failed_chapter"]

#: Measured build times per profile (benchmarks/book_time.py): machine, each chapter's seconds, the total.
TIMES = Path("book") / "measurements" / "book-times.json"

#: The build page, relative to the book's folder (listed in ``_toc.yml``).
REPORT = Path("book") / "chapters" / "build.md"


class ChapterOutcome(NamedTuple):
    """One chapter of a build: ``status`` executed / up to date / failed, ``seconds`` it ran, the ``cause``
    of a failure (one line)."""

    stem: str
    status: str
    seconds: float | None
    cause: str | None


def write_failed_chapter(output: Path, source: Path, cause: str) -> None:
    """A chapter page that says it failed and why, in place of the chapter (written atomically); the next
    build executes the chapter again (the page carries no fingerprint)."""
    import nbformat

    title = _title(source)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            f"# {title}\n\n**This chapter failed while the book was built**, so it shows nothing: {cause}.\n\n"
            "Fix the cause and run the same `fovex book` command again: the chapters that ran are kept."
        )
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output, nbformat.writes(notebook).encode())


def _title(source: Path) -> str:
    """A chapter's title: the first ``# `` heading of its jupytext source (its file name without one)."""
    for line in Path(source).read_text().splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return source.stem


def write_build_report(workdir: Path, profile: str, outcomes: list[ChapterOutcome], sources, seconds: float) -> None:
    """The book's build page (:data:`REPORT`): the profile, the study, every chapter's outcome and seconds,
    and the build's total. A chapter that is neither executed nor up to date in this build (``--only``) is
    listed as kept from an earlier build, or given a stand-in page when it was never built."""
    from .studies import active_study

    done = {outcome.stem: outcome for outcome in outcomes}
    chapters = Path(workdir) / "book" / "chapters"
    rows = ["| chapter | this build | seconds | why it failed |", "| --- | --- | --- | --- |"]
    for source in sources:
        outcome = done.get(source.stem)
        if outcome is None:
            page = chapters / f"{source.stem}.ipynb"
            status = "kept from an earlier build" if page.is_file() else "not built yet"
            if not page.is_file():
                write_failed_chapter(page, source, "it was not executed in any build yet (see the build page)")
            outcome = ChapterOutcome(source.stem, status, None, None)
        seconds_text = "-" if outcome.seconds is None else f"{outcome.seconds:.0f}"
        rows.append(f"| {_title(source)} | {outcome.status} | {seconds_text} | {outcome.cause or ''} |")
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    summary = (
        f"**{len(failed)} chapter(s) failed**: their pages say so and why; the other chapters are complete."
        if failed
        else "Every chapter of this build executed or was up to date."
    )
    text = "\n".join(
        [
            "# How this book was built",
            "",
            f"Profile `{profile}`, study `{active_study().name}`, built "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {seconds:.0f} s (chapters and the study's "
            "runs, before the HTML). " + summary,
            "",
            *rows,
            "",
        ]
    )
    path = Path(workdir) / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode())


def expected_time(profile: str, stems: list[str], root: Path) -> str | None:
    """What a build of ``stems`` with ``profile`` is expected to take, from its measured chapter times
    (:data:`TIMES`): ``"expected: about 8 minutes (measured ... on ...)"``; None when it was never measured."""
    import json

    path = Path(root) / TIMES
    if not path.is_file():
        return None
    measured = json.loads(path.read_text()).get(profile)
    if not measured:
        return None
    chapters = measured["chapters_s"]
    if set(stems) >= set(chapters):  # the whole book: the measured total, the study and the HTML included
        seconds = measured["total_s"]
    else:
        seconds = sum(chapters.get(stem, 0.0) for stem in stems)
    return (
        f"expected: about {max(1, round(seconds / 60))} minutes for these chapters from scratch (measured "
        f"{measured['measured_at'][:10]} on {measured['machine']}; chapters up to date are skipped)"
    )
