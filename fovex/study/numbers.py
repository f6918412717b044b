"""The study's numbers as the README and the book's pages print them: generated from the committed rows,
never typed by hand.

A page holds each generated part between two markers::

    <!-- generated: study-cost -->
    ... (written by this module) ...
    <!-- end generated: study-cost -->

``python -m fovex.study.numbers`` rewrites every marked part of README.md and book/*.md from the committed
rows (:data:`SECTIONS`); ``--check`` exits 1 naming the stale parts. ``tests/test_numbers.py`` fails when a
part is stale, and when a study number (an interval, a cost in hours or minutes) stands outside one.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .paths import REPO_ROOT

__all__ = ["PAGES", "SECTIONS", "generated_parts", "main", "render", "rewrite", "stale"]

#: The pages that hold generated parts, relative to the repository root.
PAGES = ("README.md", "book/intro.md", "configs/book/quick.yaml")

#: A marked part: on lines of its own (the opening marker ends its line), or inline in a sentence or table cell.
_PART = re.compile(r"(<!-- generated: ([\w-]+) -->(\n?))(.*?)(<!-- end generated: \2 -->)", re.DOTALL)


def _study_cost(root: Path) -> str:
    """Per run: photos reached of planned, the current minutes per photo, core-hours spent and left."""
    from .runs import study_cost

    costs = study_cost(root, prefer="export")
    rows = [
        "| run | photos | minutes per photo | core-hours spent | core-hours left |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run, entry in costs.iterrows():
        if entry["images"] == 0:
            rows.append(f"| `{run}` | 0 of {entry['planned']:.0f} | - | 0.0 | not measured yet |")
            continue
        rows.append(
            f"| `{run}` | {entry['images']:.0f} of {entry['planned']:.0f} | {entry['minutes_per_image']:.2f} | "
            f"{entry['hours']:.1f} | {entry['hours_left']:.1f} |"
        )
    spent, left = costs["hours"].sum(), costs["hours_left"].sum()
    missing = [run for run, entry in costs.iterrows() if entry["images"] == 0]
    tail = f" ({', '.join(f'`{m}`' for m in missing)} not measured yet, so not in the sum)" if missing else ""
    return "\n".join(
        [
            *rows,
            "",
            f"In all {spent:.1f} core-hours spent and {left:.1f} left at the current rates{tail}: "
            f"{(spent + left) / 2:.0f} hours on 2 cores with one run per core. Minutes per photo: the median of a "
            "run's last 20 photos, every method and metric of the run summed (one process per core).",
        ]
    )


def _study_hours(root: Path) -> str:
    """The whole study on 2 CPU cores, in hours (spent and left at the current rates, one run per core)."""
    from .runs import study_cost

    costs = study_cost(root, prefer="export")
    return f"2 CPU cores: about {(costs['hours'].sum() + costs['hours_left'].sum()) / 2:.0f} hours"


def _fast_preset(root: Path) -> str:
    """The fast preset and the other seed against the published setting, in the judged words."""
    from .chapters.cost import preset_finding
    from .judged import judged_study
    from .presets import compare_presets, preset_sources

    presets = compare_presets(preset_sources("export"), reference="fovex-published", root=root)
    if presets is None:
        return "No committed comparison of the presets yet."
    return preset_finding(judged_study(root), presets)


def _paper_time(root: Path) -> str:
    """The paper study's time per model on one GPU and on this CPU, from the passes its configs spend per
    image and the measured pass times (book/measurements/gpu-rates.json, pass-rates.json)."""
    import json

    from .estimate import study_passes
    from .findings.wording import model_name
    from .studies import load_study

    measurements = Path(root) / "book" / "measurements"
    gpu = json.loads((measurements / "gpu-rates.json").read_text())
    cpu = json.loads((measurements / "pass-rates.json").read_text())
    passes = study_passes(load_study("paper", root), root)
    lines = [
        f"| model | images, summed over runs | passes per image (forward + backward) | one {gpu['device']} "
        "| this CPU |",
        "| --- | --- | --- | --- | --- |",
    ]
    totals = {"gpu": 0.0, "cpu": 0.0}
    for model, runs in passes.groupby("model", sort=False):
        # On the GPU: FovEx's measured rate is 200 forward+backward passes per explanation; a forward pass
        # alone costs about a third of one (its FLOPs); the other methods are assumed to run at that pass rate.
        both_gpu = 1 / (gpu["models"][model]["fovex_explanations_per_s"] * 200)
        rates = {"gpu": (both_gpu / 3, both_gpu)}
        measured = cpu["models"][model]
        rates["cpu"] = (measured["forward_s"], measured["forward_backward_s"])
        hours = {}
        for where, (forward_s, both_s) in rates.items():
            seconds = runs["images"] * (runs["backward"] * both_s + (runs["forward"] - runs["backward"]) * forward_s)
            hours[where] = float(seconds.sum()) / 3600
            totals[where] += hours[where]
        per_image = (runs["images"] * (runs["forward"] + runs["backward"])).sum() / runs["images"].sum()
        lines.append(
            f"| {model_name(model)} | {runs['images'].sum():,} | {per_image:,.0f} | about {hours['gpu']:.0f} hours | "
            f"about {hours['cpu'] / 24 / 365:.1f} years |"
        )
    lines += [
        "",
        f"Both models: about {totals['gpu']:.0f} hours on one {gpu['device']}, estimated from FovEx's measured "
        f"rate there ({gpu['source']}; bfloat16 weights, so float32 takes longer) and the passes every method "
        f"and metric spends per image, taking a forward pass as a third of a forward+backward one. On this CPU "
        f"({cpu['machine']}, measured {cpu['measured_at'][:10]}): about {totals['cpu'] / 24 / 365:.0f} years, so "
        "the paper study is a GPU study; `paper-smoke` is its CPU-sized check. A VOC run explains every (image, "
        "class) pair, more than its images.",
    ]
    return "\n".join(lines)


def _quick_minutes(root: Path) -> str:
    """The quick profile's measured time from scratch (benchmarks/book_time.py, book/measurements/book-times.json)."""
    import json

    path = Path(root) / "book" / "measurements" / "book-times.json"
    measured = json.loads(path.read_text()).get("quick") if path.is_file() else None
    if not measured:
        return "not measured yet (benchmarks/book_time.py)"
    return (
        f"about {max(1, round(measured['total_s'] / 60))} minutes from scratch on {measured['machine']} "
        f"(measured {measured['measured_at'][:10]})"
    )


