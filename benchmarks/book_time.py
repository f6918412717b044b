"""How long a book profile takes from scratch: build it in a fresh folder, print each chapter's seconds and the
total, and record them (with the machine) in book/measurements/book-times.json, from which `fovex book` prints
its expected time before any work and the README, the profile and the book's intro state it (generated parts,
python -m fovex.study.numbers).

    .venv/bin/python benchmarks/book_time.py [--profile quick] [--no-record]

Run it on idle cores: the figure is the machine's, and other work beside it slows every chapter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fovex.benchmark import machine_description  # noqa: E402
from fovex.evaluation.provenance import git_state, now  # noqa: E402
from fovex.files import atomic_write_bytes  # noqa: E402
from fovex.study.book import build_book  # noqa: E402

TIMES = REPO / "book" / "measurements" / "book-times.json"


def chapter_seconds(workdir: Path) -> dict[str, float]:
    """Each executed chapter's seconds, as the build recorded them in the chapter's metadata."""
    import nbformat

    seconds = {}
    for page in sorted((workdir / "book" / "chapters").glob("*.ipynb")):
        metadata = nbformat.read(page, as_version=4).metadata.get("fovex_build", {})
        if "seconds" in metadata:
            seconds[page.stem] = float(metadata["seconds"])
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--no-record", action="store_true", help="print only, do not write book-times.json")
    args = parser.parse_args(argv)
    import shutil

    shutil.rmtree(REPO / "build" / "judged", ignore_errors=True)  # a cache a fresh clone does not have
    with tempfile.TemporaryDirectory(prefix="fovex-book-time-") as folder:
        workdir = Path(folder)
        start = time.perf_counter()
        code = build_book(args.profile, workdir=workdir, overrides={"results_dir": str(workdir / "results")})
        total = time.perf_counter() - start
        seconds = chapter_seconds(workdir)
    for stem, value in seconds.items():
        print(f"{stem}: {value:.0f} s")
    print(f"total (chapters, study and HTML): {total:.0f} s = {total / 60:.1f} min; exit code {code}")
    if code != 0 or args.no_record:
        return code
    times = json.loads(TIMES.read_text()) if TIMES.is_file() else {}
    times[args.profile] = {
        "machine": machine_description("cpu"),
        "threads": os.cpu_count(),
        "measured_at": now(),
        "git": git_state(),
        "chapters_s": seconds,
        "total_s": round(total, 1),
    }
    atomic_write_bytes(TIMES, (json.dumps(times, indent=2) + "\n").encode())
    print(f"recorded in {TIMES.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