#: Generated part name -> its text from the committed rows (``root``: the repository).
SECTIONS = {
    "study-cost": _study_cost,
    "study-hours": _study_hours,
    "fast-preset": _fast_preset,
    "paper-time": _paper_time,
    "quick-minutes": _quick_minutes,
}


def generated_parts(text: str) -> dict[str, str]:
    """Part name -> its current text in ``text`` (between its markers)."""
    return {match.group(2): match.group(4) for match in _PART.finditer(text)}


def render(root: Path = REPO_ROOT, names=None) -> dict[str, str]:
    """Part name -> its text as generated now (every part of :data:`SECTIONS`, or ``names``)."""
    return {name: SECTIONS[name](Path(root)).rstrip() + "\n" for name in (names or SECTIONS)}


def rewrite(path: Path, parts: dict[str, str]) -> bool:
    """Rewrite the marked parts of ``path`` with ``parts`` (those it holds); whether anything changed."""
    text = Path(path).read_text()

    def replace(match):
        name = match.group(2)
        if name not in parts:
            return match.group(0)
        return match.group(1) + _shaped(parts[name], bool(match.group(3))) + match.group(5)

    new = _PART.sub(replace, text)
    if new != text:
        from ..files import atomic_write_bytes

        atomic_write_bytes(Path(path), new.encode())
    return new != text


def stale(path: Path, parts: dict[str, str]) -> list[str]:
    """The marked parts of ``path`` whose text differs from ``parts``."""
    found = []
    for match in _PART.finditer(Path(path).read_text()):
        name, block = match.group(2), bool(match.group(3))
        if name not in parts or match.group(4) != _shaped(parts[name], block):
            found.append(name)
    return found


def _shaped(text: str, block: bool) -> str:
    """A part's text as it stands on its own lines (ending with a newline) or inline (one line)."""
    return text.rstrip() + "\n" if block else " ".join(text.split())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fovex.study.numbers", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 naming the stale parts instead of writing")
    args = parser.parse_args(argv)
    names = {name for page in PAGES for name in generated_parts((REPO_ROOT / page).read_text())}
    unknown = sorted(names - set(SECTIONS))
    if unknown:
        print(f"unknown generated parts: {', '.join(unknown)}; known: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    parts = render(REPO_ROOT, sorted(names))
    if args.check:
        found = [f"{page}: {name}" for page in PAGES for name in stale(REPO_ROOT / page, parts)]
        if found:
            print("stale generated parts (python -m fovex.study.numbers): " + "; ".join(found), file=sys.stderr)
            return 1
        return 0
    for page in PAGES:
        if rewrite(REPO_ROOT / page, parts):
            print(f"rewrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
